import t, { type Test } from 'tap';
import type { ItemRevision } from '../../src/bank/item-types.js';
import { build } from '../helper.js';
import { approvedItem, bankWorld, createItem, setStatus, validItem, type Caller } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const { authorA, authorA2, reviewerA, authorReviewerA, adminA, reviewerB, reviewerDep, authorB } = world.users;

/** The key of a single/multiple choice revision. */
const keyOf = (r: ItemRevision) => (r.type === 'single_choice' || r.type === 'multiple_choice' ? r.correct : null);

async function put(user: Caller, id: string, body: Record<string, unknown>) {
  return user({ method: 'PUT', url: `/api/items/${id}`, payload: body });
}

async function get(user: Caller, id: string, revision?: number) {
  return user({ method: 'GET', url: `/api/items/${id}${revision ? `?revision=${revision}` : ''}` });
}

async function expectStatus(t: Test, user: Caller, id: string, to: string, code: number, errorCode?: string, revision?: number) {
  const res = await setStatus(user, id, to, revision);
  t.equal(res.statusCode, code, `→ ${to}: ${res.statusCode} ${res.statusCode === code ? '' : res.body}`);
  if (errorCode) t.equal(res.json().error.code, errorCode);
  return res;
}

t.test('every PUT is a new revision; earlier revisions stay readable', async (t) => {
  const item = await createItem(authorA, validItem('single_choice'));
  const v2 = await put(authorA, item.id, { ...validItem('single_choice', { stem: '<p>Sửa lần 1</p>' }), revision: 1 });
  t.equal(v2.statusCode, 200, v2.body);
  t.match(v2.json(), { id: item.id, revision: 2, status: 'draft', latestRevision: 2, stem: '<p>Sửa lần 1</p>' });
  // A GET answer can be sent back as it is, with the change applied.
  const latest = (await get(authorA, item.id)).json();
  const v3 = await put(authorA2, item.id, { ...latest, stem: '<p>Sửa lần 2</p>' });
  t.equal(v3.statusCode, 200, v3.body);
  t.match(v3.json(), { revision: 3, authorId: world.ids.authorA2, createdBy: world.ids.authorA });

  t.equal((await get(authorA, item.id)).json().stem, '<p>Sửa lần 2</p>');
  t.equal((await get(authorA, item.id, 1)).json().stem, item.stem, 'revision 1 as first written');
  t.match((await get(authorA, item.id, 1)).json(), { revision: 1, latestRevision: 3, authorId: world.ids.authorA });
  t.equal((await get(authorA, item.id, 2)).json().stem, '<p>Sửa lần 1</p>');
  t.equal((await get(authorA, item.id, 4)).statusCode, 404, 'no revision 4 yet');
});

t.test('an edit based on a stale revision is a conflict', async (t) => {
  const item = await createItem(authorA, validItem('numeric'));
  t.equal((await put(authorA, item.id, { ...validItem('numeric', { value: 2 }), revision: 1 })).statusCode, 200);
  const stale = await put(authorA2, item.id, { ...validItem('numeric', { value: 3 }), revision: 1 });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().error.code, 'revision_conflict');
  t.match(stale.json().error.details, [{ basedOn: 1, latestRevision: 2 }]);
  t.equal((await get(authorA, item.id)).json().value, 2, 'the losing edit left no trace');

  const race = await Promise.all([3, 4, 5, 6].map((value) => put(authorA, item.id, { ...validItem('numeric', { value }), revision: 2 })));
  t.same(race.map((r) => r.statusCode).sort(), [200, 409, 409, 409], 'of four edits on the same base exactly one wins');
  const now = (await get(authorA, item.id)).json();
  t.equal(now.revision, 3);
  t.equal(now.value, race.find((r) => r.statusCode === 200)!.json().value, 'and it is the stored one');

  const missing = await put(authorA, item.id, validItem('numeric'));
  t.equal(missing.statusCode, 400, 'a PUT must say its base revision');
  const moved = await put(authorA, item.id, { ...validItem('numeric'), revision: 3, ownerOrgId: world.orgs.schoolB });
  t.equal(moved.statusCode, 400);
  t.match(moved.json().error.details, [{ instancePath: '/ownerOrgId' }]);
  const invalid = await put(authorA, item.id, { ...validItem('numeric', { value: 'x' }), revision: 3 });
  t.equal(invalid.statusCode, 400);
  t.equal((await get(authorA, item.id)).json().revision, 3, 'refused edits store nothing');
});

