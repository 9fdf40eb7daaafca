// The candidate-facing form builder and form assignment are pure functions:
// tested here on in-memory items of every type (the HTTP test checks them on
// a real bank too).
import t from 'tap';
import type { ItemRevision, ItemType } from '../../src/bank/item-types.js';
import { assembleForms } from '../../src/assembly/assembler.js';
import { assignFormCode, formDelivery } from '../../src/exams/candidate-form.js';
import { newDeliverySecret } from '../../src/exams/delivery-ids.js';
import { makeItem } from '../support/fixtures/index.js';

const TYPES: ItemType[] = ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'];

/** Every field name that carries a key or scoring data, anywhere in an item. */
const KEY_FIELDS = new Set(['correct', 'value', 'values', 'accepted', 'pairs', 'order', 'tolerance', 'ladder', 'scoring', 'rubric', 'maxPoints', 'points', 'difficulty', 'caseSensitive', 'ignoreDiacritics', 'solution', 'explanation']);

function keyFieldsIn(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyFieldsIn(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(KEY_FIELDS.has(k) ? [`${path}.${k}`] : []), ...keyFieldsIn(v, `${path}.${k}`)]);
}

t.test('candidate items are built from an allow-list: no key, no scoring data, for every type', async (t) => {
  const pools = TYPES.map((type) =>
    Array.from({ length: 3 }, (_, i) => {
      const item = makeItem(type, `${type}-${i}`, type.replace(/_/g, '-'), 2, { points: 2, difficulty: 0.4 });
      // Fields a later version of the bank might add: they must not leak either.
      return Object.assign(item, { solution: 'LỜI GIẢI BÍ MẬT', explanation: 'vì thế' }) as ItemRevision;
    }),
  );
  const result = assembleForms({
    seed: 'candidate',
    formCount: 2,
    blueprint: { sections: [{ title: 'I', shuffleItems: true, cells: TYPES.map((type) => ({ topic: type.replace(/_/g, '-'), cognitiveLevel: 2, count: 2 })) }], constraints: { maxItemOverlap: 1, difficultyTolerance: 1 } },
    pools: [pools],
  });
  const revisions = pools.flat();
  for (const form of result.forms) {
    const { items, ids } = formDelivery({ ...form, deliverySecret: newDeliverySecret() }, revisions);
    t.equal(items.length, 20);
    t.same(keyFieldsIn(items), [], `form ${form.code}: no key field at any depth`);
    const json = JSON.stringify(items);
    for (const secret of ['Hà Nội', '-1.5', 'LỜI GIẢI', 'vì thế', 'maxPoints']) t.notOk(json.includes(secret), `no "${secret}"`);
    t.same(new Set(items.map((i) => i.type)).size, TYPES.length);
    items.forEach((item, i) => {
      const pin = form.items[i]!;
      t.equal(item.itemId, pin.itemId);
      t.equal(item.number, i + 1);
      const delivered = (kind: 'option' | 'choice' | 'element', order: string[]) => order.map((id) => ids.delivered(pin.itemId, kind, id));
      if (pin.optionOrder) t.same(item.options!.map((o) => o.id), delivered('option', pin.optionOrder), 'options in delivery order');
      if (pin.choiceOrder) t.same(item.choices!.map((o) => o.id), delivered('choice', pin.choiceOrder), 'choices in delivery order');
      if (pin.elementOrder) t.same(item.elements!.map((o) => o.id), delivered('element', pin.elementOrder), 'elements in delivery order');
      for (const list of [item.options, item.statements, item.premises, item.choices, item.elements]) {
        for (const o of list ?? []) t.match(o.id, /^~[a-z2-7]{10}$/, 'a delivered id is an opaque token');
      }
      for (const o of item.options ?? []) t.same(Object.keys(o).sort(), ['id', 'text'], 'options carry id and text only (not fixed)');
      if (item.type === 'cloze') {
        t.same(item.blanks, [{ id: 'b1' }, { id: 'b2' }]);
        t.match(item.text, /\{\{b1\}\}/);
      }
      if (item.type === 'essay') t.same(item.criteria, ['Lập luận', 'Trình bày']);
      if (item.type === 'true_false_cluster') t.same(item.statements!.map((s) => s.id), ['a', 'b', 'c', 'd'].map((id) => ids.delivered(pin.itemId, 'statement', id)), 'statements in authored order');
      if (item.type === 'matching') t.same(item.premises!.map((s) => s.id), ['p1', 'p2'].map((id) => ids.delivered(pin.itemId, 'premise', id)), 'premises in authored order');
    });
  }
  t.throws(() => formDelivery({ code: '101', deliverySecret: 'x', items: [{ itemId: 'missing', revision: 1, section: 0 }] }, revisions), /missing/, 'a missing pinned revision is an error, never a partial form');
});

t.test('form assignment spreads candidates evenly and is reproducible from seed and candidate id', async (t) => {
  const roster = Array.from({ length: 1000 }, (_, i) => `cand-${String(i).padStart(4, '0')}`);
  const exam = { seed: 'assign-2025', formCount: 7, candidateIds: roster };
  const codes = roster.map((id) => assignFormCode(exam, id));
  const counts = new Map<string, number>();
  for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
  t.same([...counts.keys()].sort(), ['101', '102', '103', '104', '105', '106', '107']);
  t.ok(Math.max(...counts.values()) - Math.min(...counts.values()) <= 1, `counts ${[...counts.values()]} differ by at most one`);

  const reordered = { ...exam, candidateIds: [...roster].reverse() };
  t.same(roster.map((id) => assignFormCode(reordered, id)), codes, 'the order of the roster does not matter');
  // Pinned: the same seed and candidate give the same code in any process and any version.
  t.same(roster.slice(0, 8).map((id) => assignFormCode(exam, id)), GOLDEN);

  const other = roster.map((id) => assignFormCode({ ...exam, seed: 'another' }, id));
  t.ok(other.filter((c, i) => c !== codes[i]).length > 500, 'another seed deals differently');
  // Seated neighbours (consecutive ids) rarely share a form.
  const sameAsNext = codes.filter((c, i) => i > 0 && c === codes[i - 1]).length;
  t.ok(sameAsNext < 250, `${sameAsNext} neighbours share a code`);

  const stranger = assignFormCode(exam, 'walk-in');
  t.ok(['101', '102', '103', '104', '105', '106', '107'].includes(stranger), 'a candidate off the roster still gets a code');
  t.equal(assignFormCode(exam, 'walk-in'), stranger);
  t.equal(assignFormCode({ ...exam, formCount: 1 }, 'x'), '101');
  t.equal(assignFormCode({ ...exam, formCodes: ['101', '102'] }, roster[0]!), assignFormCode({ ...exam, formCount: 2 }, roster[0]!), 'formCodes and formCount agree');
});

const GOLDEN = ['107', '106', '101', '103', '102', '102', '102', '106'];
