// The translation between the ids a candidate receives and the authored ones
// is a pure function of the form's secret, code and pinned items: tested here
// on in-memory items (test/integrity/delivery-ids.test.ts attacks it live).
import t from 'tap';
import type { ItemContent } from '../../src/bank/item-types.js';
import { DeliveryIds, newDeliverySecret } from '../../src/exams/delivery-ids.js';
import { validateResponse } from '../../src/grading/responses.js';
import { makeItem } from '../support/fixtures/index.js';

const TOKEN = /^~[a-z2-7]{10}$/;
const items = new Map<string, ItemContent>(
  (['single_choice', 'multiple_choice', 'true_false_cluster', 'matching', 'ordering', 'cloze', 'numeric'] as const).map((type) => [type, makeItem(type, type, 't', 1)]),
);
const secret = newDeliverySecret();
const ids = new DeliveryIds(secret, '101', items);
const item = <T extends ItemContent['type']>(type: T) => items.get(type) as Extract<ItemContent, { type: T }>;

t.test('tokens are opaque, stable for one form and different on another', async (t) => {
  const options = item('single_choice').options.map((o) => ids.delivered('single_choice', 'option', o.id));
  t.ok(options.every((id) => TOKEN.test(id)), `tokens: ${options.join(' ')}`);
  t.equal(new Set(options).size, options.length, 'distinct within the item');
  const again = new DeliveryIds(secret, '101', items);
  t.same(item('single_choice').options.map((o) => again.delivered('single_choice', 'option', o.id)), options, 'the same secret and code give the same tokens (any process)');
  const otherForm = new DeliveryIds(secret, '102', items);
  const otherSecret = new DeliveryIds(newDeliverySecret(), '101', items);
  for (const other of [otherForm, otherSecret]) {
    const theirs = item('single_choice').options.map((o) => other.delivered('single_choice', 'option', o.id));
    t.same(theirs.filter((id, i) => id === options[i]), [], 'another form (or secret) names every option differently');
  }
  t.throws(() => ids.delivered('single_choice', 'option', 'nope'), /no option nope/, 'an id the item does not have is an error');
  t.throws(() => new DeliveryIds('', '101', items), /secret/, 'no form is delivered without its secret');
});

t.test('responses go to authored ids and back, for every type with ids to pick', async (t) => {
  const sc = item('single_choice');
  const mc = item('multiple_choice');
  const cl = item('true_false_cluster');
  const ma = item('matching');
  const or = item('ordering');
  const authored: [string, unknown][] = [
    ['single_choice', sc.options[1]!.id],
    ['multiple_choice', mc.options.slice(0, 2).map((o) => o.id)],
    ['true_false_cluster', Object.fromEntries(cl.statements.map((s, i) => [s.id, i % 2 === 0]))],
    ['matching', Object.fromEntries(ma.premises.map((p, i) => [p.id, ma.choices[ma.choices.length - 1 - i]!.id]))],
    ['ordering', [...or.elements].reverse().map((e) => e.id)],
    ['cloze', { b1: 'Hà Nội', b2: 3 }],
    ['numeric', '-1,5'],
  ];
  for (const [itemId, response] of authored) {
    const delivered = ids.toDelivered(itemId, response);
    t.ok(delivered.ok, itemId);
    if (!delivered.ok) continue;
    const back = ids.toAuthored(itemId, delivered.response);
    t.same(back, { ok: true, response }, `${itemId}: back to the same authored response`);
    t.ok(validateResponse(items.get(itemId)!, back.ok ? back.response : undefined).ok, `${itemId}: a valid response`);
    if (['cloze', 'numeric'].includes(itemId)) t.same(delivered.response, response, `${itemId}: nothing to translate`);
    else t.notSame(delivered.response, response, `${itemId}: the candidate's form of it differs`);
  }
  t.same(ids.answersToDelivered([['single_choice', sc.options[0]!.id], ['ordering', ['gone']]]), { single_choice: ids.delivered('single_choice', 'option', sc.options[0]!.id) }, 'an answer that no longer translates is left out, never sent in authored ids');
});

t.test('anything not delivered to this form is refused; a wrong shape is left for the shape check', async (t) => {
  const sc = item('single_choice');
  const ma = item('matching');
  const token = (kind: 'option' | 'premise' | 'choice', itemId: string, id: string) => ids.delivered(itemId, kind, id);
  t.same(ids.toAuthored('single_choice', sc.options[0]!.id), { ok: false, message: 'Unknown option id' }, 'an authored id');
  t.same(ids.toAuthored('single_choice', new DeliveryIds(secret, '102', items).delivered('single_choice', 'option', sc.options[0]!.id)), { ok: false, message: 'Unknown option id' }, 'another form\'s token');
  t.same(ids.toAuthored('multiple_choice', [ids.delivered('multiple_choice', 'option', item('multiple_choice').options[0]!.id), 'A']), { ok: false, message: 'Unknown option id' });
  t.same(ids.toAuthored('ordering', ['e1']), { ok: false, message: 'Unknown element id' });
  t.same(ids.toAuthored('true_false_cluster', { a: true }), { ok: false, message: 'Unknown statement id' });
  t.same(ids.toAuthored('matching', { [ma.premises[0]!.id]: token('choice', 'matching', ma.choices[0]!.id) }), { ok: false, message: 'Unknown premise id' });
  t.same(ids.toAuthored('matching', { [token('premise', 'matching', ma.premises[0]!.id)]: ma.choices[0]!.id }), { ok: false, message: 'Unknown choice id' });
  t.same(ids.toAuthored('matching', JSON.parse('{"__proto__": "x"}')), { ok: false, message: 'Unknown premise id' }, 'a __proto__ key is just an unknown id');
  // Wrong shapes pass through unchanged, and validateResponse refuses them with its own message.
  for (const [itemId, r] of [['single_choice', ['x']], ['multiple_choice', 'x'], ['ordering', [1, 2]], ['matching', ['x']], ['single_choice', 7]] as const) {
    const out = ids.toAuthored(itemId, r);
    t.same(out, { ok: true, response: r }, `${itemId} ${JSON.stringify(r)}: untouched`);
    t.notOk(validateResponse(items.get(itemId)!, r).ok, 'and refused by the shape check');
  }
  t.same(ids.toAuthored('single_choice', null), { ok: true, response: null }, 'null clears an answer');
  t.same(ids.toAuthored('not-on-the-form', 'x'), { ok: true, response: 'x' }, 'an unknown item is the session\'s to refuse');
});
