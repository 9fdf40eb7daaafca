/**
 * The live-exam load generator shared by every scenario of `npm run load`
 * (load-tests/load.ts): its own FerretDB, API servers and worker processes
 * run as production runs them (compiled, see builtEntry), an exam world set
 * up through the HTTP API, candidate sockets speaking the live exam protocol,
 * HDR histograms for latencies, server metrics, the loss audit and the JSON +
 * Markdown reports.
 *
 * Processes: the database is a FerretDB 1.24 of this run only (the embedded
 * default's binary on a free port and a temporary folder; `LOAD_MONGODB_URI`
 * to use another), so other work on the shared development FerretDB does not
 * blur the figures. Redis is REDIS_URL or the local one, under a key prefix of
 * this run (removed at the end).
 *
 * Sockets: one process can hold tens of thousands of client sockets; the
 * limit is the file-descriptor limit (`ulimit -n`, checked at start) and the
 * ephemeral ports of one (source, destination) address pair (~28,000 on
 * Linux). Candidates are spread over several loopback source addresses
 * (127.0.0.1 … 127.0.0.N, `--sources`), which Linux routes without setup.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSigner } from 'fast-jwt';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import seedrandom from 'seedrandom';
import { WebSocket } from 'ws';
import { projectRoot } from '../../src/infra/paths.js';
import { API_NODE_FLAGS } from '../../src/infra/node-flags.js';
import { freePort, postgresBackend, privateFerret, type PrivateFerret } from '../../src/infra/services.js';
import { approveBodies, buildWorld, httpApi, itemBodies, sendAs } from '../../test/support/fixtures/index.js';

export const { MongoClient } = mongoose.mongo;
export type MongoClient = InstanceType<typeof MongoClient>;
export type Json = Record<string, unknown>;

export const JWT_SECRET = 'live-load-secret-that-is-long-enough-0123456789abcdef';
const AUDIT_KEY = 'live-load-audit-key-that-is-long-enough-0123456789';
/** The servers run with NODE_ENV=production, where /metrics needs the operations token. */
const OPS_TOKEN = 'live-load-ops-token-0123456789';
const ADMIN = { username: 'loadadmin', password: 'load-admin-password' };
const STAFF_PASSWORD = 'load-staff-password';

let rng = seedrandom('live-load-v1');
/** Reseeds the generator's random source (each scenario has its own seed). */
export function seed(text: string): void {
  rng = seedrandom(text);
}
export const random = () => rng();
const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
/** Exponential inter-arrival time with the given mean (a Poisson process of answers). */
export const expo = (mean: number) => -Math.log(1 - rng()) * mean;
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;

// ------------------------------------------------------------------ latencies

/** Latencies in ms, kept in an HDR histogram (µs resolution, 3 significant digits, up to one hour). */
export class Latencies {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  get count(): number {
    return this.h.totalCount;
  }
  push(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }
  summary() {
    const q = (p: number) => (this.h.totalCount ? round1(this.h.getValueAtPercentile(p) / 1000) : NaN);
    return { count: this.h.totalCount, mean: this.h.totalCount ? round1(this.h.mean / 1000) : NaN, p50: q(50), p95: q(95), p99: q(99), p999: q(99.9), max: this.h.totalCount ? round1(this.h.maxValue / 1000) : NaN };
  }
}

// ------------------------------------------------------------------ processes

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await sleep(200);
  }
}

export type Ferret = PrivateFerret;

export interface Proc {
  child: ChildProcess;
  pid: number;
  log: () => string;
  stop: () => Promise<void>;
  exited: Promise<void>;
}

export interface Server extends Proc {
  base: string;
  wsUrl: string;
}

let built = false;

/**
 * The compiled form of a server-side entry (`src/server.ts` →
 * `dist/src/server.js`), brought up to date first by the project's build
 * (`npm run build`, incremental: under a second when nothing changed). The
 * processes under load run as production runs them, not through the test
 * loader: transpiled on the fly, the API used about an eighth more CPU per
 * answer (4,000 answers/s, 7 Dec 2026: 53.5 % of a core from source, 47 %
 * compiled).
 */
export function builtEntry(entry: string): string {
  if (!built) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: projectRoot(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
    built = true;
  }
  return path.join('dist', entry.replace(/\.ts$/, '.js'));
}

/**
 * A server-side process (its compiled entry, see builtEntry); resolves once
 * `ready()` holds. `prefix` runs it through another command that ends by
 * exec'ing it (e.g. `ip netns exec <ns>`), so the child's pid is node's own.
 */
