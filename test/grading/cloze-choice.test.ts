// Cloze choice (dropdown) blanks end to end in pure functions: the schema and
// cross-field rules, what a candidate receives (options under per-form tokens,
// never the key), the translation of answers back to authored ids, the
// response check and per-blank scoring.
import t from 'tap';
import type { ClozeItem, ItemCommon, ItemRevision } from '../../src/bank/item-types.js';
import { checkItem } from '../../src/bank/item-schemas.js';
import { withoutKey } from '../../src/bank/item-views.js';
import { formDelivery } from '../../src/exams/candidate-form.js';
import { newDeliverySecret } from '../../src/exams/delivery-ids.js';
import { validateResponse } from '../../src/grading/responses.js';
import { roundScore, scoreItem } from '../../src/grading/scoring.js';
import { keyText } from '../../src/exams/form-views.js';
import { paperKey } from '../../src/interop/docx/write-key.js';
import { serializeItem as qtiSerialize } from '../../src/interop/qti.js';
import { parseXml } from '../../src/interop/xml.js';

const common: Omit<ItemCommon, 'type'> = { stem: '<p>Điền vào chỗ trống.</p>', subject: 'english', grade: 10, topic: 'grammar', cognitiveLevel: 1 };

const item: ClozeItem = {
  ...common,
  type: 'cloze',
  text: '<p>She {{b1}} a teacher, lives in {{b2}} and speaks {{b3}}; the year is {{b4}}.</p>',
  blanks: [
    { id: 'b1', options: [{ id: 'A', text: 'is' }, { id: 'B', text: 'are' }, { id: 'C', text: 'be' }], correct: ['A'] },
    { id: 'b2', accepted: ['Hà Nội'] },
    { id: 'b3', options: [{ id: 'A', text: 'English' }, { id: 'B', text: 'French' }, { id: 'C', text: 'Klingon' }, { id: 'D', text: 'Vietnamese' }], correct: ['A', 'D'], multiple: true, shuffle: true },
    { id: 'b4', value: 2025 },
  ],
};

t.test('the schema takes a choice blank and the cross-field rules check its key', async (t) => {
  const ok = checkItem(item);
  t.ok(ok.ok, JSON.stringify(ok.ok ? '' : ok.details));
  const refused = (blank: unknown, path: string, why: string) => {
    const res = checkItem({ ...item, text: '{{b1}}', blanks: [blank] });
    t.notOk(res.ok, why);
    if (!res.ok) t.ok(res.details.some((d) => d.instancePath === path), `${why}: a detail at ${path} (${JSON.stringify(res.details)})`);
  };
  const options = [{ id: 'A', text: 'is' }, { id: 'B', text: 'are' }];
  refused({ id: 'b1', options, correct: ['Z'] }, '/blanks/0/correct/0', 'a key naming no option');
  refused({ id: 'b1', options: [{ id: 'A', text: 'is' }, { id: 'A', text: 'are' }], correct: ['A'] }, '/blanks/0/options/1/id', 'repeated option ids');
  refused({ id: 'b1', options, correct: ['A', 'A'] }, '/blanks/0/correct/1', 'a key naming one option twice');
  refused({ id: 'b1', options, correct: ['A', 'B'] }, '/blanks/0/correct', 'a dropdown with no wrong option');
  refused({ id: 'b1', options: [{ id: 'A', text: 'is' }, { id: 'B', text: '<b>is</b>' }], correct: ['A'] }, '/blanks/0/options/1/text', 'two options that look the same');
  refused({ id: 'b1', options, correct: [] }, '/blanks/0/correct', 'no right option');
  refused({ id: 'b1', options: [options[0]], correct: ['A'] }, '/blanks/0/options', 'a single option');
  refused({ id: 'b1', options, correct: ['A'], accepted: ['is'] }, '/blanks/0', 'a choice blank with accepted texts');
  refused({ id: 'b1', options, correct: ['A'], value: 3 }, '/blanks/0', 'a choice blank with a value');
  refused({ id: 'b1', accepted: ['is'], shuffle: true }, '/blanks/0', 'shuffle on a text blank');
  const cleaned = checkItem({ ...item, blanks: [{ ...item.blanks[0], options: [{ id: 'A', text: 'is<script>alert(1)</script>' }, { id: 'B', text: 'are' }] }, ...item.blanks.slice(1)] });
  t.ok(cleaned.ok);
  if (cleaned.ok) t.notMatch(JSON.stringify(cleaned.value), /script/, 'option texts are sanitised like other HTML');
});

