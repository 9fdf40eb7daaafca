import t from 'tap';
import { Redis } from 'ioredis';
import { DatabaseSearchIndex } from '../../src/bank/database-search-index.js';
import { createBank, type SearchQuery } from '../../src/bank/index.js';
import { RedisSearchIndex } from '../../src/bank/redis-search-index.js';
import type { Principal } from '../../src/orgs/access.js';
import { build } from '../helper.js';
import { bankWorld, createItem, setStatus, validItem, type Caller, type UserKey } from '../support/fixtures/index.js';

// The Redis search index (src/bank/redis-search-index.ts) must answer exactly
// as the database implementation (database-search-index.ts) does: same ids,
// same order, same pages, same answers, for every caller.

const { app, config, name } = await build(t, { BANK_SEARCH: 'redis' });
const world = await bankWorld(app);
const u = world.users;
const index = app.bank.index;
if (!(index instanceof RedisSearchIndex)) throw new Error('BANK_SEARCH=redis builds the Redis index');
await index.ensureBuilt();
/** The same bank over the database implementation. */
const database = createBank({ models: app.models, access: app.access, orgs: app.orgs, index: new DatabaseSearchIndex(app.models) });

/** Counts searches the index answered (null answers mean the database implementation ran). */
let indexed = 0;
const lookup = index.lookup.bind(index);
index.lookup = async (...args) => {
  const ids = await lookup(...args);
  if (ids) indexed++;
  return ids;
};

const GRANTS: Partial<Record<UserKey, [string, keyof typeof world.orgs][]>> = {
  authorA: [['author', 'schoolA']],
  authorB: [['author', 'schoolB']],
  reviewerA: [['reviewer', 'schoolA']],
  reviewerDep: [['reviewer', 'depHN']],
  managerDep: [['exam_manager', 'depHN']],
  authorC: [['author', 'schoolC']],
  reviewerMinistry: [['reviewer', 'root']],
};
const principal = (who: UserKey): Principal => ({
  id: world.ids[who],
  username: who,
  displayName: who,
  roles: GRANTS[who]!.map(([role, org]) => ({ role, orgId: world.orgs[org] })) as Principal['roles'],
  jti: 'test',
  exp: Date.now() / 1000 + 3600,
});

// A varied bank: five owners, every sharing, several subjects, grades, levels, types, tags, words.
const STEMS = ['Giải phương trình bậc hai', 'PHƯƠNG TRÌNH lượng giác', 'Đường tròn nội tiếp', 'Đạo hàm của hàm số', 'Tích phân xác định', 'Dao động điều hòa', 'Đồ thị hàm số bậc ba'];
const SHARING = ['private', 'org', 'subtree', 'national'] as const;
const TYPES = ['single_choice', 'true_false', 'numeric', 'short_text'] as const;
const owners: [Caller, number][] = [[u.authorA, 24], [u.authorB, 10], [u.authorDep, 10], [u.authorMinistry, 8], [u.authorC, 6]];
const created: string[] = [];
let n = 0;
for (const [author, count] of owners) {
  const items = Array.from({ length: count }, () => {
    const i = n++;
    return validItem(TYPES[i % TYPES.length]!, {
      stem: `<p>${STEMS[i % STEMS.length]} (câu ${i})</p>`,
      subject: ['math', 'physics'][i % 2],
      grade: 10 + (i % 3),
      topic: ['ham-so', 'luong-giac', 'dao-dong'][i % 3],
      cognitiveLevel: 1 + (i % 4),
      sharing: SHARING[Math.floor(i / 2) % SHARING.length],
      tags: i % 5 === 0 ? ['đề thi', 'thpt'] : ['thpt'],
    });
  });
  const res = await author({ method: 'POST', url: '/api/items/bulk', payload: { items } });
  if (res.statusCode !== 200) throw new Error(res.body);
  for (const r of res.json().results) created.push(r.id);
}
// Some move along the workflow, so status filters and pools have something to find.
for (const id of created.slice(0, 12)) {
  await setStatus(u.authorA, id, 'in_review');
  await setStatus(u.reviewerA, id, 'approved');
}
for (const id of created.slice(24, 28)) {
  await setStatus(u.authorB, id, 'in_review');
}

