// Backup and restore of the main and sector databases (src/infra/backup.ts,
// `npm run backup` / `npm run restore`): a world with a bank, a published
// exam, submitted and live attempts, grading results and sector records is
// backed up, restored into fresh databases and compared document by document
// as Canonical EJSON and as raw BSON; damaged archives and non-empty targets
// are refused with nothing written.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import mongoose, { mongo } from 'mongoose';
import t, { type Test } from 'tap';
import { sectorUri } from '../../src/config.js';
import { backupDatabases, readManifest, restoreDatabases, RestoreRefused, type DatabaseTarget, type Manifest } from '../../src/infra/backup.js';
import { isFerret } from '../../src/infra/store.js';
import { build, TEST_DATA_DIR, TEST_JWT_SECRET } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, rightAnswer, settled, submitAttempts, until, wrongAnswer } from '../support/grading.js';
import { listen, TestSocket } from '../support/live-client.js';

// A world built through the API, graded, then several backups and restores and a compile of the CLIs: longer than tap's default.
t.setTimeout(600_000);

const { BSON } = mongo;
const EXACT = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;
const root = path.resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(path.join(root, TEST_DATA_DIR, 'backup-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

/** A database of its own on the test server, dropped at the end. */
async function freshDb(t: Test, uri: string): Promise<mongo.Db> {
  const conn = await mongoose.createConnection(uri, { autoIndex: false, autoCreate: false }).asPromise();
  t.teardown(async () => {
    await conn.db!.dropDatabase().catch(() => {});
    await conn.close();
  });
  return conn.db!;
}

/** Every document of every collection as raw BSON and as Canonical EJSON, in `_id` order, with the index specs. */
async function dump(db: mongo.Db): Promise<Map<string, { raw: string[]; ejson: string[]; indexes: string[] }>> {
  const out = new Map<string, { raw: string[]; ejson: string[]; indexes: string[] }>();
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => !n.startsWith('system.'));
  for (const name of names.sort()) {
    const docs = (await db.collection(name).find({}, { raw: true }).toArray()) as unknown as Buffer[];
    const rows = docs.map((raw) => {
      const doc = BSON.deserialize(raw, EXACT);
      return { key: BSON.EJSON.stringify(doc._id, { relaxed: false }), raw: raw.toString('base64'), ejson: BSON.EJSON.stringify(doc, { relaxed: false }) };
    });
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const indexes = (await db.collection(name).listIndexes().toArray()).map(({ v: _v, ns: _ns, ...spec }) => JSON.stringify(spec)).sort();
    out.set(name, { raw: rows.map((r) => r.raw), ejson: rows.map((r) => r.ejson), indexes });
  }
  return out;
}

function sameDatabases(t: Test, restored: Awaited<ReturnType<typeof dump>>, source: Awaited<ReturnType<typeof dump>>, what: string) {
  t.same([...restored.keys()], [...source.keys()], `${what}: the same collections`);
  for (const [name, s] of source) {
    const r = restored.get(name);
    if (!r) continue;
    t.equal(r.ejson.length, s.ejson.length, `${what}.${name}: ${s.ejson.length} documents`);
    const firstDiff = s.ejson.findIndex((doc, i) => r.ejson[i] !== doc);
    t.equal(firstDiff, -1, `${what}.${name}: every document the same as Canonical EJSON${firstDiff >= 0 ? `; first difference: ${s.ejson[firstDiff]} vs ${r.ejson[firstDiff]}` : ''}`);
    t.ok(
      r.raw.every((b, i) => b === s.raw[i]),
      `${what}.${name}: every document the same BSON bytes`,
    );
    t.same(r.indexes, s.indexes, `${what}.${name}: the same indexes`);
  }
}

// The world: a bank and a published exam (through the HTTP API), three handed-in attempts graded by the
// workers and pushed to the sector database, one attempt in progress over the live socket, and a
// collection of every BSON type the server stores.
const { app, config, name } = await build(t, { GRADING_BATCH_SIZE: '2' });
dropSectorAtEnd(t, sectorUri(config));
const fx = await publishedExam(app, { candidates: 4, prefix: 'bk' });
await submitAttempts(app, fx.examId, fx.candidateIds.slice(0, 3), (i, item) => (i === 1 ? wrongAnswer(item) : rightAnswer(item)));
const { ctx } = await inProcessWorkers(t, config);
const bulkEvents = await queueEvents(t, config, 'bulk');
const sectorEvents = await queueEvents(t, config, 'sector');
const started = await fx.world.manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } });
if (started.statusCode !== 202) throw new Error(`grading: ${started.body}`);
await settled(ctx.queues.bulk, bulkEvents, started.json().jobId);
await until(sectorEvents, async () => (await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json().pushed === 3);

const wsUrl = await listen(app);
const live = await TestSocket.join(wsUrl, fx.tokens[3]!, fx.examId);
if (live.first.type !== 'state') throw new Error(`join: ${JSON.stringify(live.first)}`);
const firstItem = (live.first.items as { itemId: string }[])[0]!.itemId;
live.socket.send({ type: 'flag', seq: 1, itemId: firstItem, flagged: true });
if ((await live.socket.reply(1)).type !== 'ack') throw new Error('flag not acknowledged');
live.socket.send({ type: 'event', seq: 2, kind: 'blur' });
if ((await live.socket.reply(2)).type !== 'ack') throw new Error('event not acknowledged');
live.socket.close();

const ferret = await isFerret(app.mongo.db!);
const typed = {
  _id: 'types',
  int: new BSON.Int32(5),
  double: new BSON.Double(5),
  long: BSON.Long.fromString('9007199254740993'),
  binary: new BSON.Binary(Buffer.from([0, 1, 2, 255])),
  uuid: new BSON.Binary(Buffer.alloc(16, 7), 4),
  date: new Date('2030-05-01T01:00:00.123Z'),
  objectId: new BSON.ObjectId('65f000000000000000000001'),
  regex: new BSON.BSONRegExp('^a.b$', 'i'),
  nested: [{ at: new Date(0), n: new BSON.Double(-0.5) }, null, 'tiếng Việt\nline'],
  // FerretDB 1.24 does not store Decimal128 (the connection drops), so only MongoDB gets one.
  ...(ferret ? {} : { decimal: BSON.Decimal128.fromString('1.10') }),
};
await app.mongo.db!.collection('backup_types').insertOne(typed as never);

const sectorConn = await mongoose.createConnection(sectorUri(config)).asPromise();
t.teardown(() => sectorConn.close());
const sources: DatabaseTarget[] = [
  { role: 'main', db: app.mongo.db! },
  { role: 'sector', db: sectorConn.db! },
];
const sourceMain = await dump(app.mongo.db!);
const sourceSector = await dump(sectorConn.db!);
const archive = path.join(scratch, 'archive');
const manifest: Manifest = await backupDatabases(sources, archive);
const base = config.MONGODB_URI!.slice(0, config.MONGODB_URI!.lastIndexOf('/'));

/** Fresh main and sector target databases. */
async function freshTargets(t: Test, hint: string): Promise<DatabaseTarget[]> {
  return [
    { role: 'main', db: await freshDb(t, `${base}/${name}_${hint}`) },
    { role: 'sector', db: await freshDb(t, `${base}/${name}_${hint}_sector`) },
  ];
}

t.test('the world holds what the comparison is about', async (t) => {
  for (const collection of ['items', 'item_revisions', 'exams', 'forms', 'blueprints', 'attempts', 'attempt_log', 'results', 'sector_marks', 'audit', 'users', 'orgs', 'backup_types']) {
    t.ok((sourceMain.get(collection)?.ejson.length ?? 0) > 0, `main ${collection} has documents`);
  }
  t.equal(sourceMain.get('results')?.ejson.length, 3, 'three results');
  t.equal(sourceSector.get('exam_results')?.ejson.length, 3, 'three sector records');
  t.ok(sourceMain.get('attempt_log')!.ejson.some((d) => d.includes('"blur"')), 'the live attempt left log entries');
  t.equal(sourceMain.get('backup_types')!.ejson[0], BSON.EJSON.stringify(typed, { relaxed: false }), 'the typed document as written');
});

t.test('the manifest lists every collection with its count, checksum and indexes', async (t) => {
  t.equal(manifest.format, 'exam-engine-backup');
  t.equal(manifest.version, 1);
  t.match(manifest.server, ferret ? /^FerretDB / : /^MongoDB /);
  t.same(manifest.databases.map((d) => d.scan), ferret ? ['natural-cursor', 'natural-cursor'] : ['id-pages', 'id-pages']);
  t.same(readManifest(archive), manifest, 'manifest.json holds what backupDatabases returned');
  t.same(
    manifest.databases.map((d) => [d.role, d.name]),
    [
      ['main', app.mongo.db!.databaseName],
      ['sector', sectorConn.db!.databaseName],
    ],
  );
  for (const [d, source] of [
    [manifest.databases[0]!, sourceMain],
    [manifest.databases[1]!, sourceSector],
  ] as const) {
    t.same(
      d.collections.map((c) => c.name),
      [...source.keys()],
      `${d.role}: every collection`,
    );
    for (const c of d.collections) {
      const bytes = readFileSync(path.join(archive, c.file));
      t.equal(c.sha256, createHash('sha256').update(bytes).digest('hex'), `${c.name}: SHA-256 of the file`);
      t.equal(c.bytes, bytes.length);
      const lines = gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean);
      t.equal(c.count, source.get(c.name)!.ejson.length, `${c.name}: count`);
      t.same([...lines].sort(), [...source.get(c.name)!.ejson].sort(), `${c.name}: one Canonical EJSON line per document`);
      t.same(c.indexes.map((i) => JSON.stringify(BSON.EJSON.deserialize(i, { relaxed: false }))).sort(), source.get(c.name)!.indexes, `${c.name}: index definitions`);
    }
  }
  const types = manifest.databases[0]!.collections.find((c) => c.name === 'backup_types')!;
  const line = gunzipSync(readFileSync(path.join(archive, types.file))).toString('utf8');
  for (const tag of ['"$numberInt":"5"', '"$numberDouble":"5.0"', '"$numberLong":"9007199254740993"', '"$binary"', '"subType":"04"', '"$date"', '"$oid"', '"$regularExpression"', ...(ferret ? [] : ['"$numberDecimal":"1.10"'])]) {
    t.ok(line.includes(tag), `types kept: ${tag}`);
  }
});