t.test('per blank scoring: any right id of a dropdown, the exact set of a pick-several blank', async (t) => {
  const cases: [unknown, number, string][] = [
    [{ b1: 'A', b2: 'Hà Nội', b3: ['D', 'A'], b4: '2025' }, 1, 'all right (the set in any order)'],
    [{ b1: 'B', b2: 'Hà Nội', b3: ['A', 'D'], b4: 2025 }, 0.75, 'a wrong dropdown pick'],
    [{ b1: 'A', b3: ['A'] }, 0.25, 'a subset of the right set is wrong'],
    [{ b1: 'A', b3: ['A', 'D', 'B'] }, 0.25, 'a superset of the right set is wrong'],
    [{ b1: 'A', b3: ['A', 'A'] }, 0.25, 'a repeated id is not the set'],
    [{ b1: ['A'], b3: 'A' }, 0, 'wrong shapes for each kind'],
    [{ b1: 'is' }, 0, 'the option text is not its id'],
    [{}, 0, 'nothing'],
  ];
  for (const [r, expected, why] of cases) t.equal(roundScore(scoreItem(item, r).points), expected, why);
  const several: ClozeItem = { ...item, text: '{{b1}}', blanks: [{ id: 'b1', options: [{ id: 'A', text: 'grey' }, { id: 'B', text: 'gray' }, { id: 'C', text: 'green' }], correct: ['A', 'B'] }] };
  t.equal(scoreItem(several, { b1: 'A' }).points, 1, 'either spelling of a dropdown with two right options');
  t.equal(scoreItem(several, { b1: 'B' }).points, 1);
  t.equal(scoreItem(several, { b1: 'C' }).points, 0);
});

t.test('responses: a dropdown takes one of its option ids, a pick-several blank a list of distinct ones', async (t) => {
  t.ok(validateResponse(item, { b1: 'A', b3: ['A', 'C'], b2: 'x', b4: 3 }).ok);
  t.notOk(validateResponse(item, { b1: 'Z' }).ok, 'an unknown option');
  t.notOk(validateResponse(item, { b1: ['A'] }).ok, 'a list for a dropdown');
  t.notOk(validateResponse(item, { b3: 'A' }).ok, 'one id for a pick-several blank');
  t.notOk(validateResponse(item, { b3: ['A', 'A'] }).ok, 'a repeated id');
  t.notOk(validateResponse(item, { b1: 3 }).ok, 'a number for a dropdown');
});