t.test('every allowed transition, and the refused ones', async (t) => {
  const item = await createItem(authorA, validItem('true_false'));
  const id = item.id;
  // draft
  for (const to of ['approved', 'retired', 'draft']) await expectStatus(t, authorA, id, to, 409, 'invalid_transition');
  await expectStatus(t, reviewerA, id, 'in_review', 403, 'forbidden');
  await expectStatus(t, authorA, id, 'in_review', 200);
  // in_review
  for (const to of ['in_review', 'retired']) await expectStatus(t, reviewerA, id, to, 409, 'invalid_transition');
  await expectStatus(t, authorA, id, 'approved', 403, 'forbidden');
  await expectStatus(t, authorA2, id, 'approved', 403, 'forbidden');
  await expectStatus(t, reviewerA, id, 'draft', 200);
  await expectStatus(t, authorA, id, 'in_review', 200);
  const approved = await expectStatus(t, reviewerA, id, 'approved', 200);
  t.match(approved.json(), { status: 'approved', approvedRevision: 1 });
  // approved
  for (const to of ['draft', 'in_review', 'approved']) await expectStatus(t, reviewerA, id, to, 409, 'invalid_transition');
  await expectStatus(t, authorA, id, 'retired', 403, 'forbidden');
  await expectStatus(t, reviewerA, id, 'retired', 200);
  // retired
  for (const to of ['draft', 'in_review', 'approved', 'retired']) await expectStatus(t, reviewerA, id, to, 409, 'invalid_transition');
  t.match((await get(authorA, id)).json(), { status: 'retired', approvedRevision: null });

  const other = await approvedItem(authorA, reviewerDep, validItem('true_false'));
  t.equal((await get(authorA, other.id)).json().status, 'approved', 'a reviewer of the department above reviews a school item');
  await expectStatus(t, adminA, other.id, 'retired', 200);
  const bogus = await setStatus(reviewerA, other.id, 'published');
  t.equal(bogus.statusCode, 400, 'an unknown status is a validation error');
});

t.test('four eyes: nobody approves or rejects their own revision', async (t) => {
  const item = await createItem(authorReviewerA, validItem('true_false'));
  await expectStatus(t, authorReviewerA, item.id, 'in_review', 200);
  const self = await expectStatus(t, authorReviewerA, item.id, 'approved', 403, 'forbidden');
  t.match(self.json().error.message, /author of a revision/);
  await expectStatus(t, authorReviewerA, item.id, 'draft', 403, 'forbidden');
  // Once someone else writes the latest revision, the first author may review it.
  const v2 = await put(authorA, item.id, { ...validItem('true_false', { value: false }), revision: 1 });
  t.equal(v2.statusCode, 200);
  await expectStatus(t, authorA, item.id, 'in_review', 200);
  await expectStatus(t, authorA, item.id, 'approved', 403, 'forbidden');
  await expectStatus(t, authorReviewerA, item.id, 'approved', 200);
  t.match((await get(reviewerA, item.id)).json(), { revision: 2, status: 'approved', value: false });
  t.match((await get(reviewerA, item.id, 1)).json(), { revision: 1, status: 'in_review' }, 'status is per revision');
});