t.test('reading in _id pages (as on MongoDB) gives the same files, also across page ends and mixed _id types', async (t) => {
  // Pages of 7 over every collection; a collection whose _ids are of several BSON types is read by one
  // _id-sorted cursor instead (a range on a string _id never reaches an ObjectId or a number).
  const db = await freshDb(t, `${base}/${name}_mixed`);
  const mixed = [{ _id: 'b' }, { _id: new BSON.ObjectId('65f000000000000000000002') }, { _id: new BSON.Int32(3) }, { _id: 'a' }, { _id: new Date(5) }];
  await db.collection('mixed').insertMany(mixed as never[]);
  await db.collection('strings').insertMany(Array.from({ length: 15 }, (_, i) => ({ _id: `s${String(i).padStart(2, '0')}`, i })) as never[]);
  const dir = path.join(scratch, 'paged');
  const paged = await backupDatabases(sources, dir, { scan: 'id-pages', pageSize: 7 });
  t.same(paged.databases.map((d) => d.scan), ['id-pages', 'id-pages']);
  for (const d of paged.databases) {
    const natural = manifest.databases.find((m) => m.role === d.role)!;
    t.same(d.collections.map((c) => [c.name, c.count]), natural.collections.map((c) => [c.name, c.count]), `${d.role}: the same collections and counts`);
    for (const c of d.collections) {
      const lines = (file: string) => gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean).sort();
      t.same(lines(path.join(dir, c.file)), lines(path.join(archive, natural.collections.find((n) => n.name === c.name)!.file)), `${d.role}.${c.name}: the same documents`);
    }
  }
  const own = await backupDatabases([{ role: 'main', db }], path.join(scratch, 'paged-mixed'), { scan: 'id-pages', pageSize: 2 });
  t.same(own.databases[0]!.collections.map((c) => [c.name, c.count]), [
    ['mixed', 5],
    ['strings', 15],
  ]);
  const strings = gunzipSync(readFileSync(path.join(scratch, 'paged-mixed', own.databases[0]!.collections[1]!.file))).toString('utf8').split('\n').filter(Boolean);
  t.same(strings.map((l) => JSON.parse(l)._id), Array.from({ length: 15 }, (_, i) => `s${String(i).padStart(2, '0')}`), 'in _id order, each once');
});

