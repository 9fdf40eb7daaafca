import t from 'tap';
import type { Sharing } from '../../src/bank/item-types.js';
import { build } from '../helper.js';
import { bankWorld, createItem, setStatus, validItem, type Caller, type UserKey } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const u = world.users;

const cell = { subject: 'chem', grade: 12, topic: 'phan-ung', cognitiveLevel: 3 };
const items: Record<string, string> = {};

/** One item per (owner, sharing), all in the same blueprint cell; every one but the private item approved. */
async function make(name: string, author: Caller, reviewer: Caller | null, sharing: Sharing) {
  const item = await createItem(author, validItem('single_choice', { ...cell, sharing, stem: `<p>Câu ${name}</p>` }));
  items[name] = item.id;
  if (reviewer) {
    for (const [who, status] of [[author, 'in_review'], [reviewer, 'approved']] as const) {
      const res = await setStatus(who, item.id, status);
      if (res.statusCode !== 200) throw new Error(`${name} ${status}: ${res.statusCode} ${res.body}`);
    }
  }
}
await make('A_private', u.authorA, null, 'private');
await make('A_org', u.authorA, u.reviewerA, 'org');
await make('A_subtree', u.authorA, u.reviewerA, 'subtree');
await make('A_national', u.authorA, u.reviewerA, 'national');
await make('Dep_org', u.authorDep, u.reviewerDep, 'org');
await make('Dep_subtree', u.authorDep, u.reviewerDep, 'subtree');
await make('Min_org', u.authorMinistry, u.reviewerMinistry, 'org');
await make('Min_subtree', u.authorMinistry, u.reviewerMinistry, 'subtree');

/** Who sees what: schools A and B under the Hà Nội department, school C under another, and the ministry. */
const SEES: Partial<Record<UserKey, string[]>> = {
  authorA: ['A_private', 'A_org', 'A_subtree', 'A_national', 'Dep_subtree', 'Min_subtree'],
  authorA2: ['A_org', 'A_subtree', 'A_national', 'Dep_subtree', 'Min_subtree'],
  reviewerA: ['A_org', 'A_subtree', 'A_national', 'Dep_subtree', 'Min_subtree'],
  authorB: ['A_national', 'Dep_subtree', 'Min_subtree'],
  reviewerDep: ['A_org', 'A_subtree', 'A_national', 'Dep_org', 'Dep_subtree', 'Min_subtree'],
  managerDep: ['A_org', 'A_subtree', 'A_national', 'Dep_org', 'Dep_subtree', 'Min_subtree'],
  authorC: ['A_national', 'Min_subtree'],
  reviewerMinistry: ['A_org', 'A_subtree', 'A_national', 'Dep_org', 'Dep_subtree', 'Min_org', 'Min_subtree'],
};

const names = (ids: string[]) => Object.keys(items).filter((n) => ids.includes(items[n]!)).sort();

t.test('lists, reads and search show exactly what sharing allows', async (t) => {
  for (const [who, expected] of Object.entries(SEES) as [UserKey, string[]][]) {
    const list = await u[who]({ method: 'GET', url: '/api/items?limit=200' });
    t.equal(list.statusCode, 200);
    t.same(names(list.json().items.map((i: { id: string }) => i.id)), [...expected].sort(), `${who} lists`);
    const found = await u[who]({ method: 'GET', url: `/api/items?q=${encodeURIComponent('câu')}&subject=chem` });
    t.same(names(found.json().items.map((i: { id: string }) => i.id)), [...expected].sort(), `${who} searches`);
    for (const [name, id] of Object.entries(items)) {
      const res = await u[who]({ method: 'GET', url: `/api/items/${id}` });
      t.equal(res.statusCode, expected.includes(name) ? 200 : 404, `${who} reads ${name}`);
      if (res.statusCode === 404) t.equal(res.json().error.code, 'not_found');
    }
  }
});

