// The audit chain against someone who can write the database: edits with the
// later hashes recomputed, deleted newest records, a downgrade to the unkeyed
// form, and Redis losing the chain heads.
import { createHash, createHmac } from 'node:crypto';
import t, { type Test } from 'tap';
import { stringify } from 'safe-stable-stringify';
import type { FastifyInstance } from 'fastify';
import type { AuditRecord } from '../../src/audit/audit-model.js';
import { adminSession, as, build, dropRedisNamespace, login, TEST_JWT_SECRET } from '../helper.js';

type Stored = AuditRecord & Record<string, unknown>;

/** What anyone who reads the source can compute: a record's hash the way unkeyed chains did. */
function sha256Of(record: Stored): string {
  const { hash: _hash, ...rest } = record;
  return createHash('sha256').update(stringify({ ...rest, at: new Date(record.at).toISOString() }) ?? '').digest('hex');
}

/** The same with a guessed key: the JWT secret, which an attacker of the database may also hold. */
function guessedMacOf(record: Stored): string {
  const { hash: _hash, ...rest } = record;
  return createHmac('sha256', TEST_JWT_SECRET).update(stringify({ ...rest, at: new Date(record.at).toISOString() }) ?? '').digest('hex');
}

async function chainOf(app: FastifyInstance, chain: string): Promise<Stored[]> {
  return (await app.models.Audit.find({ chain }).sort({ seq: 1 }).lean()) as unknown as Stored[];
}

/** Rewrites records from `from` on with `hashOf`, relinking each to the one before: a consistent forgery. */
async function rewrite(app: FastifyInstance, chain: string, from: number, change: (r: Stored) => Stored, hashOf: (r: Stored) => string) {
  const records = await chainOf(app, chain);
  let prev = records[from - 2]?.hash ?? '0'.repeat(64);
  for (const original of records.slice(from - 1)) {
    const r = change({ ...original, prevHash: prev });
    r.hash = hashOf(r);
    await app.models.Audit.collection.replaceOne({ _id: r._id as never }, r as never);
    prev = r.hash;
  }
}

/** An app, an admin, and a department whose chain holds `users + 1` records. */
async function world(t: Test, users = 5) {
  const built = await build(t);
  const { app } = built;
  const session = await adminSession(app);
  const admin = as(app, session.token);
  const dep = (await admin({ method: 'POST', url: '/api/orgs', payload: { code: 'SGD', name: 'Sở', kind: 'department', parentId: session.rootId } })).json().id as string;
  for (let i = 0; i < users; i++) {
    const res = await admin({ method: 'POST', url: '/api/users', payload: { username: `gv${i}`, password: 'password-123', displayName: `Giáo viên ${i}`, roles: [{ role: 'author', orgId: dep }] } });
    t.equal(res.statusCode, 201);
  }
  const verify = async (chain = dep) => (await admin({ method: 'GET', url: `/api/audit/verify?chain=${chain}` })).json();
  return { ...built, admin, dep, verify, rootId: session.rootId };
}

t.test('an edited record with every later hash recomputed is found', async (t) => {
  const { app, dep, verify } = await world(t);
  t.same(await verify(), { ok: true, checked: 6 });
  await rewrite(app, dep, 3, (r) => ({ ...r, summary: { ...r.summary, username: 'someone-else' } }), sha256Of);
  t.match(await verify(), { ok: false, firstBrokenAt: `${dep}:3` }, 'recomputed SHA-256 hashes do not pass');
  await rewrite(app, dep, 3, (r) => r, guessedMacOf);
  t.match(await verify(), { ok: false, firstBrokenAt: `${dep}:3` }, 'nor MACs under the JWT secret');
});

t.test('dropping the keyed marks to pass records off as the old unkeyed kind is found', async (t) => {
  const { app, dep, verify } = await world(t);
  const strip = (r: Stored): Stored => {
    const plain: Stored = { ...r };
    for (const k of Object.keys(plain)) if (!['_id', 'chain', 'seq', 'at', 'actorId', 'actorRole', 'actorOrgId', 'action', 'target', 'orgPath', 'summary', 'requestId', 'ip', 'prevHash', 'hash'].includes(k)) delete plain[k];
    return plain;
  };
  await rewrite(app, dep, 4, strip, sha256Of);
  t.match(await verify(), { ok: false, firstBrokenAt: `${dep}:4` }, 'an unkeyed record after a keyed one');
  await rewrite(app, dep, 1, strip, sha256Of);
  t.match(await verify(), { ok: false }, 'the whole chain rewritten unkeyed no longer matches its head');
});