export async function startProcess(entry: string, env: Record<string, string>, ready: (p: Proc) => Promise<boolean>, what: string, prefix: string[] = []): Promise<Proc> {
  // LOAD_SERVER_NODE_ARGS: extra node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (process.env.LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The API runs with production's flags (src/infra/node-flags.ts).
  const flags = entry === 'src/server.ts' ? API_NODE_FLAGS : [];
  const args = [...flags, ...extra, builtEntry(entry)];
  const child = spawn(prefix[0] ?? process.execPath, prefix.length ? [...prefix.slice(1), process.execPath, ...args] : args, {
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-20_000);
    // LOAD_ECHO=1: the processes' output on this one's stderr too (profiling aids, warnings).
    if (process.env.LOAD_ECHO) process.stderr.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: Proc = {
    child,
    pid: child.pid!,
    log: () => tail,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  await waitFor(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (code ${child.exitCode}, signal ${child.signalCode}): ${tail}`);
    return ready(proc);
  }, 120_000, what);
  return proc;
}

/** An API server as production runs it (`src/server.ts`), one process. */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = await startProcess('src/server.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' }, () => fetch(`${base}/health`).then((r) => r.ok, () => false), 'the API server');
  return { ...proc, base, wsUrl: `ws://127.0.0.1:${port}/ws` };
}

/** A worker process (`workers/index.ts`): grading, auto-submit, sector push. */
export function startWorker(env: Record<string, string>): Promise<Proc> {
  return startProcess('workers/index.ts', env, async (p) => /workers ready/.test(p.log()), 'the worker process');
}

/** Resident memory of a process, in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The fields of /proc/<pid>/stat after the command name (index 0 is the state, 1 the parent pid). */
function statFields(pid: number | string): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** CPU time of a process in ms (user + system). */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time of a process and its children in ms: its own and its reaped
 * children's (user + system), plus each live child's, for a server that forks
 * a process per connection (PostgreSQL). A child that exits between two
 * readings moves into its parent's reaped time, so nothing is lost or counted twice.
 */
export function treeCpuMs(pid: number): number {
  const times = (p: number | string) => {
    const f = statFields(p);
    return { ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10 };
  };
  let total = times(pid).ms;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const child = times(entry);
      if (child.ppid === pid) total += child.ms;
    } catch {
      // gone meanwhile: its time is in the parent's now
    }
  }
  return total;
}

/** CPU time of this process (the load generator) in ms (user + system). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The key `postgres` is PostgreSQL's postmaster with every process it forked; any other, one process. */
const processCpuMs = (key: string, pid: number) => (key === 'postgres' ? treeCpuMs(pid) : cpuMs(pid));

/**
 * CPU use of processes over a stretch of time, in % of one core. The key
 * `generator` (when given with a null pid) is this process; `postgres`, see processCpuMs.
 */
export function cpuMeter(pids: Record<string, number | null>) {
  const read = (k: string, pid: number | null) => (pid ? processCpuMs(k, pid) : k === 'generator' ? ownCpuMs() : 0);
  const t0 = performance.now();
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, read(k, pid)]));
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid || k === 'generator' ? round1((read(k, pid) - start[k]!) / 10 / seconds) : null]));
  };
}

/**
 * CPU time spent by processes over a stretch of time, in ms (`generator`: this
 * process). Divided by the work done it gives CPU per answer or per join, a
 * figure that (unlike latency) changes little when other jobs share the cores.
 */
export function cpuTimeMeter(pids: Record<string, number | null>) {
  const read = (k: string, pid: number | null) => (pid ? processCpuMs(k, pid) : k === 'generator' ? ownCpuMs() : NaN);
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, read(k, pid)]));
  return (): Record<string, number | null> => Object.fromEntries(Object.entries(pids).map(([k, pid]) => {
    const d = read(k, pid) - start[k]!;
    return [k, Number.isFinite(d) ? d : null];
  }));
}

/** CPU ms per unit of work, per process, to 3 decimals. */
export function perUnit(ms: Record<string, number | null>, units: number): Record<string, number | null> {
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v === null || !units ? null : Math.round((v / units) * 1000) / 1000]));
}

/**
 * The pid of the Redis server when it runs on this machine (its CPU is then
 * measured too), else null. Other users of the same Redis count into it.
 */
export async function localRedisPid(url: string): Promise<number | null> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const m = /process_id:(\d+)/.exec(await redis.info('server'));
    const pid = m ? Number(m[1]) : NaN;
    readFileSync(`/proc/${pid}/stat`, 'utf8');
    return pid;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/**
 * The postmaster pid of the PostgreSQL server under FerretDB's PostgreSQL
 * backend (FERRETDB_POSTGRESQL_URL) when it runs on this machine, else null.
 * Read from its data directory's postmaster.pid, which needs a superuser URL
 * (as this machine's trust login is). Other users of the same server count into its CPU.
 */
