import t from 'tap';
import { ITEM_TYPES } from '../../src/bank/item-types.js';
import { pinnedPassages } from '../../src/bank/stimulus-revisions.js';
import { build } from '../helper.js';
import { bankWorld, createItem, validItem } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const { authorA, authorB, reviewerA, authorTwoSchools } = world.users;

type Result = { index: number; id?: string; revision?: number; error?: { code: string; message: string; details: { instancePath: string }[] } };

async function bulk(user = authorA, items: unknown[]) {
  return user({ method: 'POST', url: '/api/items/bulk', payload: { items } });
}

t.test('each item answers for itself; the bad ones are not stored', async (t) => {
  const items: unknown[] = ITEM_TYPES.map((type) => validItem(type, { subject: 'bulk' }));
  items.splice(2, 0, validItem('numeric', { subject: 'bulk', value: 'x' }));
  items.splice(5, 0, { ...validItem('cloze', { subject: 'bulk' }), text: 'no markers' });
  items.push('not an item', validItem('single_choice', { subject: 'bulk', stimulusId: 'missing' }));
  const res = await bulk(authorA, items);
  t.equal(res.statusCode, 200);
  const results = res.json().results as Result[];
  t.same(results.map((r) => r.index), items.map((_, i) => i), 'one result per item, in order');
  const failed = results.filter((r) => r.error);
  t.same(failed.map((r) => r.index), [2, 5, 12, 13]);
  t.match(failed[0]!.error, { code: 'validation_failed', details: [{ instancePath: '/value' }] });
  t.match(failed[1]!.error, { code: 'validation_failed', details: [{ instancePath: '/blanks/0' }, { instancePath: '/blanks/1' }] });
  t.match(failed[2]!.error, { code: 'validation_failed', details: [{ instancePath: '' }] });
  t.match(failed[3]!.error, { code: 'validation_failed', details: [{ instancePath: '/stimulusId' }] });
  const stored = results.filter((r) => r.id);
  t.equal(stored.length, ITEM_TYPES.length);
  for (const r of stored) {
    const got = await authorA({ method: 'GET', url: `/api/items/${r.id}` });
    t.equal(got.statusCode, 200);
    t.match(got.json(), { revision: 1, status: 'draft', subject: 'bulk', type: (items[r.index] as { type: string }).type });
  }
  const listed = (await authorA({ method: 'GET', url: '/api/items?subject=bulk&limit=200' })).json().items;
  t.equal(listed.length, ITEM_TYPES.length, 'nothing else was stored');
});

t.test('per-item ownership', async (t) => {
  const res = await bulk(authorTwoSchools, [
    validItem('true_false', { ownerOrgId: world.orgs.schoolA }),
    validItem('true_false', { ownerOrgId: world.orgs.schoolC }),
    validItem('true_false'),
    validItem('true_false', { ownerOrgId: world.orgs.schoolB }),
  ]);
  const results = res.json().results as Result[];
  t.ok(results[0]!.id);
  t.equal(results[1]!.error?.code, 'forbidden');
  t.equal(results[2]!.error?.code, 'validation_failed');
  t.ok(results[3]!.id);
  t.equal((await authorB({ method: 'GET', url: `/api/items/${results[3]!.id}` })).json().ownerOrgId, world.orgs.schoolB);
});

t.test('limits of the bulk call', async (t) => {
  const many = await bulk(authorA, Array.from({ length: 1000 }, (_, i) => validItem('single_choice', { subject: 'many', stem: `<p>Câu số ${i}</p>` })));
  t.equal(many.statusCode, 200);
  t.equal((many.json().results as Result[]).filter((r) => r.id).length, 1000, '1,000 items in one call');
  const tooMany = await bulk(authorA, Array.from({ length: 1001 }, () => validItem('true_false')));
  t.equal(tooMany.statusCode, 400);
  t.match(tooMany.json().error, { code: 'validation_failed', details: [{ instancePath: '/items' }] });
  t.equal((await bulk(authorA, [])).statusCode, 400);
  // Fastify's request coercion wraps a lone value in an array, so it fails as item 0.
  const lone = await authorA({ method: 'POST', url: '/api/items/bulk', payload: { items: 'x' } });
  t.match(lone.json().results, [{ index: 0, error: { code: 'validation_failed' } }]);
  t.equal((await authorA({ method: 'POST', url: '/api/items/bulk', payload: { things: [] } })).statusCode, 400);
  t.equal((await bulk(reviewerA, [validItem('true_false')])).statusCode, 403, 'only authors write');
});

t.test('stimuli: shared passages with their items', async (t) => {
  const passage = {
    title: 'Bài đọc: Sông Hồng',
    content: '<p>Sông Hồng <b>bắt nguồn</b> từ Vân Nam.</p><script>alert(1)</script>',
    subject: 'literature',
    grade: 9,
  };
  const created = await authorA({ method: 'POST', url: '/api/stimuli', payload: passage });
  t.equal(created.statusCode, 201, created.body);
  const stimulus = created.json();
  t.match(stimulus, { title: passage.title, content: '<p>Sông Hồng <b>bắt nguồn</b> từ Vân Nam.</p>', sharing: 'org', ownerOrgId: world.orgs.schoolA, items: [] });

  const second = await createItem(authorA, validItem('true_false', { stimulusId: stimulus.id, stimulusOrder: 2, subject: 'literature' }));
  const first = await createItem(authorA, validItem('short_text', { stimulusId: stimulus.id, stimulusOrder: 1, subject: 'literature' }));
  const third = await createItem(authorA, validItem('essay', { stimulusId: stimulus.id, subject: 'literature' }));
  const read = (await authorA({ method: 'GET', url: `/api/stimuli/${stimulus.id}` })).json();
  t.same(read.items.map((i: { id: string }) => i.id), [first.id, second.id, third.id], 'items in authored order');
  t.match(read.items[0], { revision: 1, status: 'draft', type: 'short_text', stimulusOrder: 1 });
  const byStimulus = (await authorA({ method: 'GET', url: `/api/items?stimulusId=${stimulus.id}` })).json().items;
  t.equal(byStimulus.length, 3);

  t.equal((await authorB({ method: 'GET', url: `/api/stimuli/${stimulus.id}` })).statusCode, 404, 'an org passage is invisible to another school');
  const refused = await authorB({ method: 'POST', url: '/api/items', payload: validItem('true_false', { stimulusId: stimulus.id }) });
  t.equal(refused.statusCode, 400, 'and cannot be attached there');
  t.match(refused.json().error.details, [{ instancePath: '/stimulusId' }]);

  const shared = (await authorA({ method: 'POST', url: '/api/stimuli', payload: { ...passage, sharing: 'national' } })).json();
  t.equal((await authorB({ method: 'GET', url: `/api/stimuli/${shared.id}` })).statusCode, 200);
  t.equal((await authorB({ method: 'POST', url: '/api/items', payload: validItem('true_false', { stimulusId: shared.id }) })).statusCode, 201);

  const bad = await authorA({ method: 'POST', url: '/api/stimuli', payload: { title: '', content: '<script>x</script>', subject: 'x', colour: 'red' } });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error.code, 'validation_failed');
  t.equal((await reviewerA({ method: 'POST', url: '/api/stimuli', payload: passage })).statusCode, 403);
  t.equal((await world.users.candidateA({ method: 'GET', url: `/api/stimuli/${stimulus.id}` })).statusCode, 403);

  const forPrinting = await pinnedPassages(app.models, [{ stimulusId: stimulus.id, revision: 1 }, { stimulusId: 'missing', revision: 1 }]);
  t.same([...forPrinting.keys()], [stimulus.id]);
});