t.test('reviewers elsewhere cannot review', async (t) => {
  const orgItem = await createItem(authorA, validItem('true_false'));
  await expectStatus(t, authorA, orgItem.id, 'in_review', 200);
  await expectStatus(t, reviewerB, orgItem.id, 'approved', 404, 'not_found');
  const national = await createItem(authorA, validItem('true_false', { sharing: 'national' }));
  await expectStatus(t, authorA, national.id, 'in_review', 200);
  await expectStatus(t, reviewerB, national.id, 'approved', 403, 'forbidden');
  await expectStatus(t, authorB, national.id, 'in_review', 409, 'invalid_transition');
});

t.test('the latest approved revision feeds assembly until a newer one is approved', async (t) => {
  const cell = { orgId: world.orgs.schoolA, subject: 'physics', grade: 11, topic: 'dao-dong', cognitiveLevel: 2 as const };
  const item = await approvedItem(authorA, reviewerA, validItem('single_choice', { subject: 'physics', grade: 11, topic: 'dao-dong', cognitiveLevel: 2 }));
  let pool = await app.bank.pools.approvedPool(cell);
  t.same(pool.map((p) => [p.itemId, p.revision, p.status]), [[item.id, 1, 'approved']]);
  t.same(keyOf(pool[0]!), ['B'], 'the pool carries the key');

  const v2 = await put(authorA2, item.id, { ...validItem('single_choice', { subject: 'physics', grade: 11, topic: 'dao-dong', cognitiveLevel: 2, correct: ['C'] }), revision: 1 });
  t.equal(v2.statusCode, 200);
  t.match((await get(authorA, item.id)).json(), { revision: 2, status: 'draft', approvedRevision: 1 });
  pool = await app.bank.pools.approvedPool(cell);
  t.same(pool.map((p) => [p.revision, keyOf(p)]), [[1, ['B']]], 'a draft does not displace the approved revision');
  t.same((await app.bank.pools.approvedPool({ ...cell, type: 'single_choice' })).length, 1);
  t.same((await app.bank.pools.approvedPool({ ...cell, type: 'numeric' })).length, 0);

  await expectStatus(t, authorA2, item.id, 'in_review', 200);
  await expectStatus(t, reviewerA, item.id, 'approved', 200);
  pool = await app.bank.pools.approvedPool(cell);
  t.same(pool.map((p) => [p.revision, keyOf(p)]), [[2, ['C']]]);

  t.notOk(pool[0]!.difficulty, 'no difficulty before analysis');
  t.equal(await app.bank.items.setStatistics(item.id, { difficulty: 0.62, n: 480 }), true);
  pool = await app.bank.pools.approvedPool(cell);
  t.equal(pool[0]!.difficulty, 0.62, 'item analysis difficulty reaches assembly');
  t.match((await get(authorA, item.id)).json(), { revision: 2, latestRevision: 2, stats: { difficulty: 0.62, n: 480 } }, 'statistics make no revision');
  t.equal(await app.bank.items.setStatistics('000000000000000000000000', { difficulty: 0.5 }), false);

  const pinned = await app.bank.pools.revisions([{ itemId: item.id, revision: 1 }, { itemId: item.id, revision: 2 }, { itemId: item.id, revision: 7 }]);
  t.same(pinned.map((p) => [p.revision, p.status, keyOf(p)]), [[1, 'approved', ['B']], [2, 'approved', ['C']]], 'pins read exact revisions');
  t.ok(pinned[0]!.createdAt instanceof Date);

  await expectStatus(t, reviewerA, item.id, 'retired', 200);
  t.same(await app.bank.pools.approvedPool(cell), [], 'retired items leave the pool');
});

t.test('a transition may name an older revision', async (t) => {
  const item = await createItem(authorA, validItem('essay'));
  await expectStatus(t, authorA, item.id, 'in_review', 200);
  t.equal((await put(authorA, item.id, { ...validItem('essay', { maxWords: 500 }), revision: 1 })).statusCode, 200);
  await expectStatus(t, reviewerA, item.id, 'approved', 200, undefined, 1);
  t.match((await get(authorA, item.id)).json(), { revision: 2, status: 'draft', approvedRevision: 1 });
  await expectStatus(t, reviewerA, item.id, 'approved', 404, 'not_found', 9);
});