const QUERIES: Omit<SearchQuery, 'limit' | 'cursor'>[] = [
  {},
  { subject: 'math' },
  { subject: 'physics', grade: 11 },
  { topic: 'luong-giac', cognitiveLevel: 2 },
  { type: 'numeric' },
  { status: 'approved' },
  { status: 'in_review', subject: 'physics' },
  { tag: 'đề thi' },
  { tag: 'đề thi'.normalize('NFD') },
  { q: 'phuong trinh' },
  { q: 'PHƯƠNG TRÌNH'.normalize('NFD') },
  { q: 'đường' },
  { q: 'DUONG tron' },
  { q: 'ham so', subject: 'math', grade: 12 },
  { q: 'cau', status: 'draft' },
  { q: '  !!  ' },
  { q: 'khong co tu nay' },
  { subject: 'chemistry' },
];

/** Every page of a query, limit `limit`: ids per page and the cursors handed out. */
async function pages(who: UserKey, query: Omit<SearchQuery, 'limit' | 'cursor'>, limit: number, useIndex: boolean) {
  const out: { ids: string[]; next: string | null; body: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await (useIndex ? app.bank : database).search.search(principal(who), { ...query, limit, ...(cursor ? { cursor } : {}) });
    // The whole answer, not only the ids: the index path builds views from its head snapshots and revision cache.
    out.push({ ids: page.items.map((i) => i.id), next: page.nextCursor, body: JSON.stringify(page.items) });
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < 100);
  return out;
}

t.test('the index answers every query exactly as the database does, page by page', async (t) => {
  const before = indexed;
  for (const who of Object.keys(GRANTS) as UserKey[]) {
    for (const query of QUERIES) {
      const label = `${who} ${JSON.stringify(query)}`;
      const db = await pages(who, query, 7, false);
      const ix = await pages(who, query, 7, true);
      t.same(ix, db, label);
      const all = ix.flatMap((p) => p.ids);
      t.equal(new Set(all).size, all.length, `${label}: no repeats`);
      t.same(all, [...all].sort(), `${label}: in id order`);
    }
  }
  t.ok(indexed > before, 'the index served those searches');
  // Visibility really differs between callers (so the comparison above means something).
  const seen = async (who: UserKey) => (await pages(who, {}, 200, true))[0]!.ids.length;
  t.not(await seen('authorA'), await seen('authorC'));
  t.not(await seen('reviewerMinistry'), await seen('authorB'));
});

t.test('assembly pools from the index equal the database implementation', async (t) => {
  const cells = [
    { topic: 'ham-so', cognitiveLevel: 1 as const },
    { topic: 'luong-giac', cognitiveLevel: 2 as const, type: 'true_false' as const },
    { topic: 'dao-dong', cognitiveLevel: 3 as const },
    { topic: 'ham-so', cognitiveLevel: 4 as const },
  ];
  let total = 0;
  for (const orgId of Object.values(world.orgs)) {
    for (const subject of ['math', 'physics']) {
      for (const grade of [10, 11, 12]) {
        const ix = await app.bank.pools.approvedPools(orgId, subject, grade, cells);
        t.same(ix, await database.pools.approvedPools(orgId, subject, grade, cells), `${orgId} ${subject} ${grade}`);
        total += ix.flat().length;
      }
    }
  }
  t.ok(total > 0, 'some pools are not empty');
});

