/**
 * Grading benchmark: N submitted 40-item attempts, written straight into the
 * attempts collection, graded end to end — queue → scores → results → sector
 * records — by separate worker processes (`workers/index.ts`), first one,
 * then two. The clock runs from queueing the whole-exam job
 * (`kind: grade-exam`, mode `all`) until every grading batch has finished and
 * the sector queue is empty; then the bench checks that the sector database
 * holds exactly N records.
 *
 *   npm run bench:grading -- [--attempts 100000] [--workers 1,2] [--batch 500] [--probe 2000] [--out file.json] [--keep]
 *
 * The exam is made through the HTTP API (40 approved items: 28 single choice,
 * 6 true/false clusters, 6 numeric; 4 forms); the N candidates and their
 * attempts are inserted directly (responses drawn with seedrandom: about 60 %
 * right). World, items, candidates and attempts come from the shared
 * fixtures (test/support/fixtures). The database is BENCH_MONGODB_URI or, by default, a FerretDB 1.24 of
 * its own (the embedded default's binary, a free port, a temporary folder), so
 * other work on the shared development FerretDB does not blur the figures.
 *
 * Where the time goes: the grading and sector jobs report how long they
 * spent reading, scoring and writing; CPU seconds of the database process
 * and of the worker processes (from /proc) say which side was busy; after
 * the runs, a probe (`--probe N` documents, 0 to skip) measures the
 * database's CPU per document for each kind of read and write the runs did.
 * Results: load-tests/results/grading-bench.json (or --out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import seedrandom from 'seedrandom';
import { buildApp } from '../src/app.js';
import { loadConfig, sectorUri, type Config } from '../src/config.js';
import type { Form } from '../src/exams/exam-model.js';
import { startExamGrading, type BatchResult, type RunSummary } from '../src/grading/grading-jobs.js';
import { privateFerret } from '../src/infra/services.js';
import { closeQueues, createQueues } from '../src/queues/queues.js';
import type { PushOutcome } from '../src/sector/sector-service.js';
import { approveBodies, buildWorld, injectApi, insertCandidates, nationalPaperBodies, sendAs, simulatedAnswer, submittedAttempt } from '../test/support/fixtures/index.js';

const { values: args } = parseArgs({
  options: {
    attempts: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '1,2' },
    batch: { type: 'string', default: '500' },
    keep: { type: 'boolean', default: false },
    probe: { type: 'string', default: '2000' },
    out: { type: 'string', default: 'load-tests/results/grading-bench.json' },
  },
});
const N = Number(args.attempts);
const WORKER_COUNTS = args.workers.split(',').map(Number);
const BATCH = Number(args.batch);
const INSERT_CHUNK = 1000;
const TICKS = 100; // USER_HZ on Linux

const rng = seedrandom('grading-bench-v1');
const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

async function setup(config: Config): Promise<{ examId: string; candidateIds: string[]; setupS: number }> {
  const t0 = performance.now();
  const app = await buildApp(config, { logger: false });
  await app.ready();
  try {
    const call = async (token: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, status = 200) => {
      const res = await app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
      if (res.statusCode !== status) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const api = injectApi(app);
    const world = await buildWorld(api, {
      admin: { username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD },
      orgs: [
        { key: 'dep', code: 'BENCH-SGD', name: 'Sở GD&ĐT (bench)', kind: 'department' },
        { key: 'school', code: 'BENCH-THPT', name: 'THPT (bench)', kind: 'school', parent: 'dep' },
      ],
      users: [
        { key: 'author', username: 'bench_author', roles: [['author', 'dep']] },
        { key: 'reviewer', username: 'bench_reviewer', roles: [['reviewer', 'dep']] },
        { key: 'manager', username: 'bench_manager', roles: [['exam_manager', 'dep']] },
      ],
      password: 'bench-password-123',
    });
    const manager = world.users.manager.token;
    await approveBodies(sendAs(api, world.users.author.token), sendAs(api, world.users.reviewer.token), nationalPaperBodies('bench-grading'));
    const blueprint = await call(manager, 'POST', '/api/blueprints', {
      title: 'Toán 12 – bench',
      subject: 'math',
      grade: 12,
      durationMinutes: 90,
      sections: [
        { title: 'Phần I', type: 'single_choice', pointsPerItem: 0.25, cells: [{ topic: 'bench-grading', cognitiveLevel: 1, count: 28 }] },
        { title: 'Phần II', type: 'true_false_cluster', pointsPerItem: 1, cells: [{ topic: 'bench-grading', cognitiveLevel: 1, count: 6 }] },
        { title: 'Phần III', type: 'numeric', pointsPerItem: 0.5, cells: [{ topic: 'bench-grading', cognitiveLevel: 1, count: 6 }] },
      ],
    }, 201);
    const now = Date.now();
    const exam = await call(manager, 'POST', '/api/exams', {
      title: 'Kiểm tra Toán 12 (bench)',
      blueprintId: blueprint.id,
      formCount: 4,
      seed: 'grading-bench',
      opensAt: new Date(now - 7200_000).toISOString(),
      closesAt: new Date(now - 60_000).toISOString(),
      durationMinutes: 90,
      candidateIds: [],
      showResults: 'after_close',
    }, 201);
    await call(manager, 'POST', `/api/exams/${exam.id}/assemble`);
    await call(manager, 'POST', `/api/exams/${exam.id}/publish`);
    log('exam published through the API');

    // Candidates and their submitted attempts, straight into the database.
    const candidateIds = await insertCandidates(app.models, N, world.orgs.school, INSERT_CHUNK);
    await app.models.Exam.updateOne({ _id: exam.id }, { $set: { candidateIds } });
    const examDoc = (await app.models.Exam.findById(exam.id).lean())!;
    const forms = await app.models.Form.find({ examId: exam.id, assemblyId: examDoc.assemblyId }).lean<Form[]>();
    const revisions = new Map((await app.bank.pools.revisions(forms.flatMap((f) => f.items))).map((r) => [`${r.itemId}@${r.revision}`, r]));
    log(`${N} candidates inserted`);
    const submittedAt = new Date(now - 120_000);
    for (let start = 0; start < N; start += INSERT_CHUNK) {
      const docs = candidateIds.slice(start, start + INSERT_CHUNK).map((candidateId, k) => {
        // Forms dealt in turn (the exam's own deal hashes the whole roster per call: quadratic over 100,000 candidates).
        const form = forms[(start + k) % forms.length]!;
        const answers: Record<string, unknown> = {};
        for (const pin of form.items) answers[pin.itemId] = simulatedAnswer(revisions.get(`${pin.itemId}@${pin.revision}`)!, pin, rng);
        return submittedAttempt({ exam: examDoc, candidateId, formCode: form.code, answers, startedAt: new Date(now - 5400_000), submittedAt, lastSeq: 40 });
      });
      await app.models.Attempt.collection.insertMany(docs as never[], { ordered: false });
      if ((start / INSERT_CHUNK) % 10 === 9) log(`${start + docs.length} attempts inserted`);
    }
    log(`${N} submitted attempts inserted`);
    return { examId: exam.id, candidateIds, setupS: (performance.now() - t0) / 1000 };
  } finally {
    await app.close();
  }
}

interface Run {
  workers: number;
  attempts: number;
  totalS: number;
  attemptsPerS: number;
  gradedS: number;
  sectorRecords: number;
  results: number;
  planS: number;
  gradingJobs: { jobs: number; readS: number; scoreS: number; writeS: number };
  sectorJobs: { jobs: number; readS: number; sectorS: number; markS: number };
  cpuS: { database: number; workers: number; wall: number };
  /** Database CPU per attempt, in ms: what the database costs each attempt end to end. */
  databaseCpuMsPerAttempt: number;
  /** 1-minute load average of the machine when the run started and when it ended (other work shares it). */
  loadavg: { start: number; end: number };
}