t.test('candidates and proctors never read the bank', async (t) => {
  for (const who of ['candidateA', 'proctorA'] as const) {
    t.equal((await u[who]({ method: 'GET', url: '/api/items' })).statusCode, 403, `${who} lists`);
    t.equal((await u[who]({ method: 'GET', url: `/api/items/${items.A_national}` })).statusCode, 403, `${who} reads`);
    t.equal((await u[who]({ method: 'POST', url: '/api/items', payload: validItem('true_false') })).statusCode, 403, `${who} writes`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/items' })).statusCode, 401, 'anonymous');
});

t.test('the key only for those who may author or review the item', async (t) => {
  const read = async (who: UserKey, name: string) => (await u[who]({ method: 'GET', url: `/api/items/${items[name]}` })).json();
  for (const [who, name] of [['authorA2', 'A_org'], ['reviewerA', 'A_org'], ['reviewerDep', 'A_org'], ['authorDep', 'Dep_org'], ['reviewerMinistry', 'A_national']] as const) {
    const item = await read(who, name);
    t.equal(item.keyIncluded, true, `${who} gets the key of ${name}`);
    t.same(item.correct, ['B']);
  }
  for (const [who, name] of [['managerDep', 'A_org'], ['authorB', 'A_national'], ['authorC', 'Min_subtree']] as const) {
    const item = await read(who, name);
    t.equal(item.keyIncluded, false, `${who} reads ${name} without key`);
    t.notOk('correct' in item);
    t.equal(item.options.length, 4, 'but with its options');
  }
  const cloze = await createItem(u.authorA, validItem('cloze', { sharing: 'national' }));
  const seen = (await u.authorB({ method: 'GET', url: `/api/items/${cloze.id}` })).json();
  t.same(seen.blanks, [{ id: 'b1' }, { id: 'b2' }], 'cloze blanks without answers');
  const essay = await createItem(u.authorA, validItem('essay', { sharing: 'national' }));
  t.notOk('rubric' in (await u.authorC({ method: 'GET', url: `/api/items/${essay.id}` })).json(), 'essay rubric is scoring data');
  const list = (await u.managerDep({ method: 'GET', url: '/api/items?limit=200' })).json().items as Record<string, unknown>[];
  t.ok(list.length > 0 && list.every((i) => !('correct' in i) && i.keyIncluded === false), 'lists leave keys out too');
});

t.test('edits follow the author role down the tree, and invisible items stay invisible', async (t) => {
  const body = (name: string) => ({ ...validItem('single_choice', { ...cell, sharing: name.endsWith('national') ? 'national' : 'org', stem: `<p>Câu ${name} sửa</p>` }), revision: 1 });
  const edit = (who: UserKey, name: string) => u[who]({ method: 'PUT', url: `/api/items/${items[name]}`, payload: body(name) });
  t.equal((await edit('authorB', 'A_org')).statusCode, 404, 'another school cannot even see it');
  t.equal((await edit('authorB', 'A_national')).statusCode, 403, 'visible is not editable');
  t.equal((await edit('reviewerA', 'A_org')).statusCode, 403, 'reviewers do not write');
  t.equal((await edit('authorA2', 'A_private')).statusCode, 404, 'private is the creator’s alone');
  t.equal((await edit('authorDep', 'A_org')).statusCode, 200, 'an author of the department above edits a school item');
  t.equal((await edit('authorA', 'A_private')).statusCode, 200);
  const status = await u.authorB({ method: 'POST', url: `/api/items/${items.A_org}/status`, payload: { status: 'in_review' } });
  t.equal(status.statusCode, 404);
});

t.test('new items belong to an organisation where the writer is an author', async (t) => {
  const two = await u.authorTwoSchools({ method: 'POST', url: '/api/items', payload: validItem('true_false') });
  t.equal(two.statusCode, 400, 'an author at two schools must say which');
  t.match(two.json().error.details, [{ instancePath: '/ownerOrgId' }]);
  const inB = await u.authorTwoSchools({ method: 'POST', url: '/api/items', payload: validItem('true_false', { ownerOrgId: world.orgs.schoolB }) });
  t.equal(inB.statusCode, 201);
  t.equal(inB.json().ownerOrgId, world.orgs.schoolB);
  const elsewhere = await u.authorA({ method: 'POST', url: '/api/items', payload: validItem('true_false', { ownerOrgId: world.orgs.schoolC }) });
  t.equal(elsewhere.statusCode, 403);
  const below = await u.authorDep({ method: 'POST', url: '/api/items', payload: validItem('true_false', { ownerOrgId: world.orgs.schoolA }) });
  t.equal(below.statusCode, 201, 'a department author may write for a school below');
  const nowhere = await u.authorA({ method: 'POST', url: '/api/items', payload: validItem('true_false', { ownerOrgId: 'no-such-org' }) });
  t.equal(nowhere.statusCode, 400);
  t.equal((await u.reviewerA({ method: 'POST', url: '/api/items', payload: validItem('true_false') })).statusCode, 403, 'reviewers do not write');
});

t.test('form assembly draws what each organisation may use', async (t) => {
  const pool = async (orgId: string) => names((await app.bank.pools.approvedPool({ orgId, ...cell, cognitiveLevel: 3 })).map((r) => r.itemId));
  t.same(await pool(world.orgs.schoolA), ['A_national', 'A_org', 'A_subtree', 'Dep_subtree', 'Min_subtree']);
  t.same(await pool(world.orgs.schoolB), ['A_national', 'Dep_subtree', 'Min_subtree']);
  t.same(await pool(world.orgs.depHN), ['A_national', 'Dep_org', 'Dep_subtree', 'Min_subtree']);
  t.same(await pool(world.orgs.schoolC), ['A_national', 'Min_subtree']);
  t.same(await pool(world.orgs.root), ['A_national', 'Min_org', 'Min_subtree']);
  const ids = (await app.bank.pools.approvedPool({ orgId: world.orgs.root, ...cell, cognitiveLevel: 3 })).map((r) => r.itemId);
  t.same(ids, [...ids].sort(), 'sorted by item id');
  t.same(await app.bank.pools.approvedPool({ orgId: 'nowhere', ...cell, cognitiveLevel: 3 }), []);

  const cells = [
    { topic: cell.topic, cognitiveLevel: 3 as const },
    { topic: cell.topic, cognitiveLevel: 3 as const, type: 'numeric' as const },
    { topic: 'other', cognitiveLevel: 1 as const },
  ];
  for (const orgId of Object.values(world.orgs)) {
    const many = await app.bank.pools.approvedPools(orgId, cell.subject, cell.grade, cells);
    const one = await Promise.all(cells.map((c) => app.bank.pools.approvedPool({ orgId, subject: cell.subject, grade: cell.grade, ...c })));
    const pins = (pools: { itemId: string; revision: number; difficulty?: number }[][]) => pools.map((p) => p.map((x) => [x.itemId, x.revision, x.difficulty]));
    t.same(pins(many), pins(one), 'approvedPools answers as approvedPool does, cell by cell');
  }
});