t.test('edits, status and sharing changes show at once', async (t) => {
  const item = await createItem(u.authorA, validItem('numeric', { stem: '<p>Câu riêng tư về nhiệt động học</p>', subject: 'thermo', sharing: 'private' }));
  const ids = async (who: UserKey, query: Omit<SearchQuery, 'limit' | 'cursor'>) => {
    const ix = (await app.bank.search.search(principal(who), { ...query, limit: 200 })).items.map((i) => i.id);
    t.same(ix, (await database.search.search(principal(who), { ...query, limit: 200 })).items.map((i) => i.id), `${who} ${JSON.stringify(query)} as the database`);
    return ix;
  };
  t.same(await ids('authorA', { q: 'nhiet dong hoc' }), [item.id]);
  t.same(await ids('authorB', { q: 'nhiet dong hoc' }), [], 'private: others do not find it');

  const put = await u.authorA({ method: 'PUT', url: `/api/items/${item.id}`, payload: validItem('numeric', { stem: '<p>Câu chung về động lực học</p>', subject: 'mechanics', sharing: 'national', revision: 1 }) });
  t.equal(put.statusCode, 200);
  t.same(await ids('authorB', { q: 'dong luc hoc' }), [item.id], 'now national: found by another school, by its new words');
  t.same(await ids('authorA', { q: 'nhiet dong hoc' }), [], 'old words are gone');
  t.same(await ids('authorC', { subject: 'mechanics' }), [item.id]);
  t.same(await ids('authorC', { subject: 'thermo' }), []);

  t.equal((await setStatus(u.authorA, item.id, 'in_review')).statusCode, 200);
  t.same(await ids('authorB', { status: 'in_review', subject: 'mechanics' }), [item.id]);
  t.same(await ids('authorB', { status: 'draft', subject: 'mechanics' }), []);
  t.equal((await setStatus(u.reviewerA, item.id, 'approved')).statusCode, 200);
  const cell = { orgId: world.orgs.schoolC, subject: 'mechanics', grade: 10, topic: 'ham-so', cognitiveLevel: 1 as const };
  t.same((await app.bank.pools.approvedPool(cell)).map((p) => [p.itemId, p.revision]), [[item.id, 2]], 'in the pool of another department\'s school');
  t.equal(await app.bank.items.setStatistics(item.id, { difficulty: 0.37 }), true);
  t.equal((await app.bank.pools.approvedPools(cell.orgId, cell.subject, cell.grade, [cell]))[0]![0]!.difficulty, 0.37, 'item analysis reaches the pool');
  t.equal((await setStatus(u.reviewerA, item.id, 'retired')).statusCode, 200);
  t.same(await app.bank.pools.approvedPool(cell), [], 'retired: out of the pool');
  t.same(await ids('authorB', { status: 'retired', subject: 'mechanics' }), [item.id]);
});

/** The index's own keys of this test's namespace. */
async function dropIndexKeys(): Promise<number> {
  const redis = new Redis(config.REDIS_URL);
  try {
    const keys = await redis.keys(`${name}:bix:*`);
    if (keys.length) await redis.del(...keys);
    return keys.length;
  } finally {
    redis.disconnect();
  }
}

t.test('a lost index is rebuilt from the database; meanwhile the database answers', async (t) => {
  const expected = await pages('reviewerMinistry', { q: 'phuong trinh' }, 5, false);
  t.ok((await dropIndexKeys()) > 0);
  t.equal(await index.isReady(), false);
  const before = indexed;
  const first = await app.bank.search.search(principal('reviewerMinistry'), { q: 'phuong trinh', limit: 5 });
  t.equal(indexed, before, 'the first search after the loss is answered by the database (and starts a rebuild)');
  t.same(first.items.map((i) => i.id), expected[0]!.ids);
  // Later pages come from whichever path is ready by then, and still agree.
  t.same(await pages('reviewerMinistry', { q: 'phuong trinh' }, 5, true), expected);
  await index.ensureBuilt();
  t.equal(await index.isReady(), true);
  t.same(await pages('reviewerMinistry', { q: 'phuong trinh' }, 5, true), expected, 'and by the rebuilt index');
  t.ok(indexed > before);
  for (const who of ['authorA', 'authorC'] as const) t.same(await pages(who, {}, 9, true), await pages(who, {}, 9, false), `${who} lists the same`);
});

t.test('a write that died between the database and the index is reconciled', async (t) => {
  const id = created[30]!;
  const head = await app.models.Item.findById(id).lean();
  // What a crashed process leaves: the id marked dirty, the head changed, the index not.
  await index.begin([id]);
  await app.models.Item.updateOne({ _id: id }, { $set: { subject: 'astronomy', seq: head!.seq + 1 } });
  const find = () => app.bank.search.search(principal('reviewerMinistry'), { subject: 'astronomy' });
  t.same((await find()).items, [], 'the index does not know yet');
  t.ok((await index.reconcile(60_000)) === 0, 'a fresh dirty entry is left to its writer');
  t.ok((await index.reconcile(0)) >= 1);
  t.same((await find()).items.map((i) => i.id), [id], 'reconciled from the database');
  const redis = new Redis(config.REDIS_URL);
  t.equal(await redis.zcard(`${name}:bix:1:dirty`), 0, 'nothing left dirty');
  redis.disconnect();
});
