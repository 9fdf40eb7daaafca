import t, { type Test } from 'tap';
import { ITEM_TYPES, type ItemType } from '../../src/bank/item-types.js';
import { build } from '../helper.js';
import { bankWorld, validItem } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const author = world.users.authorA;

type Detail = { instancePath: string; message: string; params?: Record<string, unknown> };

async function post(item: unknown) {
  return author({ method: 'POST', url: '/api/items', payload: item as Record<string, unknown> });
}

/** Posts an item that must be refused with a detail at `path` (or naming `missing` at the root). */
async function refused(t: Test, item: unknown, path: string, missing?: string) {
  const res = await post(item);
  t.equal(res.statusCode, 400, `${path} refused`);
  const body = res.json();
  t.equal(body.error.code, 'validation_failed');
  const details = body.error.details as Detail[];
  const hit = details.find((d) => d.instancePath === path && (missing === undefined || d.params?.missingProperty === missing));
  t.ok(hit, `a detail at "${path}"${missing ? ` naming ${missing}` : ''}: ${JSON.stringify(details)}`);
  return details;
}

t.test('every type is accepted and stored as sent, with defaults filled in', async (t) => {
  for (const type of ITEM_TYPES) {
    const item = validItem(type);
    const res = await post(item);
    t.equal(res.statusCode, 201, `${type} accepted: ${res.body.slice(0, 300)}`);
    const stored = res.json();
    t.match(stored, { ...item, revision: 1, status: 'draft', ownerOrgId: world.orgs.schoolA, authorId: world.ids.authorA, keyIncluded: true }, type);
    t.match(stored, { points: 1, language: 'vi', sharing: 'org', shuffleOptions: true }, `${type} defaults`);
    t.type(stored.id, 'string');
    t.ok(!Number.isNaN(Date.parse(stored.createdAt)));
    const again = (await author({ method: 'GET', url: `/api/items/${stored.id}` })).json();
    t.same(again, stored, `${type} reads back the same`);
  }
  const cluster = (await post(validItem('true_false_cluster'))).json();
  t.same(cluster.ladder, [0, 0.1, 0.25, 0.5, 1], 'four statements get the national ladder');
});

const bad = (type: ItemType, extra: Record<string, unknown>) => validItem(type, extra);
const without = (type: ItemType, field: string) => {
  const item = validItem(type);
  delete item[field];
  return item;
};

t.test('fields every item has', async (t) => {
  await refused(t, without('single_choice', 'stem'), '', 'stem');
  await refused(t, without('numeric', 'topic'), '', 'topic');
  await refused(t, bad('single_choice', { type: 'hotspot' }), '/type');
  await refused(t, without('single_choice', 'type'), '/type');
  await refused(t, bad('single_choice', { grade: 0 }), '/grade');
  await refused(t, bad('single_choice', { grade: 10.5 }), '/grade');
  await refused(t, bad('single_choice', { topic: 'Hàm số' }), '/topic');
  await refused(t, bad('single_choice', { cognitiveLevel: 5 }), '/cognitiveLevel');
  await refused(t, bad('single_choice', { sharing: 'world' }), '/sharing');
  await refused(t, bad('single_choice', { difficulty: 1.5 }), '/difficulty');
  await refused(t, bad('single_choice', { points: 0 }), '/points');
  await refused(t, bad('single_choice', { tags: ['a', 'a'] }), '/tags');
  await refused(t, bad('single_choice', { language: 'fr' }), '/language');
  const unknown = await refused(t, bad('single_choice', { answer: 'B' }), '');
  t.ok(unknown.some((d) => d.params?.unevaluatedProperty === 'answer'), 'an unknown field is named');
  await refused(t, [validItem('true_false')], '');
  await refused(t, bad('true_false', { stimulusId: 'nope' }), '/stimulusId');
});

t.test('single_choice', async (t) => {
  await refused(t, bad('single_choice', { correct: ['A', 'B'] }), '/correct');
  await refused(t, bad('single_choice', { correct: [] }), '/correct');
  await refused(t, bad('single_choice', { correct: ['E'] }), '/correct/0');
  await refused(t, bad('single_choice', { options: [{ id: 'A', text: 'x' }] }), '/options');
  await refused(t, bad('single_choice', { options: [{ id: 'A', text: 'x' }, { id: 'A', text: 'y' }], correct: ['A'] }), '/options/1/id');
  await refused(t, bad('single_choice', { options: [{ id: 'A' }, { id: 'B', text: 'y' }], correct: ['A'] }), '/options/0', 'text');
  await refused(t, bad('single_choice', { options: [{ id: 'A b', text: 'x' }, { id: 'B', text: 'y' }], correct: ['B'] }), '/options/0/id');
  await refused(t, without('single_choice', 'correct'), '', 'correct');
});

t.test('multiple_choice', async (t) => {
  await refused(t, bad('multiple_choice', { correct: [] }), '/correct');
  await refused(t, bad('multiple_choice', { correct: ['A', 'A'] }), '/correct/1');
  await refused(t, bad('multiple_choice', { correct: ['A', 'Z'] }), '/correct/1');
  await refused(t, bad('multiple_choice', { scoring: 'most' }), '/scoring');
  await refused(t, bad('multiple_choice', { options: 'A,B,C' }), '/options');
});

t.test('true_false', async (t) => {
  await refused(t, bad('true_false', { value: 'true' }), '/value');
  await refused(t, without('true_false', 'value'), '', 'value');
  await refused(t, bad('true_false', { options: [] }), '');
});

