/**
 * What a group-commit write of the attempt log costs the database, per entry:
 * the same 26,000 log entries (the shape src/attempts/log-model.ts stores)
 * inserted in writes of different sizes, and packed several to a document
 * (the "one document per window" layout), into a private FerretDB. CPU time
 * of FerretDB and of this process (the driver) per entry, not wall time, so
 * the figures hold on a shared machine.
 *
 *   npm run bench:commit            → load-tests/results/commit-bench.json
 *
 * FERRETDB_BIN=<runner binary> measures another build of the runner (an A/B
 * of a runner change), COMMIT_BENCH_LABEL=<x> writes commit-bench-<x>.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { projectRoot } from '../src/infra/paths.js';
import { privateFerret } from '../src/infra/services.js';

const ENTRIES = 26_000;
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const entry = (attempt: number, n: number) => ({
  _id: `att${attempt}:${String(n).padStart(7, '0')}`,
  attemptId: `att${attempt}`,
  examId: 'exam1',
  n,
  conn: 'host-1-abc:17',
  gen: 1765000000000123,
  at: new Date(),
  frames: [{ type: 'answer', seq: n, itemId: 'item-abcdef-12', response: n % 3 ? 'opt-3' : { s1: true, s2: false, s3: true }, at: new Date() }],
});

const ferret = await privateFerret({ bin: process.env.FERRETDB_BIN });
const client = new mongoose.mongo.MongoClient(ferret.uri);
await client.connect();
const db = client.db('commit_bench');
const rows: Record<string, unknown>[] = [];
const shapes = [
  { writeOf: 13, entriesPerDoc: 1 },
  { writeOf: 50, entriesPerDoc: 1 },
  { writeOf: 200, entriesPerDoc: 1 },
  { writeOf: 1000, entriesPerDoc: 1 },
  { writeOf: 1, entriesPerDoc: 13 },
  { writeOf: 1, entriesPerDoc: 50 },
];
for (const { writeOf, entriesPerDoc } of shapes) {
  const coll = db.collection<{ _id: string }>(`c_${writeOf}_${entriesPerDoc}`);
  await coll.insertOne({ _id: 'warm' });
  const perWrite = writeOf * entriesPerDoc;
  const db0 = cpuMs(ferret.pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  let a = 0;
  for (let w = 0; w < ENTRIES / perWrite; w++) {
    const docs: { _id: string }[] = [];
    for (let d = 0; d < writeOf; d++) {
      if (entriesPerDoc === 1) docs.push(entry(a++ % 2000, w * writeOf + d + 1));
      else docs.push({ _id: `w${w}`, entries: Array.from({ length: entriesPerDoc }, () => entry(a++ % 2000, w)) } as { _id: string });
    }
    await coll.insertMany(docs, { ordered: false });
  }
  const own = process.cpuUsage(own0);
  const row = {
    layout: entriesPerDoc === 1 ? `${writeOf} entry documents per write` : `one document of ${entriesPerDoc} entries per write`,
    entriesPerWrite: perWrite,
    ferretMsPerEntry: Math.round(((cpuMs(ferret.pid) - db0) / ENTRIES) * 10000) / 10000,
    driverMsPerEntry: Math.round(((own.user + own.system) / 1000 / ENTRIES) * 10000) / 10000,
    wallMs: Math.round(performance.now() - t0),
  };
  console.log(row);
  rows.push(row);
}
await client.close();
await ferret.stop();
const out = path.join(projectRoot(), 'load-tests', 'results', `commit-bench${process.env.COMMIT_BENCH_LABEL ? `-${process.env.COMMIT_BENCH_LABEL}` : ''}.json`);
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), entries: ENTRIES, machine: { cpus: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) }, database: 'private FerretDB 1.24 (SQLite)', runner: path.basename(process.env.FERRETDB_BIN ?? 'this checkout'), rows }, null, 2)}\n`);
console.log(`written: ${out}`);