export function localPostgresPid(url = postgresBackend()): number | null {
  if (!url) return null;
  try {
    // The server's maintenance database: the URL's own is made per run by privateFerret.
    const admin = new URL(url);
    admin.pathname = '/postgres';
    const dir = execFileSync('psql', [admin.toString(), '-tAc', 'SHOW data_directory'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    readFileSync(`/proc/${pid}/stat`, 'utf8');
    return pid;
  } catch {
    return null;
  }
}

/**
 * The processes whose CPU a scenario measures: the API server, the database
 * (FerretDB; and PostgreSQL under its PostgreSQL backend), this generator and Redis.
 */
export async function measuredProcesses(run: Run, server: { pid: number }): Promise<Record<string, number | null>> {
  const pids: Record<string, number | null> = { server: server.pid, db: run.ferret?.pid ?? null, generator: null, redis: await localRedisPid(run.redisUrl) };
  const postgres = run.ferret ? localPostgresPid() : null;
  if (postgres) pids.postgres = postgres;
  return pids;
}

// ------------------------------------------------------------------ the run's world

/** Everything one scenario run owns: database, Redis prefix, processes; closed by `close()`. */
export class Run {
  readonly stamp = Date.now().toString(36);
  readonly name = `load_live_${this.stamp}`;
  readonly started = new Date();
  readonly report: Json;
  readonly redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  mongo!: MongoClient;
  mongoBase = '';
  ferret: Ferret | null = null;
  readonly procs: Proc[] = [];
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    readonly scenario: string,
    readonly parameters: Json,
    private readonly ferretBin = '',
  ) {
    this.report = {
      scenario,
      command: `npm run load -- ${process.argv.slice(2).join(' ')}`.trim(),
      date: this.started.toISOString(),
      machine: machine(),
      parameters,
    };
  }

  async open(): Promise<void> {
    this.loop.enable();
    this.ferret = process.env.LOAD_MONGODB_URI ? null : await privateFerret({ bin: this.ferretBin });
    this.mongoBase = process.env.LOAD_MONGODB_URI ?? this.ferret!.uri;
    const backend = postgresBackend() ? 'PostgreSQL' : 'SQLite';
    this.parameters.database = this.ferret ? `private FerretDB 1.24 (${backend})${this.ferretBin ? `, binary ${this.ferretBin}` : ''}` : 'LOAD_MONGODB_URI';
    this.mongo = new MongoClient(this.mongoBase);
    await this.mongo.connect();
  }

  get db() {
    return this.mongo.db(this.name);
  }

  /** The environment every process of this run shares. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      MONGODB_URI: `${this.mongoBase}/${this.name}`,
      SECTOR_MONGODB_URI: `${this.mongoBase}/${this.name}_sector`,
      REDIS_URL: this.redisUrl,
      QUEUE_PREFIX: this.name,
      REDIS_KEY_PREFIX: `${this.name}:`,
      JWT_SECRET,
      AUDIT_KEY,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      DATA_DIR: process.env.DATA_DIR ?? '.data/test',
      OPS_TOKEN,
      // Every simulated candidate connects from this one machine.
      WS_MAX_PER_ADDRESS: '1000000',
      ...extra,
    };
  }

  async server(extra: Record<string, string> = {}): Promise<Server> {
    const s = await startServer(this.env(extra));
    this.procs.push(s);
    return s;
  }

  async worker(extra: Record<string, string> = {}): Promise<Proc> {
    const w = await startWorker(this.env(extra));
    this.procs.push(w);
    return w;
  }

  /** Closes everything, records the failure if any, and writes the reports. */
  async close(failure: unknown, markdown: (r: Json) => string[]): Promise<void> {
    this.loop.disable();
    this.report.loadGeneratorLoopDelayMs = { p50: round1(this.loop.percentile(50) / 1e6), p99: round1(this.loop.percentile(99) / 1e6), max: round1(this.loop.max / 1e6) };
    if (failure) {
      this.report.failure = failure instanceof Error ? failure.stack ?? failure.message : String(failure);
      this.report.processLogTails = this.procs.map((p) => p.log().slice(-3000));
      process.exitCode = 1;
    }
    (this.report.machine as Json).loadavgAfter = loadavg();
    for (const p of this.procs) await p.stop();
    if (this.mongo) {
      await this.mongo.db(this.name).dropDatabase().catch(() => {});
      await this.mongo.db(`${this.name}_sector`).dropDatabase().catch(() => {});
      await this.mongo.close();
    }
    await this.ferret?.stop();
    await dropRedisPrefix(this.redisUrl, this.name);
    writeReports(this, markdown);
  }
}

export const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

function machine(): Json {
  let nofile = '';
  try {
    nofile = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a shell we can ask: left blank.
  }
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, node: process.version, ulimitNofile: nofile, loadavgBefore: loadavg() };
}

/** Fails early when this process cannot hold `sockets` open files. */
export function checkSocketBudget(sockets: number): void {
  const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  if (Number.isFinite(limit) && sockets + 200 > limit) {
    throw new Error(`${sockets} sockets need more open files than ulimit -n (${limit}) allows: raise it (ulimit -n ${sockets + 1000}) or open fewer`);
  }
}

// ------------------------------------------------------------------ setup through the API

type Http = (method: string, url: string, token: string | null, body?: unknown) => Promise<Json>;

