// The FerretDB runner's own additions (src/infra/ferretdb), each through the
// binary as the engine starts it, on a SQLite folder of this test's own
// (whatever backend the suite runs on: these are the SQLite backend's
// settings and the runner's logging and profiling):
// - statement logging is deferred until a record is written (lazylog.go), so
//   debug logs still carry each statement's arguments;
// - SQLite's statement journal lives in memory (sqlitepragmas.go), and a
//   duplicate key in the middle of a many-document insert still undoes only
//   what it must;
// - FERRETDB_CPU_PROFILE writes a Go CPU profile when the runner stops;
// - FerretDB's unique `_id_` index is redefined on the expression its queries
//   use, in place of a second index beside it (idindex.go), also in a data
//   folder an earlier runner wrote. The database file is read with Python's
//   sqlite3 module (Node 20 has none), with the runner stopped.
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureFerretBinary, freePort, portOpen, waitFor } from '../../src/infra/services.js';
import { dataDir } from '../../src/infra/paths.js';
import { TEST_DATA_DIR } from '../helper.js';

interface Runner {
  uri: string;
  folder: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** A runner on a SQLite folder of its own, or on `folder` (another runner's, stopped). */
async function startRunner(t: Test, args: string[], env: NodeJS.ProcessEnv = {}, reuse?: string): Promise<Runner> {
  const bin = ensureFerretBinary(dataDir(TEST_DATA_DIR));
  const folder = reuse ?? mkdtempSync(path.join(os.tmpdir(), 'ferret-runner-'));
  const port = await freePort();
  const child: ChildProcess = spawn(bin, [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=file:${folder}/`, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the runner exited while starting:\n${out}`);
    return portOpen(port);
  }, 30_000, 'the runner');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  t.teardown(async () => {
    await stop();
    rmSync(folder, { recursive: true, force: true });
  });
  return { uri: `mongodb://127.0.0.1:${port}`, folder, output: () => out, stop };
}

/** The plan of a find by `_id` uses FerretDB's `_id_` index (SQLite names it `<table>__id_`), within 5 s. */
async function idIndexUsed(db: mongoose.mongo.Db, collection: string): Promise<boolean> {
  try {
    await waitFor(async () => {
      // A real query first: SQLite re-reads a changed schema when a statement runs, not for EXPLAIN.
      await db.collection(collection).findOne({ _id: 'probe' } as never);
      const plan = JSON.stringify(await db.command({ explain: { find: collection, filter: { _id: 'probe' } } }));
      return /USING INDEX \S*__id_ /.test(plan);
    }, 5000, 'the _id index');
    return true;
  } catch {
    return false;
  }
}

interface SqliteIndex { name: string; sql: string }

/** Python's sqlite3 on a database file: runs `statements`, then returns every index of a collection table. */
function sqliteIndexes(file: string, statements: string[] = []): SqliteIndex[] {
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for q in json.loads(sys.argv[2]):
    db.execute(q)
db.commit()
rows = db.execute("SELECT m.name, m.sql FROM sqlite_master m JOIN _ferretdb_collections c ON m.tbl_name = c.table_name WHERE m.type = 'index' ORDER BY m.name").fetchall()
print(json.dumps([{"name": n, "sql": s} for n, s in rows]))
`;
  const r = spawnSync('python3', ['-c', script, file, JSON.stringify(statements)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 sqlite3: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as SqliteIndex[];
}

async function withClient<T>(uri: string, fn: (db: mongoose.mongo.Db) => Promise<T>): Promise<T> {
  const client = new mongoose.mongo.MongoClient(uri);
  await client.connect();
  try {
    return await fn(client.db('runner_test'));
  } finally {
    await client.close();
  }
}

t.test('debug logs still carry each statement with its arguments', async (t) => {
  const runner = await startRunner(t, ['--log-level=debug']);
  await withClient(runner.uri, (db) => db.collection('notes').insertOne({ _id: 'n1', text: 'marker-lazy-log-7f3a' } as never));
  await runner.stop();
  const insert = runner.output().split('\n').find((l) => l.includes('INSERT INTO') && l.includes('marker-lazy-log-7f3a'));
  t.ok(insert, 'the INSERT is logged with the document among its arguments');
  t.match(insert ?? '', /args=/, 'as the args attribute the statement logger was built with');
});

t.test('at the default level nothing is logged per statement', async (t) => {
  const runner = await startRunner(t, ['--log-level=warn']);
  await withClient(runner.uri, (db) => db.collection('notes').insertOne({ _id: 'n1', text: 'marker-quiet-2b9c' } as never));
  await runner.stop();
  t.notMatch(runner.output(), /marker-quiet-2b9c|INSERT INTO/, 'no statement and no document in the log');
});

t.test('a duplicate key inside a many-document insert undoes only what it must', async (t) => {
  const runner = await startRunner(t, ['--log-level=warn']);
  await withClient(runner.uri, async (db) => {
    const c = db.collection<{ _id: string; n: number }>('log');
    await c.insertOne({ _id: 'e2', n: 0 });
    // Uniqueness as the runner leaves it: on its redefined `_id_` index.
    t.ok(await idIndexUsed(db, 'log'), 'the runner has redefined the _id index');
    const many = (ids: string[]) => ids.map((id, n) => ({ _id: id, n: n + 1 }));
    await t.rejects(c.insertMany(many(['e1', 'e2', 'e3']), { ordered: true }), { code: 11000 }, 'ordered: the duplicate is refused');
    t.same((await c.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id), ['e1', 'e2'], 'ordered: what came before it is kept, nothing after');
    t.equal((await c.findOne({ _id: 'e2' }))?.n, 0, 'the first e2 is untouched');
    await t.rejects(c.insertMany(many(['e4', 'e2', 'e5']), { ordered: false }), { code: 11000 }, 'unordered: the duplicate is refused');
    t.same((await c.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id), ['e1', 'e2', 'e4', 'e5'], 'unordered: every other document is written');
    // Big writes, so the statement journal spans many pages. (FerretDB writes
    // an ordered insert in batches and may go on past the duplicate; what
    // must hold is that what is stored is exactly what it reports inserted.)
    const big = (prefix: string) => {
      const docs = Array.from({ length: 1500 }, (_, i) => ({ _id: `${prefix}${String(i).padStart(5, '0')}`, n: i, pad: 'x'.repeat(400) }));
      docs[1200] = { _id: 'e1', n: -1, pad: '' };
      return docs;
    };
    const ordered = await c.insertMany(big('b'), { ordered: true }).then(() => null, (e: { code?: number; insertedCount?: number; result?: { insertedCount?: number } }) => e);
    t.equal(ordered?.code, 11000, 'ordered, 1,500 documents: the duplicate is refused');
    const reported = ordered?.result?.insertedCount ?? ordered?.insertedCount;
    t.ok(reported !== undefined && reported >= 1200, 'at least the 1,200 before it are reported inserted');
    t.equal(await c.countDocuments({ _id: { $regex: '^b' } }), reported, 'and exactly those are stored');
    await t.rejects(c.insertMany(big('u'), { ordered: false }), { code: 11000 }, 'unordered, 1,500 documents: the duplicate is refused');
    t.equal(await c.countDocuments({ _id: { $regex: '^u' } }), 1499, 'every other document is stored');
    t.equal((await c.findOne({ _id: 'e1' }))?.n, 1, 'the first e1 is untouched');
  });
});

t.test('FERRETDB_CPU_PROFILE writes a CPU profile when the runner stops', async (t) => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ferret-prof-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'ferret.pprof');
  const runner = await startRunner(t, ['--log-level=warn'], { FERRETDB_CPU_PROFILE: file });
  await withClient(runner.uri, (db) => db.collection('notes').insertOne({ _id: 'n1' } as never));
  t.equal(await runner.stop(), 0, 'the runner exits cleanly on SIGTERM');
  t.ok(statSync(file).size > 0, 'the profile is written');
  const head = readFileSync(file).subarray(0, 2);
  t.same([...head], [0x1f, 0x8b], 'in pprof format (gzip)');
});

t.test("FerretDB's _id index is redefined on the lookup expression, not doubled", async (t) => {
  const runner = await startRunner(t, ['--log-level=warn']);
  await withClient(runner.uri, async (db) => {
    const c = db.collection<{ _id: string; n: number }>('entries');
    await c.insertMany([{ _id: 'a', n: 1 }, { _id: 'b', n: 2 }]);
    t.ok(await idIndexUsed(db, 'entries'), 'finds by _id search the _id_ index');
    await t.rejects(c.insertOne({ _id: 'a', n: 3 }), { code: 11000 }, 'a duplicate _id is still refused');
    t.same((await c.listIndexes().toArray()).map((i) => i.name), ['_id_'], 'FerretDB still lists its one index');
    t.equal((await c.findOne({ _id: 'a' }))?.n, 1);
  });
  await runner.stop();
  const indexes = sqliteIndexes(path.join(runner.folder, 'runner_test.sqlite'));
  t.equal(indexes.length, 1, 'one index on the table');
  t.match(indexes[0]?.name ?? '', /__id_$/, "under FerretDB's name");
  t.match(indexes[0]?.sql ?? '', /^CREATE UNIQUE INDEX .*\(_ferretdb_sjson->'\$\._id'\)$/, 'unique, on the expression the queries use');
});

t.test('a data folder an earlier runner wrote is brought to the same single index', async (t) => {
  const first = await startRunner(t, ['--log-level=warn', '--id-index-interval=0']);
  await withClient(first.uri, (db) => db.collection('entries').insertMany([{ _id: 'a' }, { _id: 'b' }] as never[]));
  await first.stop();
  const file = path.join(first.folder, 'runner_test.sqlite');
  const [own] = sqliteIndexes(file);
  t.match(own?.sql ?? '', /->"_id"\)$/, "FerretDB's index as FerretDB makes it");
  const table = own!.name.replace(/__id_$/, '');
  // What earlier runners left: FerretDB's index and a second one beside it.
  const before = sqliteIndexes(file, [`CREATE INDEX "${table}_engine_id_lookup" ON "${table}" (_ferretdb_sjson->'$._id')`]);
  t.equal(before.length, 2, 'two indexes before');
  const second = await startRunner(t, ['--log-level=warn'], {}, first.folder);
  await withClient(second.uri, async (db) => {
    t.ok(await idIndexUsed(db, 'entries'), 'finds by _id search the _id_ index');
    await t.rejects(db.collection('entries').insertOne({ _id: 'b' } as never), { code: 11000 }, 'a duplicate _id is still refused');
    t.equal(await db.collection('entries').countDocuments(), 2, 'no document lost');
  });
  await second.stop();
  const after = sqliteIndexes(file);
  t.same(after.map((i) => i.name), [`${table}__id_`], 'one index left, under its name');
  t.match(after[0]?.sql ?? '', /^CREATE UNIQUE INDEX .*->'\$\._id'\)$/, 'unique, on the lookup expression');
});