t.test('restored into fresh databases, every document of every collection is the same', async (t) => {
  const targets = await freshTargets(t, 'r');
  const restored = await restoreDatabases(archive, targets);
  t.equal(restored.find((c) => c.name === 'results')?.count, 3);
  t.equal(restored.find((c) => c.role === 'sector' && c.name === 'exam_results')?.count, 3);
  sameDatabases(t, await dump(targets[0]!.db), sourceMain, 'main');
  sameDatabases(t, await dump(targets[1]!.db), sourceSector, 'sector');
});

t.test('a damaged archive is refused before anything is written', async (t) => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    [
      'a flipped byte in the last file',
      (dir) => {
        const last = manifest.databases[1]!.collections.at(-1)!;
        const file = path.join(dir, last.file);
        const bytes = readFileSync(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
        writeFileSync(file, bytes);
      },
      /sector collection exam_results .*SHA-256 [0-9a-f]{64} does not match the manifest's [0-9a-f]{64}; the archive is damaged/,
    ],
    [
      'a file missing',
      (dir) => rmSync(path.join(dir, manifest.databases[0]!.collections.at(-1)!.file)),
      /the file is missing/,
    ],
    [
      'a line removed and the checksum made to match',
      (dir) => {
        const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
        const entry = m.databases[0]!.collections.find((c) => c.name === 'results')!;
        const file = path.join(dir, entry.file);
        const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter(Boolean);
        const bytes = gzipSync(`${lines.slice(1).join('\n')}\n`);
        writeFileSync(file, bytes);
        entry.sha256 = createHash('sha256').update(bytes).digest('hex');
        writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
      },
      /main collection results .*: 2 documents, the manifest says 3/,
    ],
    [
      'a manifest that is not JSON',
      (dir) => writeFileSync(path.join(dir, 'manifest.json'), '{"format": "exam-engine-backup", '),
      /manifest.json is not valid JSON/,
    ],
    [
      'a manifest pointing outside the archive',
      (dir) => {
        const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
        m.databases[0]!.collections[0]!.file = '../../outside.ejson.gz';
        writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
      },
      /names a file outside the archive/,
    ],
  ];
  for (const [what, damage, message] of cases) {
    const dir = path.join(scratch, `damaged-${cases.findIndex((c) => c[0] === what)}`);
    cpSync(archive, dir, { recursive: true });
    damage(dir);
    const targets = await freshTargets(t, `d${cases.findIndex((c) => c[0] === what)}`);
    await t.rejects(restoreDatabases(dir, targets), { name: 'RestoreRefused', message }, `${what}: refused`);
    for (const { role, db } of targets) {
      t.same(await db.listCollections({}, { nameOnly: true }).toArray(), [], `${what}: nothing written to ${role}`);
    }
  }
});