t.test('true_false_cluster', async (t) => {
  await refused(t, bad('true_false_cluster', { values: { a: true, b: false, c: false } }), '/values');
  await refused(t, bad('true_false_cluster', { values: { a: true, b: false, c: false, d: true, e: true } }), '/values/e');
  await refused(t, bad('true_false_cluster', { values: { a: 'yes', b: false, c: false, d: true } }), '/values/a');
  const three = { statements: [{ id: 'a', text: '1' }, { id: 'b', text: '2' }, { id: 'c', text: '3' }], values: { a: true, b: true, c: false } };
  await refused(t, bad('true_false_cluster', three), '/ladder');
  await refused(t, bad('true_false_cluster', { ...three, ladder: [0, 0.5, 1] }), '/ladder');
  t.equal((await post(bad('true_false_cluster', { ...three, ladder: [0, 0.25, 0.5, 1] }))).statusCode, 201, 'three statements with their own ladder');
  await refused(t, bad('true_false_cluster', { ladder: [0, 0.1, 0.25, 0.5, 2] }), '/ladder/4');
  await refused(t, bad('true_false_cluster', { statements: [{ id: 'a', text: '1' }, { id: 'a', text: '2' }, { id: 'c', text: '3' }, { id: 'd', text: '4' }] }), '/statements/1/id');
});

t.test('numeric', async (t) => {
  await refused(t, bad('numeric', { value: '-1,5' }), '/value');
  await refused(t, bad('numeric', { tolerance: -0.1 }), '/tolerance');
  await refused(t, without('numeric', 'value'), '', 'value');
  const noTolerance = (await post(without('numeric', 'tolerance'))).json();
  t.equal(noTolerance.tolerance, 0, 'tolerance defaults to 0');
});

t.test('short_text', async (t) => {
  await refused(t, bad('short_text', { accepted: [] }), '/accepted');
  await refused(t, bad('short_text', { accepted: [''] }), '/accepted/0');
  await refused(t, bad('short_text', { accepted: 'Hà Nội' }), '/accepted');
  await refused(t, bad('short_text', { caseSensitive: 'no' }), '/caseSensitive');
});

t.test('matching', async (t) => {
  await refused(t, bad('matching', { pairs: { p1: 'c9', p2: 'c2' } }), '/pairs/p1');
  await refused(t, bad('matching', { pairs: { p1: 'c1' } }), '/pairs');
  await refused(t, bad('matching', { pairs: { p1: 'c1', p2: 'c2', p9: 'c3' } }), '/pairs/p9');
  await refused(t, bad('matching', { premises: [{ id: 'p1', text: 'a' }, { id: 'p1', text: 'b' }], pairs: { p1: 'c1' } }), '/premises/1/id');
  await refused(t, without('matching', 'choices'), '', 'choices');
});

t.test('ordering', async (t) => {
  await refused(t, bad('ordering', { order: ['e1', 'e2'] }), '/order');
  await refused(t, bad('ordering', { order: ['e1', 'e2', 'e9'] }), '/order/2');
  await refused(t, bad('ordering', { order: ['e1', 'e1', 'e3'] }), '/order/1');
  await refused(t, bad('ordering', { elements: [{ id: 'e1', text: 'x' }] , order: ['e1'] }), '/elements');
});

t.test('cloze', async (t) => {
  await refused(t, bad('cloze', { text: '<p>{{b1}} và {{b2}} và {{b3}}</p>' }), '/text');
  await refused(t, bad('cloze', { text: '<p>Chỉ có {{b1}}</p>' }), '/blanks/1');
  await refused(t, bad('cloze', { text: '<p>{{b1}} {{b1}} {{b2}}</p>' }), '/blanks/0');
  await refused(t, bad('cloze', { blanks: [{ id: 'b1', accepted: ['x'], value: 1 }, { id: 'b2', value: 12 }] }), '/blanks/0');
  await refused(t, bad('cloze', { blanks: [{ id: 'b1' }, { id: 'b2', value: 12 }] }), '/blanks/0');
  await refused(t, bad('cloze', { blanks: [{ id: 'b1', accepted: ['x'] }, { id: 'b1', value: 12 }], text: '{{b1}}' }), '/blanks/1/id');
});

t.test('essay', async (t) => {
  await refused(t, bad('essay', { rubric: [] }), '/rubric');
  await refused(t, bad('essay', { rubric: [{ criterion: 'x', maxPoints: 0 }] }), '/rubric/0/maxPoints');
  await refused(t, bad('essay', { rubric: [{ maxPoints: 1 }] }), '/rubric/0', 'criterion');
  await refused(t, bad('essay', { maxWords: 0 }), '/maxWords');
});

t.test('malformed bodies answer with the error body, and nothing invalid was stored', async (t) => {
  const broken = await author({ method: 'POST', url: '/api/items', payload: '{"type":', headers: { 'content-type': 'application/json' } });
  t.equal(broken.statusCode, 400);
  t.equal(broken.json().error.code, 'bad_request');
  const list = await author({ method: 'GET', url: '/api/items?limit=200' });
  const items = list.json().items as { type: string }[];
  // 10 from the first test, plus the three-statement cluster and the tolerance-less numeric.
  t.equal(items.length, ITEM_TYPES.length + 3, 'only the valid items exist');
});

t.test('the JSON Schemas are published', async (t) => {
  const names = (await author({ method: 'GET', url: '/api/question-schemas' })).json().schemas as string[];
  for (const type of ITEM_TYPES) t.ok(names.includes(type), type);
  const sc = (await author({ method: 'GET', url: '/api/question-schemas/single_choice' })).json();
  t.equal(sc.$schema, 'https://json-schema.org/draft/2020-12/schema');
});