async function clearRedis(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

async function runWith(workers: number, base: Config, env: NodeJS.ProcessEnv, examId: string, dbPid: number | null): Promise<Run> {
  const prefix = `bench_grading_w${workers}_${Date.now().toString(36)}`;
  const config = { ...base, QUEUE_PREFIX: prefix };
  // A clean slate: no results, no marks, an empty sector database.
  const main = await mongoose.createConnection(config.MONGODB_URI!).asPromise();
  for (const c of ['results', 'sector_marks']) await main.db!.dropCollection(c).catch(() => {});
  await main.close();
  const sector = await mongoose.createConnection(sectorUri(config)).asPromise();
  await sector.dropDatabase();

  const execArgv = ['--import=tsx'];
  const procs: ChildProcess[] = [];
  for (let i = 0; i < workers; i++) {
    const child = spawn(process.execPath, [...execArgv, 'workers/index.ts'], { env: { ...process.env, ...env, QUEUE_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('workers ready')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
    });
    child.stdout!.resume();
    child.stderr!.resume();
    procs.push(child);
  }
  log(`${workers} worker process(es) ready`);

  const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queues = createQueues(connection, prefix);
  const cpu0 = { db: dbPid ? cpuSeconds(dbPid) : Number.NaN, workers: procs.reduce((s, p) => s + cpuSeconds(p.pid!), 0) };
  const load0 = os.loadavg()[0]!;
  const t0 = performance.now();
  const jobId = await startExamGrading(queues, examId, 'all', 'bench');
  let gradedAt = 0;
  let lastLog = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const job = await queues.bulk.getJob(jobId);
    const state = await job!.getState();
    if (state === 'failed') throw new Error(`grading failed: ${job!.failedReason}`);
    if (!gradedAt && state === 'completed') gradedAt = performance.now();
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      const p = job!.progress as { done?: number; total?: number };
      const c = await queues.sector.getJobCounts('waiting', 'active', 'delayed', 'completed');
      log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: graded ${p.done ?? 0}/${p.total ?? '?'}; sector jobs done ${c.completed}, waiting ${c.waiting + c.delayed}, active ${c.active}`);
    }
    if (gradedAt) {
      const c = await queues.sector.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (c.waiting + c.active + c.delayed + c.prioritized === 0) break;
    }
  }
  const t1 = performance.now();
  const load1 = os.loadavg()[0]!;
  const cpu1 = { db: dbPid ? cpuSeconds(dbPid) : Number.NaN, workers: procs.reduce((s, p) => s + cpuSeconds(p.pid!), 0) };
  const bulk = await queues.bulk.getJob(jobId);
  const summary = bulk!.returnvalue as RunSummary;
  const gradingJobs = (await queues.grading.getJobs(['completed'], 0, -1)).map((j) => j.returnvalue as BatchResult);
  const sectorJobs = (await queues.sector.getJobs(['completed'], 0, -1)).map((j) => j.returnvalue as PushOutcome);
  const sectorRecords = await sector.db!.collection('exam_results').countDocuments({});
  const main2 = await mongoose.createConnection(config.MONGODB_URI!).asPromise();
  const results = await main2.db!.collection('results').countDocuments({});
  await main2.close();
  await sector.close();

  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.exitCode === null ? once(p, 'exit') : null)));
  await closeQueues(queues);
  connection.disconnect();
  await clearRedis(config.REDIS_URL, prefix);

  const sum = <T>(list: T[], f: (x: T) => number) => list.reduce((s, x) => s + f(x), 0) / 1000;
  const totalS = (t1 - t0) / 1000;
  return {
    workers,
    attempts: N,
    totalS: Number(totalS.toFixed(1)),
    attemptsPerS: Math.round(N / totalS),
    gradedS: Number(((gradedAt - t0) / 1000).toFixed(1)),
    sectorRecords,
    results,
    planS: summary.planMs / 1000,
    gradingJobs: { jobs: gradingJobs.length, readS: sum(gradingJobs, (j) => j.timings.readMs), scoreS: sum(gradingJobs, (j) => j.timings.scoreMs), writeS: sum(gradingJobs, (j) => j.timings.writeMs) },
    sectorJobs: { jobs: sectorJobs.length, readS: sum(sectorJobs, (j) => j.timings.readMs), sectorS: sum(sectorJobs, (j) => j.timings.sectorMs), markS: sum(sectorJobs, (j) => j.timings.markMs) },
    cpuS: { database: Number((cpu1.db - cpu0.db).toFixed(1)), workers: Number((cpu1.workers - cpu0.workers).toFixed(1)), wall: Number(totalS.toFixed(1)) },
    databaseCpuMsPerAttempt: Number((((cpu1.db - cpu0.db) / N) * 1000).toFixed(2)),
    loadavg: { start: load0, end: load1 },
  };
}

/** Database CPU of one operation kind, per document, in µs. */
interface Probe {
  what: string;
  docs: number;
  cpuUsPerDoc: number;
}

/**
 * Where the database time of one attempt goes: after the timed runs, the
 * database's CPU is measured while it does, on a sample of the very
 * documents the runs read and wrote, one kind of operation at a time — the
 * reads of the plan, the inserts of grading and of the sector push, the
 * marks — plus a what-if: the same results with their per-item list stored
 * as one string. Nothing else talks to the private database meanwhile.
 */
async function probeDatabase(config: Config, dbPid: number, sample: number): Promise<Probe[]> {
  const main = await mongoose.createConnection(config.MONGODB_URI!).asPromise();
  const sector = await mongoose.createConnection(sectorUri(config)).asPromise();
  const probes: Probe[] = [];
  const measure = async <T>(what: string, docs: number, fn: () => Promise<T>): Promise<T> => {
    const c0 = cpuSeconds(dbPid);
    const out = await fn();
    probes.push({ what, docs, cpuUsPerDoc: Math.round(((cpuSeconds(dbPid) - c0) / docs) * 1e6) });
    return out;
  };
  try {
    const db = main.db!;
    const sdb = sector.db!;
    const scan = async (coll: mongoose.mongo.Collection, filter: mongoose.mongo.Filter<mongoose.mongo.Document>) => coll.find(filter, { batchSize: 1000 }).limit(sample).toArray();
    const attempts = await measure('plan: read an attempt (scan, 40 answers)', sample, () => scan(db.collection('attempts'), { status: 'submitted' }));
    await measure('plan: read a candidate (users scan)', sample, () => scan(db.collection('users'), {}));
    const results = await measure('read a result (scan, 40 per-item entries)', sample, () => scan(db.collection('results'), {}));
    const records = await scan(sdb.collection('exam_results'), {});
    const n = Math.min(attempts.length, results.length, records.length);
    const copy = <T extends mongoose.mongo.Document>(docs: T[], f: (d: T) => mongoose.mongo.Document = (d) => d) => docs.slice(0, n).map((d, i) => ({ ...f(d), _id: `probe-${i}` }));
    const insert = async (coll: mongoose.mongo.Collection, docs: mongoose.mongo.Document[]) => {
      for (let i = 0; i < docs.length; i += BATCH) await coll.insertMany(docs.slice(i, i + BATCH), { ordered: false });
    };
    // Collections and indexes made before measuring, as the runs found theirs.
    for (const c of ['probe_results_compact', 'probe_marks_sets']) await db.createCollection(c);
    await db.collection('probe_results').createIndex({ examId: 1, status: 1 });
    await db.collection('probe_marks_sets').createIndex({ examId: 1 });
    await measure('grading: insert a result (40 per-item entries)', n, () => insert(db.collection('probe_results'), copy(results)));
    await measure('what-if: insert a result, per-item list as one JSON string', n, () => insert(db.collection('probe_results_compact'), copy(results, (r) => ({ ...r, perItem: JSON.stringify(r.perItem) }))));
    for (const field of ['examId', 'orgPath', 'studentId']) await sdb.collection('probe_exam_results').createIndex({ [field]: 1 });
    await measure('sector push: insert a sector record', n, () => insert(sdb.collection('probe_exam_results'), copy(records)));
    await db.collection('probe_marks').createIndex({ examId: 1 });
    const ids = results.slice(0, n).map((r) => String(r._id));
    await measure('marks, one document per attempt (before)', n, () => insert(db.collection('probe_marks'), ids.map((id) => ({ _id: `${id}:1:graded`, examId: 'probe', attemptId: id, version: 1, kind: 'graded', at: new Date() }))));
    await measure('marks, one document per batch (now)', n, async () => {
      for (let i = 0; i < n; i += BATCH) {
        const part = ids.slice(i, i + BATCH);
        await db.collection('probe_marks_sets').insertOne({ _id: `graded:probe-${i}`, examId: 'probe', kind: 'graded', at: new Date(), attemptIds: part, versions: part.map(() => 1) } as mongoose.mongo.Document);
      }
    });
    for (const c of ['probe_results', 'probe_results_compact', 'probe_marks', 'probe_marks_sets']) await db.dropCollection(c).catch(() => {});
    await sdb.dropCollection('probe_exam_results').catch(() => {});
  } finally {
    await main.close();
    await sector.close();
  }
  return probes;
}

async function main() {
  const ferret = process.env.BENCH_MONGODB_URI ? null : await privateFerret({ keep: Boolean(args.keep) });
  const base = process.env.BENCH_MONGODB_URI ?? ferret!.uri;
  const env = {
    MONGODB_URI: `${base}/bench_grading`,
    SECTOR_MONGODB_URI: `${base}/bench_grading_sector`,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: '.data/test',
    JWT_SECRET: 'grading-bench-secret-that-is-long-enough-0123456789',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'bench-admin-password',
    GRADING_BATCH_SIZE: String(BATCH),
  };
  const config = loadConfig({ ...process.env, ...env, QUEUE_PREFIX: 'bench_grading_setup', REDIS_KEY_PREFIX: 'bench_grading:' });
  const runs: Run[] = [];
  let probes: Probe[] = [];
  try {
    log(`database: ${ferret ? `private FerretDB (pid ${ferret.pid})` : base}; ${N} attempts × 40 items; batches of ${BATCH}`);
    const { examId, setupS } = await setup(config);
    log(`setup took ${setupS.toFixed(0)} s (not timed below)`);
    for (const w of WORKER_COUNTS) {
      const run = await runWith(w, config, env, examId, ferret?.pid ?? null);
      log(`${w} worker(s): ${run.totalS} s, ${run.attemptsPerS} attempts/s; ${run.sectorRecords} sector records, ${run.results} results`);
      if (run.sectorRecords !== N || run.results !== N) throw new Error(`expected ${N} sector records and results, got ${run.sectorRecords} and ${run.results}`);
      runs.push(run);
    }
    if (ferret && Number(args.probe) > 0) {
      probes = await probeDatabase(config, ferret.pid, Number(args.probe));
      for (const p of probes) log(`  database CPU ${String(p.cpuUsPerDoc).padStart(6)} µs per document: ${p.what}`);
    }
  } finally {
    await ferret?.stop();
    await clearRedis(config.REDIS_URL, 'bench_grading_setup').catch(() => {});
    await clearRedis(config.REDIS_URL, 'bench_grading').catch(() => {});
  }
  const report = { date: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg() }, node: process.version, attempts: N, batch: BATCH, database: ferret ? 'private FerretDB 1.24 (SQLite)' : base, runs, databaseCpuPerDocument: probes };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