t.test('deleting the newest records is reported as truncation', async (t) => {
  const { app, dep, verify } = await world(t);
  await app.models.Audit.collection.deleteMany({ _id: { $in: [`${dep}:5`, `${dep}:6`] } as never });
  t.same(await verify(), { ok: false, checked: 4, firstBrokenAt: `${dep}:5`, truncated: true, missing: 2 });
  // The writer cannot paper over it with records of its own: it holds no key.
  const last = (await chainOf(app, dep)).at(-1)!;
  const forged: Stored = { ...last, _id: `${dep}:5`, seq: 5, action: 'user.update', prevHash: last.hash };
  forged.hash = sha256Of(forged);
  await app.models.Audit.collection.insertOne(forged as never);
  t.match(await verify(), { ok: false, firstBrokenAt: `${dep}:5` });
});

t.test('a lost head is reported, and only an audited admin action anchors the chain again', async (t) => {
  const { app, config, name, dep, verify, rootId } = await world(t);
  const manager = await as(app, (await adminSession(app)).token)({
    method: 'POST',
    url: '/api/users',
    payload: { username: 'qlthi', password: 'password-123', displayName: 'Quản lý thi', roles: [{ role: 'exam_manager', orgId: dep }] },
  });
  t.equal(manager.statusCode, 201);
  // Redis keeps nothing on disk here: a restart loses every head (and everything else of this app in Redis).
  await dropRedisNamespace(config.REDIS_URL, name);
  await app.models.Audit.collection.deleteOne({ _id: `${dep}:7` as never });
  const lost = await verify();
  t.same(lost, { ok: false, checked: 6, headMissing: true }, 'not ok, and says why');

  const admin = as(app, await login(app, 'admin', 'admin-test-password'));
  const examManager = as(app, await login(app, 'qlthi', 'password-123'));
  const refused = await examManager({ method: 'POST', url: '/api/audit/anchor', payload: { chain: dep } });
  t.equal(refused.statusCode, 403, 'exam managers read the trail but do not anchor it');
  t.equal((await admin({ method: 'POST', url: '/api/audit/anchor', payload: { chain: 'no-such-org' } })).statusCode, 404);
  t.equal((await admin({ method: 'POST', url: '/api/audit/anchor', payload: {} })).statusCode, 400);

  const anchored = await admin({ method: 'POST', url: '/api/audit/anchor', payload: { chain: dep } });
  t.equal(anchored.statusCode, 200, anchored.body);
  t.match(anchored.json(), { chain: dep, seq: 7, replaced: null });
  const record = (await chainOf(app, dep)).at(-1)!;
  t.match(record, { _id: `${dep}:7`, action: 'audit.anchor', actorRole: 'admin', actorOrgId: rootId, summary: { previousHead: null, storedEnd: 6 } });
  t.same(await verify(), { ok: true, checked: 7 });
  t.equal((await admin({ method: 'POST', url: '/api/users', payload: { username: 'gv9', password: 'password-123', displayName: 'GV', roles: [{ role: 'author', orgId: dep }] } })).statusCode, 201);
  t.same(await verify(), { ok: true, checked: 8 }, 'appends after the anchor keep the head');
});

t.test('records written before the chain was keyed verify as its unkeyed beginning', async (t) => {
  const { app, config, name, dep, verify, admin } = await world(t, 0);
  // What an upgraded database holds: this chain as the unkeyed code wrote it, and no head anywhere.
  await app.models.Audit.collection.deleteMany({ chain: dep });
  await dropRedisNamespace(config.REDIS_URL, name);
  let prevHash = '0'.repeat(64);
  for (let seq = 1; seq <= 3; seq++) {
    const r = { _id: `${dep}:${seq}`, chain: dep, seq, at: new Date(Date.UTC(2025, 0, seq)), actorId: 'old', action: 'user.create', target: `user:u${seq}`, orgPath: [dep], summary: { n: seq }, prevHash } as unknown as Stored;
    r.hash = sha256Of(r);
    await app.models.Audit.collection.insertOne(r as never);
    prevHash = r.hash;
  }
  t.same(await verify(), { ok: false, checked: 3, headMissing: true, legacy: 3 });
  t.equal((await admin({ method: 'POST', url: '/api/audit/anchor', payload: { chain: dep } })).statusCode, 200);
  t.same(await verify(), { ok: true, checked: 4, legacy: 3 });
  t.equal((await admin({ method: 'POST', url: '/api/users', payload: { username: 'gv8', password: 'password-123', displayName: 'GV', roles: [{ role: 'author', orgId: dep }] } })).statusCode, 201);
  t.same(await verify(), { ok: true, checked: 5, legacy: 3 });
  // The unkeyed beginning is sealed by the first keyed record: editing it is found.
  await rewrite(app, dep, 2, (r) => (r.seq === 2 ? { ...r, summary: { n: 99 } } : r), (r) => (r.seq <= 3 ? sha256Of(r) : r.hash));
  t.match(await verify(), { ok: false, firstBrokenAt: `${dep}:4` });
});