t.test('a candidate gets the options of a choice blank under per-form tokens, never which is right', async (t) => {
  const revision = { ...item, itemId: 'cz', revision: 1 } as unknown as ItemRevision;
  const pin = { itemId: 'cz', revision: 1, section: 0 };
  const forms = ['101', '102', '103', '104', '105', '106'].map((code) => ({ code, deliverySecret: newDeliverySecret(), items: [pin] }));
  const orders = new Set<string>();
  for (const form of forms) {
    const { items, ids } = formDelivery(form, [revision]);
    const delivered = items[0]!;
    const json = JSON.stringify(delivered);
    t.notMatch(json, /"correct"|"accepted"|"value"|"tolerance"|"shuffle"|Hà Nội|2025/, `form ${form.code}: no key field or key value`);
    t.same(
      delivered.blanks!.map((b) => Object.keys(b).sort()),
      [['id', 'options'], ['id'], ['id', 'multiple', 'options'], ['id']],
      'a choice blank carries id, options (and multiple); others their id',
    );
    const [b1, , b3] = delivered.blanks!;
    for (const o of [...b1!.options!, ...b3!.options!]) t.match(o.id, /^~[a-z2-7]{10}$/, 'an option id is an opaque token');
    t.same(b1!.options!.map((o) => o.text), ['is', 'are', 'be'], 'an unshuffled blank keeps the authored order');
    t.same(new Set(b3!.options!.map((o) => o.text)), new Set(['English', 'French', 'Klingon', 'Vietnamese']));
    orders.add(b3!.options!.map((o) => o.text).join());
    t.same(formDelivery(form, [revision]).items[0]!.blanks![2]!.options, b3!.options, 'the shuffled order is the same every time the form is built');
    // Answers come back in authored ids; a token of another blank or form is refused.
    const right = ids.toAuthored('cz', { b1: b1!.options![0]!.id, b2: 'Hà Nội', b3: b3!.options!.filter((o) => ['English', 'Vietnamese'].includes(o.text)).map((o) => o.id), b4: 2025 });
    t.same(right, { ok: true, response: { b1: 'A', b2: 'Hà Nội', b3: (right as { response: { b3: string[] } }).response.b3, b4: 2025 } });
    t.same(new Set((right as { response: { b3: string[] } }).response.b3), new Set(['A', 'D']));
    t.equal(scoreItem(item, (right as { response: unknown }).response).points, 1, 'the translated answer scores');
    t.same(ids.toAuthored('cz', { b1: b3!.options![0]!.id }), { ok: false, message: 'Unknown blank option id' }, "another blank's token");
    t.same(ids.toAuthored('cz', { b1: 'A' }), { ok: false, message: 'Unknown blank option id' }, 'an authored id');
    t.same(ids.toDelivered('cz', { b1: 'B', b3: ['C'] }), { ok: true, response: { b1: b1!.options![1]!.id, b3: [b3!.options!.find((o) => o.text === 'Klingon')!.id] } }, 'stored answers go back as tokens');
  }
  t.ok(orders.size > 1, `a shuffled blank is dealt in different orders on different forms (${orders.size} of 6)`);
  const other = formDelivery(forms[1]!, [revision]);
  t.not(other.items[0]!.blanks![0]!.options![0]!.id, formDelivery(forms[0]!, [revision]).items[0]!.blanks![0]!.options![0]!.id, 'tokens differ per form');
});

t.test('the item view without its key keeps the options and drops correct and shuffle', async (t) => {
  const view = withoutKey(item);
  t.same(view.blanks, [
    { id: 'b1', options: (item.blanks[0] as { options: unknown }).options },
    { id: 'b2' },
    { id: 'b3', options: (item.blanks[2] as { options: unknown }).options, multiple: true },
    { id: 'b4' },
  ] as unknown);
});

t.test('keys and papers name the right options; QTI writes inline choices', async (t) => {
  const pin = { itemId: 'cz', revision: 1, section: 0 };
  t.equal(keyText({ ...item, itemId: 'cz', revision: 1 } as unknown as ItemRevision, pin as never), 'b1: is; b2: Hà Nội; b3: English + Vietnamese; b4: 2025', 'the answer key of a form');
  t.equal(paperKey(item), '(1) is; (2) Hà Nội; (3) English + Vietnamese; (4) 2025', 'the key of a Word paper');
  const xml = qtiSerialize(item);
  const root = parseXml(xml);
  t.equal(root.name, 'qti-assessment-item', 'well-formed QTI');
  t.match(xml, /<qti-inline-choice-interaction response-identifier="RESPONSE_b1" shuffle="false"><qti-inline-choice identifier="A">is<\/qti-inline-choice>/);
  t.match(xml, /identifier="RESPONSE_b1" cardinality="single" base-type="identifier"><qti-correct-response><qti-value>A<\/qti-value><\/qti-correct-response>/);
  t.match(xml, /identifier="RESPONSE_b3" cardinality="multiple" base-type="identifier"><qti-correct-response><qti-value>A<\/qti-value><qti-value>D<\/qti-value>/);
  t.match(xml, /<qti-text-entry-interaction response-identifier="RESPONSE_b2"/, 'text blanks stay text entries');
});