t.test('a target that holds documents is refused unless it is dropped first', async (t) => {
  const targets = await freshTargets(t, 'n');
  await targets[1]!.db.collection('exam_results').insertOne({ _id: 'someone-else', score: 1 } as never);
  const err = await restoreDatabases(archive, targets).catch((e: unknown) => e);
  t.ok(err instanceof RestoreRefused);
  t.match((err as Error).message, /the sector target database \S+_n_sector is not empty \(exam_results\); restore into an empty database or pass --drop/);
  t.same(await targets[0]!.db.listCollections({}, { nameOnly: true }).toArray(), [], 'nothing written to the empty main target either');
  t.equal(await targets[1]!.db.collection('exam_results').countDocuments({}), 1, 'the sector target untouched');

  await restoreDatabases(archive, targets, { drop: true });
  sameDatabases(t, await dump(targets[1]!.db), sourceSector, 'sector after --drop');
  // Restoring over a restored database needs --drop too, and gives the same again (no duplicates).
  await t.rejects(restoreDatabases(archive, targets), /not empty/);
  await restoreDatabases(archive, targets, { drop: true });
  sameDatabases(t, await dump(targets[0]!.db), sourceMain, 'main after a second --drop');
});

t.test('npm run backup and npm run restore, end to end with the built CLIs', async (t) => {
  // The CLIs and what they import, compiled as `npm run build` compiles them, into a folder of
  // their own (dist/ may be in use by other runs); node_modules and package.json resolve from the repo.
  const out = mkdtempSync(path.join(scratch, 'dist-'));
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const flags = ['--outDir', out, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict', '--skipLibCheck', '--esModuleInterop', '--resolveJsonModule'];
  await promisify(execFile)(process.execPath, [tsc, ...flags, path.join(root, 'src/cli/backup.ts'), path.join(root, 'src/cli/restore.ts')], { cwd: root });
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: TEST_DATA_DIR,
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: config.REDIS_URL,
    MONGODB_URI: config.MONGODB_URI!,
    SECTOR_MONGODB_URI: sectorUri(config),
  };
  const run = async (cli: 'backup' | 'restore', args: string[], extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [path.join(out, 'src/cli', `${cli}.js`), ...args], { cwd: root, env: { PATH: process.env.PATH, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = await once(child, 'exit');
    return { code: code as number | null, stdout, stderr };
  };

  const dir = path.join(scratch, 'cli-archive');
  const backup = await run('backup', ['--out', dir]);
  t.equal(backup.code, 0, backup.stderr);
  const total = [...sourceMain.values(), ...sourceSector.values()].reduce((n, c) => n + c.ejson.length, 0);
  t.match(backup.stdout, new RegExp(`^backup written to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${sourceMain.size + sourceSector.size} collections, ${total} documents \\(`));
  t.match(backup.stderr, /backing up main: mongodb:\/\/.*\nbacking up sector: mongodb:\/\//);
  t.match(backup.stderr, /main \S+\.results: 3 documents/);

  const again = await run('backup', ['--out', dir]);
  t.equal(again.code, 1, 'an existing archive is never overwritten');
  t.match(again.stderr, /exists and is not empty/);

  const targets = await freshTargets(t, 'c');
  const into = { MONGODB_URI: `${base}/${targets[0]!.db.databaseName}`, SECTOR_MONGODB_URI: `${base}/${targets[1]!.db.databaseName}` };
  const restore = await run('restore', [dir], into);
  t.equal(restore.code, 0, restore.stderr);
  t.match(restore.stderr, /verified \d+ files against manifest.json\n/);
  t.match(restore.stderr, /restoring main \S+\.results \(3 documents\)\n/);
  t.notMatch(restore.stderr, /: 3 documents/, 'the counts once, on stdout');
  t.match(restore.stdout, new RegExp(`main ${targets[0]!.db.databaseName}\\.results: 3 documents, \\d+ indexes`));
  t.match(restore.stdout, new RegExp(`sector ${targets[1]!.db.databaseName}\\.exam_results: 3 documents, \\d+ indexes`));
  t.match(restore.stdout, new RegExp(`restored ${total} documents in ${sourceMain.size + sourceSector.size} collections`));
  sameDatabases(t, await dump(targets[0]!.db), sourceMain, 'main via the CLI');
  sameDatabases(t, await dump(targets[1]!.db), sourceSector, 'sector via the CLI');

  const refused = await run('restore', [dir], into);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /restore refused, nothing was written: the main target database \S+ is not empty .*pass --drop/);
  const dropped = await run('restore', [dir, '--drop'], into);
  t.equal(dropped.code, 0, dropped.stderr);
  t.match(dropped.stderr, /dropped the main database/);

  const damaged = path.join(scratch, 'cli-damaged');
  cpSync(dir, damaged, { recursive: true });
  const m = readManifest(damaged);
  const file = path.join(damaged, m.databases[0]!.collections[0]!.file);
  writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('x')]));
  const fresh = await freshTargets(t, 'cd');
  const bad = await run('restore', [damaged], { MONGODB_URI: `${base}/${fresh[0]!.db.databaseName}`, SECTOR_MONGODB_URI: `${base}/${fresh[1]!.db.databaseName}` });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /restore refused, nothing was written: main collection .* SHA-256 .* does not match/);
  t.same(await fresh[0]!.db.listCollections({}, { nameOnly: true }).toArray(), []);

  const usage = await run('restore', []);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /usage: npm run restore -- <backup directory> \[--drop\]/);
  const badFlag = await run('backup', ['--nope']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, /usage: npm run backup -- \[--out <directory>\]/);
});
