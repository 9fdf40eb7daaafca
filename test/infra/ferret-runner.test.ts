// The FerretDB runner's own additions (src/infra/ferretdb), each through the
// binary as the engine starts it, on a SQLite folder of this test's own
// (whatever backend the suite runs on: these are the SQLite backend's
// settings and the runner's logging and profiling):
// - statement logging is deferred until a record is written (lazylog.go), so
//   debug logs still carry each statement's arguments;
// - SQLite's statement journal lives in memory (sqlitepragmas.go), and a
//   duplicate key in the middle of a many-document insert still undoes only
//   what it must;
// - FERRETDB_CPU_PROFILE writes a Go CPU profile when the runner stops.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureFerretBinary, freePort, portOpen, waitFor } from '../../src/infra/services.js';
import { dataDir } from '../../src/infra/paths.js';
import { TEST_DATA_DIR } from '../helper.js';

interface Runner {
  uri: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

async function startRunner(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Runner> {
  const bin = ensureFerretBinary(dataDir(TEST_DATA_DIR));
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ferret-runner-'));
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
  return { uri: `mongodb://127.0.0.1:${port}`, output: () => out, stop };
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