export function client(base: string): Http {
  return async (method, url, token, body) => {
    const res = await fetch(base + url, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new HttpError(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`, res.status);
    return text ? (JSON.parse(text) as Json) : {};
  };
}

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface World {
  http: Http;
  admin: string;
  author: string;
  reviewer: string;
  manager: string;
  depId: string;
  exams: string[];
  candidates: { id: string; token: string }[];
  itemCount: number;
}

export interface WorldOptions {
  candidates: number;
  /** Exams to create, each with every candidate on its roster. */
  exams: number;
  /** Items on the form (approved). */
  items: number;
  /** Exam duration in minutes. @defaultValue 90 */
  durationMinutes?: number;
  /** How many forms (mã đề) per exam. @defaultValue 4 */
  forms?: number;
}

/**
 * What every live scenario starts from: one published exam with `candidates`
 * candidates (`setupWorld`, form length from `--items`), and a Candidate for
 * each, all counting into one Stats.
 */
export async function examWorld(run: Run, base: string, candidates: number) {
  const world = await setupWorld(run, base, { candidates, exams: 1, items: Number(run.parameters.items ?? 40) });
  run.parameters.formItems = world.itemCount;
  const stats = new Stats();
  const people = world.candidates.map((c) => new Candidate(c.id, c.token, stats));
  return { world, examId: world.exams[0]!, stats, people };
}

/** Organisations, staff, candidates, approved items, a blueprint and published exams, through the API. */
export async function setupWorld(run: Run, base: string, o: WorldOptions): Promise<World> {
  const http = client(base);
  const stamp = run.stamp;
  const usernames = Array.from({ length: o.candidates }, (_, i) => `ts${stamp}_${i}`);
  console.log(`creating ${o.candidates} candidates …`);
  const built = await buildWorld(httpApi(base), {
    admin: ADMIN,
    password: STAFF_PASSWORD,
    bulk: true,
    orgs: [
      { key: 'dep', code: `DEP-${stamp}`, name: 'Sở GD&ĐT', kind: 'department' },
      { key: 'school', code: `SCH-${stamp}`, name: 'THPT Chu Văn An', kind: 'school', parent: 'dep' },
    ],
    users: [
      { key: 'author', username: 'loadauthor', roles: [['author', 'dep']] },
      { key: 'reviewer', username: 'loadreviewer', roles: [['reviewer', 'dep']] },
      { key: 'manager', username: 'loadmanager', roles: [['exam_manager', 'dep']] },
      // Candidates are not logged in: their tokens are signed below.
      ...usernames.map((username, i) => ({ key: username, username, displayName: `Thí sinh ${i}`, studentId: `HS${i}`, roles: [['candidate', 'school']] as const, login: false as const })),
    ],
  });
  const admin = built.adminToken;
  const dep = { id: built.orgs.dep };
  const school = { id: built.orgs.school };
  const author = built.users.author!.token;
  const reviewer = built.users.reviewer!.token;
  const manager = built.users.manager!.token;
  // The bulk answer counts; the ids are read back from the database (setup only).
  const users = await run.db.collection<{ _id: string; username: string }>('users').find({ 'roles.orgId': school.id }, { projection: { _id: 1, username: 1 } }).toArray();
  const idOf = new Map(users.map((u) => [u.username, u._id]));
  const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256', expiresIn: 6 * 3600 * 1000 });
  const candidates = usernames.map((u) => {
    const id = idOf.get(u);
    if (!id) throw new Error(`candidate ${u} missing`);
    // The same claims TokenService.issue() signs; logging thousands of candidates in is not what is measured here.
    return { id, token: sign({ sub: id, jti: randomUUID(), iatMs: Date.now() }) };
  });

  console.log(`creating and approving ${o.items} items, assembling ${o.exams} exam(s) …`);
  const topic = `live-load-${stamp}`;
  const bodies = itemBodies(o.items, topic, random);
  const api = httpApi(base);
  const ids = await approveBodies(sendAs(api, author), sendAs(api, reviewer), bodies);
  const cells = new Map<string, Map<number, number>>();
  for (const b of bodies) {
    const byLevel = cells.get(b.type as string) ?? new Map<number, number>();
    byLevel.set(b.cognitiveLevel as number, (byLevel.get(b.cognitiveLevel as number) ?? 0) + 1);
    cells.set(b.type as string, byLevel);
  }
  const blueprint = await http('POST', '/api/blueprints', manager, {
    title: 'Thi thử THPT – Toán',
    subject: 'math',
    grade: 12,
    durationMinutes: o.durationMinutes ?? 90,
    sections: [...cells].map(([type, byLevel], i) => ({ title: `Phần ${i + 1}`, type, shuffleItems: true, cells: [...byLevel].map(([cognitiveLevel, count]) => ({ topic, cognitiveLevel, count })) })),
  });
  const roster = candidates.map((c) => c.id);
  const exams: string[] = [];
  for (let k = 0; k < o.exams; k++) {
    const e = await http('POST', '/api/exams', manager, {
      title: `Thi thử – ca ${k + 1}`,
      blueprintId: blueprint.id,
      formCount: o.forms ?? 4,
      opensAt: new Date(Date.now() - 60_000).toISOString(),
      closesAt: new Date(Date.now() + 4 * 3600_000).toISOString(),
      durationMinutes: o.durationMinutes ?? 90,
      candidateIds: roster,
      showResults: 'after_close',
    });
    await http('POST', `/api/exams/${e.id}/assemble`, manager);
    await http('POST', `/api/exams/${e.id}/publish`, manager);
    exams.push(e.id as string);
  }
  return { http, admin, author, reviewer, manager, depId: dep.id as string, exams, candidates, itemCount: ids.length };
}

// ------------------------------------------------------------------ candidates

interface Item {
  itemId: string;
  type: string;
  options?: { id: string }[];
  statements?: { id: string }[];
  premises?: { id: string }[];
  choices?: { id: string }[];
  elements?: { id: string }[];
  blanks?: { id: string }[];
}

/** A well-formed response for an item as the candidate received it. */
function responseFor(item: Item): unknown {
  const ids = (list?: { id: string }[]) => (list ?? []).map((x) => x.id);
  switch (item.type) {
    case 'single_choice': return pick(ids(item.options));
    case 'multiple_choice': { const o = ids(item.options); return o.filter((_, i) => i === 0 || rng() < 0.4); }
    case 'true_false': return rng() < 0.5;
    case 'true_false_cluster': return Object.fromEntries(ids(item.statements).filter(() => rng() < 0.8).map((id) => [id, rng() < 0.5]));
    case 'numeric': return `${int(-9, 9)},${int(0, 99)}`;
    case 'short_text': return pick(['Hà Nội', 'Huế', 'Đà Nẵng', 'Hải Phòng']);
    case 'matching': { const c = ids(item.choices); return Object.fromEntries(ids(item.premises).map((p) => [p, pick(c)])); }
    case 'ordering': { const e = ids(item.elements); for (let i = e.length - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [e[i], e[j]] = [e[j]!, e[i]!]; } return e; }
    case 'cloze': return Object.fromEntries(ids(item.blanks).map((b) => [b, 'x']));
    case 'essay': return 'Bài làm: '.concat('Hàm số đồng biến trên khoảng xác định. '.repeat(int(2, 40)));
    default: return null;
  }
}

/** What all candidates of a phase count together. */
export class Stats {
  acks = new Latencies();
  measuring = false;
  answersAcked = 0;
  /** Size of a `state` message as received (the first one). */
  stateBytes = 0;
  readonly nacks = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly submits = new Latencies();
  submitted = 0;
  readonly resumes = new Latencies();
  /** Every resume as [when its `state` came (performance.now()), socket closed → state in ms]. */
  readonly resumeLog: [number, number][] = [];
  /** `reconnect` messages received (a draining server sends one before closing with 1001). */
  reconnectsAsked = 0;
  errorsObject() {
    return { nacks: Object.fromEntries(this.nacks), other: Object.fromEntries(this.errors) };
  }
  /** Starts counting afresh (one step of a ladder). */
  reset() {
    this.acks = new Latencies();
    this.answersAcked = 0;
    this.nacks.clear();
    this.errors.clear();
  }
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** How the server writes an ack (src/live/session.ts): `{"type":"ack","seq":<n>}`. */
const ACK_PREFIX = '{"type":"ack","seq":';
const STATE_PREFIX = '{"type":"state",';
/** The items of each form as parsed from its first `state` (`<examId>|<formCode>`): every candidate of a form gets the same text. */
const formItems = new Map<string, Item[]>();

const STATE_PREFIX_BYTES = Buffer.from(STATE_PREFIX);
const ITEMS_KEY = Buffer.from(',"items":[');
const LAST_SEQ_KEY = Buffer.from('"lastSeq":');

/**
 * A `state` read from its bytes without decoding or parsing the form's items
 * again: the fields before `items` and `lastSeq` (the last unescaped one:
 * answers and stimuli are inside strings) are read, the items come from the
 * first state of the same form. Decoding the ~15 KB message to text was 7.5 %
 * of the generator's CPU in a join storm. Null when the message is not a
 * state of a known form (the first of a form is parsed whole and remembered).
 */
function quickState(bytes: Buffer, examId: string): { type: 'state'; attemptId: string; items: Item[]; lastSeq: number } | null {
  if (bytes.length < STATE_PREFIX_BYTES.length || bytes.compare(STATE_PREFIX_BYTES, 0, STATE_PREFIX_BYTES.length, 0, STATE_PREFIX_BYTES.length) !== 0) return null;
  const itemsAt = bytes.indexOf(ITEMS_KEY);
  const seqAt = bytes.lastIndexOf(LAST_SEQ_KEY);
  if (itemsAt < 0 || seqAt < 0) return null;
  const head = JSON.parse(`${bytes.toString('utf8', 0, itemsAt)}}`) as { attemptId: string; formCode: string };
  const key = `${examId}|${head.formCode}`;
  const items = formItems.get(key);
  if (!items) {
    const m = JSON.parse(bytes.toString('utf8')) as { items: Item[] };
    formItems.set(key, m.items);
    return null;
  }
  const seqFrom = seqAt + LAST_SEQ_KEY.length;
  return { type: 'state', attemptId: head.attemptId, items, lastSeq: Number.parseInt(bytes.toString('latin1', seqFrom, seqFrom + 20), 10) };
}

/** Loopback source addresses to spread client sockets over (`--sources`). */
let sources = ['127.0.0.1'];
export function useSources(count: number): void {
  sources = Array.from({ length: Math.max(1, count) }, (_, i) => `127.0.0.${i + 1}`);
}
let opened = 0;

/**
 * One candidate: joins, answers at a rate, submits. With `fallbackUrls` it
 * behaves like the browser client behind a load balancer: when the socket
 * dies it reconnects to the next address, rejoins and resends every frame not
 * yet acknowledged (the outbox).
 */
export class Candidate {
  ws: WebSocket | null = null;
  attemptId = '';
  items: Item[] = [];
  seq = 0;
  /** Frames sent and not yet answered: seq → [sent at, the frame]. */
  readonly sent = new Map<number, [number, string]>();
  readonly acked: number[] = [];
  timer: NodeJS.Timeout | null = null;
  stopped = false;
  submittedAt: string | null = null;
  lastSeqOnResume = -1;
  private examId = '';
  private urls: string[] = [];
  private urlIndex = 0;
  private readonly localAddress = sources[opened++ % sources.length]!;
  private diedAt = 0;
  /** Resolves when a reconnect after a dead socket has its `state`. */
  resumed: Promise<number> | null = null;
  /** The current socket has its `state`: frames may go (before it they would be refused `not_joined`). */
  private ready = false;

  constructor(
    readonly id: string,
    readonly token: string,
    readonly stats: Stats,
  ) {}

  /** The socket died and the reconnect has not yet had its `state`. */
  get down(): boolean {
    return this.diedAt !== 0;
  }

  get url(): string {
    return this.urls[this.urlIndex % this.urls.length]!;
  }

  /** Opens and joins; resolves with the ms from opening to `state` (or rejects). */
  join(url: string | string[], examId: string, reconnect = false): Promise<number> {
    this.urls = Array.isArray(url) ? url : [url];
    this.examId = examId;
    return this.open(reconnect);
  }

  private open(reconnect: boolean): Promise<number> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, localAddress: this.localAddress });
      this.ws = ws;
      let joined = false;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'join', token: this.token, examId: this.examId })));
      ws.on('message', (data) => {
        const bytes = data as Buffer;
        const quick = quickState(bytes, this.examId);
        const text = quick ? '' : bytes.toString();
        // Most messages are acks: read their seq without a JSON.parse (the generator shares the server's cores).
        if (!quick && text.startsWith(ACK_PREFIX)) return this.onAck(Number(text.slice(ACK_PREFIX.length, -1)));
        const m = (quick ?? JSON.parse(text)) as { type: string; seq?: number; error?: { code: string }; attemptId?: string; items?: Item[]; lastSeq?: number; at?: string };
        switch (m.type) {
          case 'state':
            this.stats.stateBytes ||= bytes.length;
            joined = true;
            this.ready = true;
            this.attemptId = m.attemptId!;
            this.items = m.items!;
            if (this.diedAt) {
              // A resume: frames at or below lastSeq are stored; resend the rest (the outbox).
              this.lastSeqOnResume = m.lastSeq!;
              for (const [seq, [, text]] of [...this.sent].sort((a, b) => a[0] - b[0])) {
                this.sent.set(seq, [performance.now(), text]);
                ws.send(text);
              }
              this.stats.resumes.push(performance.now() - this.diedAt);
              this.stats.resumeLog.push([performance.now(), performance.now() - this.diedAt]);
              this.diedAt = 0;
            } else {
              this.seq = m.lastSeq!;
            }
            resolve(performance.now() - t0);
            return;
          case 'ack':
            return this.onAck(m.seq!);
          case 'nack':
            this.sent.delete(m.seq!);
            bump(this.stats.nacks, m.error?.code ?? '?');
            return;
          case 'submitted': {
            this.submittedAt = m.at!;
            this.stats.submitted++;
            return;
          }
          case 'error':
            bump(this.stats.errors, `error:${m.error?.code ?? '?'}`);
            if (!joined) reject(new Error(m.error?.code));
            return;
          case 'reconnect':
            // The close (1001) follows at once; the close handler reconnects.
            this.stats.reconnectsAsked++;
            return;
          case 'ended':
            if (!this.submittedAt) bump(this.stats.errors, `ended:${(m as { reason?: string }).reason}`);
            return;
          default:
            if (m.type !== 'pong' && m.type !== 'time') bump(this.stats.errors, `unexpected:${m.type}`);
        }
      });
      ws.on('close', (code) => {
        this.ready = false;
        if (!joined) {
          reject(new Error(`closed ${code}`));
          return;
        }
        if (this.stopped || this.submittedAt) return;
        bump(this.stats.errors, `closed:${code}`);
        if (reconnect) {
          // Like the browser client: the next address, or the same one when it is a load balancer's.
          this.diedAt = performance.now();
          this.urlIndex++;
          const retry = (attempt: number): Promise<number> =>
            this.open(true).catch(async (err: unknown) => {
              if (attempt >= 20 || this.stopped) throw err;
              await sleep(250 + rng() * 250 * attempt);
              return retry(attempt + 1);
            });
          this.resumed = retry(1);
          this.resumed.catch(() => bump(this.stats.errors, 'resume_failed'));
        }
      });
      ws.on('error', (err) => {
        bump(this.stats.errors, `socket:${err.message.slice(0, 40)}`);
      });
    });
  }

  private onAck(seq: number) {
    const s = this.sent.get(seq);
    if (s === undefined) return;
    this.sent.delete(seq);
    this.acked.push(seq);
    if (this.stats.measuring) {
      this.stats.acks.push(performance.now() - s[0]);
      this.stats.answersAcked++;
    }
  }

  answerEvery(meanMs: number) {
    // Again after a stop (the next step of a ladder): one timer, at the new pace.
    this.stopped = false;
    if (this.timer) clearTimeout(this.timer);
    const next = () => {
      if (this.stopped) return;
      this.answer();
      this.timer = setTimeout(next, expo(meanMs));
    };
    // The first answer comes after a random share of one interval, so the sockets do not beat in step.
    this.timer = setTimeout(next, rng() * meanMs);
  }

  /** Sends one answer (kept in the outbox until acknowledged, even while the socket is down). */
  answer() {
    if (!this.items.length) return;
    const item = pick(this.items);
    const seq = ++this.seq;
    const text = JSON.stringify({ type: 'answer', seq, itemId: item.itemId, response: responseFor(item) });
    this.sent.set(seq, [performance.now(), text]);
    if (this.ready && this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Hands in; resolves with the ms until `submitted` (rejects after 60 s). */
  submit(): Promise<number> {
    this.stop();
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('socket not open'));
    const t0 = performance.now();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no submitted within 60 s')), 60_000);
      const onMessage = (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string; seq?: number };
        if (m.type === 'ack' && m.seq === seq) this.acked.push(seq);
        if (m.type === 'submitted') {
          clearTimeout(timer);
          ws.off('message', onMessage);
          const ms = performance.now() - t0;
          this.stats.submits.push(ms);
          resolve(ms);
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ type: 'submit', seq }));
    });
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close() {
    this.stop();
    this.ws?.close();
  }
}

/** Runs `fn` for each index at `i * windowMs / count` ms from now (spreads joins). */
export function spread<T>(count: number, windowMs: number, fn: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const t0 = performance.now();
  return Promise.allSettled(
    Array.from({ length: count }, (_, i) => new Promise<T>((resolve, reject) => {
      const at = t0 + (windowMs * i) / count;
      setTimeout(() => fn(i).then(resolve, reject), Math.max(0, at - performance.now()));
    })),
  );
}

/** Joins candidates spread over a window; returns the joined ones and open→state times. */
export async function joinAll(people: Candidate[], url: string | string[], examId: string, windowMs: number, reconnect = false) {
  const times = new Latencies();
  const t0 = performance.now();
  const results = await spread(people.length, windowMs, async (i) => {
    const ms = await people[i]!.join(Array.isArray(url) ? url.map((_, k) => url[(i + k) % url.length]!) : url, examId, reconnect);
    times.push(ms);
    return ms;
  });
  const wallMs = performance.now() - t0;
  return { joined: people.filter((p) => p.attemptId), failed: results.filter((r) => r.status === 'rejected').length, results, times, wallMs };
}

/** Stops answering and waits (≤ 15 s) until every frame in flight is answered. */
export async function drain(people: Candidate[]): Promise<number> {
  for (const p of people) p.stop();
  const until = Date.now() + 15_000;
  while (people.some((p) => p.sent.size > 0) && Date.now() < until) await sleep(200);
  return people.reduce((n, p) => n + p.sent.size, 0);
}

// ------------------------------------------------------------------ server metrics

export async function metricsText(base: string): Promise<Map<string, number>> {
  const text = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } }).then((r) => r.text());
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+(?:\{[^}]*\})?) ([0-9.e+-]+|NaN)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** What the server's own metrics say happened between two scrapes. */
export function serverDelta(m0: Map<string, number>, m1: Map<string, number>): Json {
  const delta = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
  const batches = delta('live_commit_batch_entries_count');
  // Server-side ack latency (frame received → ack sent), from its histogram: quantiles as bucket bounds.
  const buckets = [...m1.keys()]
    .filter((k) => k.startsWith('answer_ack_latency_seconds_bucket'))
    .map((k) => ({ le: /le="([^"]+)"/.exec(k)![1]!, n: delta(k) }))
    .map((b) => ({ le: b.le === '+Inf' ? Infinity : Number(b.le), n: b.n }))
    .sort((a, b) => a.le - b.le);
  const count = delta('answer_ack_latency_seconds_count');
  const leFor = (q: number) => {
    const b = buckets.find((x) => x.n >= q * count);
    return b ? (b.le === Infinity ? '> 1 s' : `≤ ${b.le * 1000} ms`) : null;
  };
  const under150 = buckets.find((x) => x.le === 0.15);
  return {
    savesCounted: delta('answer_saves_total'),
    groupCommitWrites: batches,
    meanEntriesPerWrite: batches ? round1(delta('live_commit_batch_entries_sum') / batches) : null,
    meanWriteMs: batches ? Math.round((delta('live_commit_write_seconds_sum') / batches) * 10000) / 10 : null,
    ackLatency: { count, p50: leFor(0.5), p95: leFor(0.95), p99: leFor(0.99), shareWithin150ms: under150 && count ? Math.round((under150.n / count) * 10000) / 100 : null },
    eventLoopLagMs: { p99: round1((m1.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1e3), max: round1((m1.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1e3) },
  };
}

// ------------------------------------------------------------------ loss audit

/**
 * Every (attempt, seq) a client was acknowledged must be in the attempt log
 * in the database: the proof that an ack meant "stored".
 */
export async function lossAudit(run: Run, examId: string, people: Candidate[]): Promise<{ acknowledged: number; lost: number; lostExamples: string[]; logEntries: number; attempts: number }> {
  console.log('loss audit: every acknowledged (attempt, seq) against the attempt log …');
  const stored = new Map<string, Set<number>>();
  const cursor = run.db.collection<{ attemptId: string; frames: { seq?: number }[] }>('attempt_log').find({ examId }, { projection: { attemptId: 1, frames: 1 } });
  let logEntries = 0;
  for await (const e of cursor) {
    logEntries++;
    let set = stored.get(e.attemptId);
    if (!set) stored.set(e.attemptId, (set = new Set()));
    for (const f of e.frames) if (typeof f.seq === 'number') set.add(f.seq);
  }
  let acknowledged = 0;
  let lost = 0;
  const lostExamples: string[] = [];
  for (const p of people) {
    if (!p.attemptId) continue;
    const have = stored.get(p.attemptId) ?? new Set<number>();
    for (const seq of p.acked) {
      acknowledged++;
      if (!have.has(seq)) {
        lost++;
        if (lostExamples.length < 10) lostExamples.push(`${p.attemptId}:${seq}`);
      }
    }
  }
  const attempts = await run.db.collection('attempts').countDocuments({ examId });
  const out = { acknowledged, lost, lostExamples, logEntries, attempts };
  console.log(JSON.stringify(out));
  return out;
}

// ------------------------------------------------------------------ reports

async function dropRedisPrefix(url: string, name: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for (const pattern of [`${name}:*`, `${name}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } catch {
    // Best effort; keys of a run carry its unique prefix.
  } finally {
    redis.disconnect();
  }
}

function writeReports(run: Run, markdown: (r: Json) => string[]) {
  const dir = path.join(projectRoot(), 'load-tests', 'results');
  mkdirSync(dir, { recursive: true });
  const label = run.parameters.label ? `-${String(run.parameters.label).replace(/[^a-z0-9-]+/gi, '-')}` : '';
  const base = path.join(dir, `load-${run.scenario}${label}-${new Date().toISOString().slice(0, 10)}-${run.stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(run.report, null, 2) + '\n');
  const r = run.report;
  const m = r.machine as Json;
  const lines = [
    `# Load scenario \`${run.scenario}\`${r.parameters && (r.parameters as Json).label ? ` (${(r.parameters as Json).label})` : ''}`,
    '',
    `- Command: \`${r.command}\``,
    `- Date: ${r.date}`,
    `- Machine: ${m.cpus} cores (${m.model}), ${m.memGiB} GiB, ${m.os}, Node ${m.node}, ulimit -n ${m.ulimitNofile}; load average before ${(m.loadavgBefore as number[]).join(' / ')}, after ${(m.loadavgAfter as number[] | undefined)?.join(' / ')}`,
    `- Parameters: ${Object.entries(r.parameters as Json).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`,
    '',
  ];
  if (r.failure) lines.push('**Run failed:**', '', '```', String(r.failure).slice(0, 2000), '```', '');
  try {
    lines.push(...markdown(r));
  } catch (err) {
    lines.push(`(no result table: ${(err as Error).message})`);
  }
  if (r.loadGeneratorLoopDelayMs) lines.push('', `Load generator event-loop delay (inflates client-side latency): ${JSON.stringify(r.loadGeneratorLoopDelayMs)} ms.`);
  writeFileSync(`${base}.md`, lines.join('\n') + '\n');
  console.log(`reports: ${base}.json, ${base}.md`);
}

/** `p50 / p95 / p99 / max` of a latency summary. */
export function pct(s: unknown): string {
  const l = s as { p50: number; p95: number; p99: number; max: number; count: number } | undefined;
  return l ? `${l.p50} / ${l.p95} / ${l.p99} / ${l.max}` : '–';
}

export { round1, rng as generatorRandom };
