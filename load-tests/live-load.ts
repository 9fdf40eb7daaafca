/**
 * Live-exam load test (issue 5): candidate WebSockets against an API server
 * started as its own process (`src/server.ts`), over real TCP.
 *
 *   npm run load:live -- [--candidates 5000] [--duration 120] [--interval 5000] [--ramp 30]
 *                        [--storm 2000] [--storm-window 1000] [--mode both|steady|storm]
 *                        [--items 40] [--label text] [--ferret-bin path]
 *
 * Phases:
 * - join storm: `--storm` candidates open a socket and join within `--storm-window` ms
 *   (uniformly spread); each must receive `state` within 3 s. They then disconnect.
 * - steady: `--candidates` sockets join over `--ramp` seconds, then each answers an
 *   item of its form at exponentially distributed intervals (mean `--interval` ms) for
 *   `--duration` seconds. Ack latency is measured per frame (send → ack, in this
 *   process), saves/s from the acks, errors by kind, server RSS per connected candidate
 *   (from /proc), and at the end a loss audit: every acknowledged (attempt, seq) is
 *   looked up in the attempt log in the database.
 *
 * The database is a FerretDB 1.24 of this run only (the embedded default's binary on a
 * free port and a temporary folder; `LOAD_MONGODB_URI` to use another), so other work on
 * the shared development FerretDB does not blur the figures. Redis is REDIS_URL or the
 * local one, under a key prefix of this run (removed at the end).
 * Results: load-tests/results/live-load-<stamp>.json and .md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import seedrandom from 'seedrandom';
import { WebSocket } from 'ws';
import { dataDir, projectRoot } from '../src/infra/paths.js';
import { ensureFerretBinary, portOpen } from '../src/infra/services.js';

const { values: args } = parseArgs({
  options: {
    candidates: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '120' },
    interval: { type: 'string', default: '5000' },
    ramp: { type: 'string', default: '30' },
    storm: { type: 'string', default: '2000' },
    'storm-window': { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'both' },
    items: { type: 'string', default: '40' },
    label: { type: 'string', default: '' },
    /** A FerretDB binary to run instead of the embedded default's (e.g. a patched build). */
    'ferret-bin': { type: 'string', default: '' },
  },
});
const N = Number(args.candidates);
const DURATION_S = Number(args.duration);
const INTERVAL_MS = Number(args.interval);
const RAMP_S = Number(args.ramp);
const STORM = Number(args.storm);
const STORM_WINDOW_MS = Number(args['storm-window']);
const MODE = args.mode as 'both' | 'steady' | 'storm';
const ITEMS = Number(args.items);
const STATE_WITHIN_MS = 3000;

const { MongoClient } = mongoose.mongo;
type MongoClient = InstanceType<typeof MongoClient>;

const JWT_SECRET = 'live-load-secret-that-is-long-enough-0123456789abcdef';
const ADMIN = { username: 'loadadmin', password: 'load-admin-password' };
const STAFF_PASSWORD = 'load-staff-password';
const rng = seedrandom('live-load-v1');
const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
/** Exponential inter-arrival time with the given mean (a Poisson process of answers). */
const expo = (mean: number) => -Math.log(1 - rng()) * mean;

// ------------------------------------------------------------------ processes

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A FerretDB for this run only: the embedded default's binary on a free port and a temporary folder. */
async function privateFerret(): Promise<{ uri: string; pid: number; stop: () => Promise<void> }> {
  const bin = args['ferret-bin'] || ensureFerretBinary(dataDir(process.env.DATA_DIR ?? '.data/test'));
  const folder = mkdtempSync(path.join(os.tmpdir(), 'live-load-ferret-'));
  const port = await freePort();
  const child = spawn(bin, [`--listen-addr=127.0.0.1:${port}`, `--sqlite-url=file:${folder}/`, '--log-level=error'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => portOpen(port), 30_000, 'the private FerretDB');
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

interface Server {
  child: ChildProcess;
  base: string;
  wsUrl: string;
  log: () => string;
  stop: () => Promise<void>;
}

/** The API server as production runs it, one process, started from source with the TS loader tests use. */
async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  // LOAD_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (process.env.LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', '@tapjs/typescript/import', 'src/server.ts'], {
    cwd: projectRoot(),
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the server exited: ${tail}`);
    return fetch(`${base}/health`).then((r) => r.ok, () => false);
  }, 120_000, 'the API server');
  return {
    child,
    base,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    log: () => tail,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process, in KiB. */
function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** CPU time of a process in ms (user + system). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// ------------------------------------------------------------------ setup through the API

type Json = Record<string, unknown>;

function client(base: string) {
  return async (method: string, url: string, token: string | null, body?: unknown): Promise<Json> => {
    const res = await fetch(base + url, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
    return text ? (JSON.parse(text) as Json) : {};
  };
}

/** Item bodies for the form, in the mix of a national-format paper (mostly single choice). */
function itemBodies(count: number, topic: string): Json[] {
  const mix: [string, number][] = [
    ['single_choice', 0.6], ['true_false_cluster', 0.1], ['numeric', 0.15], ['multiple_choice', 0.05],
    ['matching', 0.025], ['ordering', 0.025], ['short_text', 0.025], ['essay', 0.025],
  ];
  const counts = mix.map(([type, share]) => [type, Math.max(1, Math.round(share * count))] as const);
  const out: Json[] = [];
  for (const [type, n] of counts) {
    for (let i = 0; i < n; i++) {
      const common = { type, stem: `<p>Câu ${out.length + 1}: cho hàm số \\(f(x) = x^2 - ${i + 1}x\\). Chọn khẳng định đúng.</p>`, subject: 'math', grade: 12, topic, cognitiveLevel: 1, sharing: 'org' };
      const labelled = (p: string, k: number) => Array.from({ length: k }, (_, j) => ({ id: `${p}${j + 1}`, text: `Phương án ${j + 1}` }));
      switch (type) {
        case 'single_choice': out.push({ ...common, options: labelled('o', 4), correct: ['o1'] }); break;
        case 'multiple_choice': out.push({ ...common, options: labelled('o', 5), correct: ['o1', 'o3'], scoring: 'partial' }); break;
        case 'true_false_cluster': out.push({ ...common, statements: labelled('s', 4), values: { s1: true, s2: false, s3: true, s4: false } }); break;
        case 'numeric': out.push({ ...common, value: 1.5, tolerance: 0.01 }); break;
        case 'matching': out.push({ ...common, premises: labelled('p', 3), choices: labelled('c', 4), pairs: { p1: 'c1', p2: 'c2', p3: 'c3' } }); break;
        case 'ordering': out.push({ ...common, elements: labelled('e', 4), order: ['e1', 'e2', 'e3', 'e4'] }); break;
        case 'short_text': out.push({ ...common, accepted: ['Hà Nội'] }); break;
        case 'essay': out.push({ ...common, rubric: [{ criterion: 'Lập luận', maxPoints: 2 }] }); break;
      }
    }
  }
  return out;
}

interface Setup {
  steadyExam: string;
  stormExam: string;
  candidates: { id: string; token: string }[];
  itemCount: number;
}

async function setup(base: string, mongo: MongoClient, dbName: string, candidates: number, stamp: string): Promise<Setup> {
  const http = client(base);
  const admin = await http('POST', '/api/auth/login', null, ADMIN);
  const rootId = ((admin.user as Json).roles as { orgId: string }[])[0]!.orgId;
  const dep = await http('POST', '/api/orgs', admin.token as string, { code: `DEP-${stamp}`, name: 'Sở GD&ĐT', kind: 'department', parentId: rootId });
  const school = await http('POST', '/api/orgs', admin.token as string, { code: `SCH-${stamp}`, name: 'THPT Chu Văn An', kind: 'school', parentId: dep.id });
  const staff = async (username: string, role: string) => {
    await http('POST', '/api/users', admin.token as string, { username, password: STAFF_PASSWORD, displayName: username, roles: [{ role, orgId: dep.id }] });
    return (await http('POST', '/api/auth/login', null, { username, password: STAFF_PASSWORD })).token as string;
  };
  const author = await staff('loadauthor', 'author');
  const reviewer = await staff('loadreviewer', 'reviewer');
  const manager = await staff('loadmanager', 'exam_manager');

  console.log(`creating ${candidates} candidates …`);
  const usernames: string[] = [];
  for (let start = 0; start < candidates; start += 5000) {
    const chunk = Array.from({ length: Math.min(5000, candidates - start) }, (_, i) => {
      const username = `ts${stamp}_${start + i}`;
      usernames.push(username);
      return { username, password: 'thi-thu-2025', displayName: `Thí sinh ${start + i}`, studentId: `HS${start + i}`, roles: [{ role: 'candidate', orgId: school.id }] };
    });
    const res = await http('POST', '/api/users/bulk', admin.token as string, { users: chunk });
    if ((res.failed as unknown[]).length) throw new Error(`bulk users failed: ${JSON.stringify((res.failed as unknown[]).slice(0, 3))}`);
  }
  // The bulk answer counts; the ids are read back from the database (setup only).
  const users = await mongo.db(dbName).collection<{ _id: string; username: string }>('users').find({ 'roles.orgId': school.id }, { projection: { _id: 1, username: 1 } }).toArray();
  const idOf = new Map(users.map((u) => [u.username, u._id]));
  const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256', expiresIn: 6 * 3600 * 1000 });
  const list = usernames.map((u) => {
    const id = idOf.get(u);
    if (!id) throw new Error(`candidate ${u} missing`);
    // The same claims TokenService.issue() signs; logging 5,000 candidates in is not what is measured here.
    return { id, token: sign({ sub: id, jti: randomUUID(), iatMs: Date.now() }) };
  });

  console.log(`creating and approving ${ITEMS} items, assembling two exams …`);
  const topic = `live-load-${stamp}`;
  const bodies = itemBodies(ITEMS, topic);
  const created = await http('POST', '/api/items/bulk', author, { items: bodies });
  const ids = (created.results as { id?: string; error?: unknown }[]).map((r) => {
    if (!r.id) throw new Error(`item refused: ${JSON.stringify(r.error)}`);
    return r.id;
  });
  for (const id of ids) {
    await http('POST', `/api/items/${id}/status`, author, { status: 'in_review' });
    await http('POST', `/api/items/${id}/status`, reviewer, { status: 'approved' });
  }
  const perType = new Map<string, number>();
  for (const b of bodies) perType.set(b.type as string, (perType.get(b.type as string) ?? 0) + 1);
  const blueprint = await http('POST', '/api/blueprints', manager, {
    title: 'Thi thử THPT – Toán',
    subject: 'math',
    grade: 12,
    durationMinutes: 90,
    sections: [...perType].map(([type, count], i) => ({ title: `Phần ${i + 1}`, type, shuffleItems: true, cells: [{ topic, cognitiveLevel: 1, count }] })),
  });
  const exam = async (title: string, roster: string[]) => {
    const e = await http('POST', '/api/exams', manager, {
      title,
      blueprintId: blueprint.id,
      formCount: 4,
      opensAt: new Date(Date.now() - 60_000).toISOString(),
      closesAt: new Date(Date.now() + 4 * 3600_000).toISOString(),
      durationMinutes: 90,
      candidateIds: roster,
      showResults: 'after_close',
    });
    await http('POST', `/api/exams/${e.id}/assemble`, manager);
    await http('POST', `/api/exams/${e.id}/publish`, manager);
    return e.id as string;
  };
  const all = list.map((c) => c.id);
  return { steadyExam: await exam('Thi thử – ca 1', all), stormExam: await exam('Thi thử – ca 2', all), candidates: list, itemCount: ids.length };
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

class Latencies {
  private values = new Float64Array(1 << 16);
  count = 0;
  push(v: number) {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = v;
  }
  summary() {
    const sorted = this.values.slice(0, this.count).sort();
    const q = (p: number) => (this.count ? sorted[Math.min(this.count - 1, Math.ceil(p * this.count) - 1)]! : NaN);
    const r = (x: number) => Math.round(x * 10) / 10;
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += sorted[i]!;
    return { count: this.count, mean: r(sum / (this.count || 1)), p50: r(q(0.5)), p95: r(q(0.95)), p99: r(q(0.99)), p999: r(q(0.999)), max: r(q(1)) };
  }
}

interface Stats {
  acks: Latencies;
  measuring: boolean;
  answersAcked: number;
  nacks: Map<string, number>;
  errors: Map<string, number>;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

class Candidate {
  ws: WebSocket | null = null;
  attemptId = '';
  items: Item[] = [];
  seq = 0;
  readonly sent = new Map<number, number>();
  readonly acked: number[] = [];
  timer: NodeJS.Timeout | null = null;
  stopped = false;
  joinedAt = 0;

  constructor(
    readonly id: string,
    readonly token: string,
    readonly stats: Stats,
  ) {}

  /** Opens and joins; resolves with the ms from opening to `state` (or rejects). */
  join(url: string, examId: string): Promise<number> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      this.ws = ws;
      let joined = false;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'join', token: this.token, examId })));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; seq?: number; error?: { code: string }; attemptId?: string; items?: Item[]; lastSeq?: number };
        switch (m.type) {
          case 'state':
            joined = true;
            this.attemptId = m.attemptId!;
            this.items = m.items!;
            this.seq = m.lastSeq!;
            this.joinedAt = performance.now();
            resolve(this.joinedAt - t0);
            return;
          case 'ack': {
            const at = this.sent.get(m.seq!);
            if (at === undefined) return;
            this.sent.delete(m.seq!);
            this.acked.push(m.seq!);
            if (this.stats.measuring) {
              this.stats.acks.push(performance.now() - at);
              this.stats.answersAcked++;
            }
            return;
          }
          case 'nack':
            this.sent.delete(m.seq!);
            bump(this.stats.nacks, m.error?.code ?? '?');
            return;
          case 'error':
            bump(this.stats.errors, `error:${m.error?.code ?? '?'}`);
            if (!joined) reject(new Error(m.error?.code));
            return;
          default:
            if (m.type !== 'pong' && m.type !== 'time') bump(this.stats.errors, `unexpected:${m.type}`);
        }
      });
      ws.on('close', (code) => {
        if (!this.stopped) bump(this.stats.errors, `closed:${code}`);
        if (!joined) reject(new Error(`closed ${code}`));
        if (this.timer) clearTimeout(this.timer);
      });
      ws.on('error', (err) => {
        bump(this.stats.errors, `socket:${err.message.slice(0, 40)}`);
      });
    });
  }

  answerEvery(meanMs: number) {
    const next = () => {
      if (this.stopped) return;
      this.answer();
      this.timer = setTimeout(next, expo(meanMs));
    };
    // The first answer comes after a random share of one interval, so the sockets do not beat in step.
    this.timer = setTimeout(next, rng() * meanMs);
  }

  answer() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const item = pick(this.items);
    const seq = ++this.seq;
    this.sent.set(seq, performance.now());
    ws.send(JSON.stringify({ type: 'answer', seq, itemId: item.itemId, response: responseFor(item) }));
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

/** Runs `fn` for each index at `startAt + i * spacing` ms (spreads joins). */
function spread<T>(count: number, windowMs: number, fn: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const t0 = performance.now();
  return Promise.allSettled(
    Array.from({ length: count }, (_, i) => new Promise<T>((resolve, reject) => {
      const at = t0 + (windowMs * i) / count;
      setTimeout(() => fn(i).then(resolve, reject), Math.max(0, at - performance.now()));
    })),
  );
}

async function metricsText(base: string): Promise<Map<string, number>> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text());
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+(?:\{[^}]*\})?) ([0-9.e+-]+|NaN)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

// ------------------------------------------------------------------ run

async function main() {
  const stamp = Date.now().toString(36);
  const name = `load_live_${stamp}`;
  const started = new Date();
  const ferret = process.env.LOAD_MONGODB_URI ? null : await privateFerret();
  const mongoBase = process.env.LOAD_MONGODB_URI ?? ferret!.uri;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const mongo = new MongoClient(mongoBase);
  await mongo.connect();
  let server: Server | null = null;
  const report: Json = {
    command: `npm run load:live -- ${process.argv.slice(2).join(' ')}`.trim(),
    label: args.label,
    date: started.toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavgBefore: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    parameters: { candidates: N, durationS: DURATION_S, intervalMs: INTERVAL_MS, rampS: RAMP_S, storm: STORM, stormWindowMs: STORM_WINDOW_MS, mode: MODE, items: ITEMS, database: ferret ? `private FerretDB 1.24 (SQLite)${args['ferret-bin'] ? `, binary ${args['ferret-bin']}` : ''}` : 'LOAD_MONGODB_URI' },
  };
  try {
    server = await startServer({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      MONGODB_URI: `${mongoBase}/${name}`,
      SECTOR_MONGODB_URI: `${mongoBase}/${name}_sector`,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: name,
      REDIS_KEY_PREFIX: `${name}:`,
      JWT_SECRET,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      DATA_DIR: process.env.DATA_DIR ?? '.data/test',
    });
    const pid = server.child.pid!;
    const total = Math.max(MODE === 'storm' ? 0 : N, MODE === 'steady' ? 0 : STORM);
    const s = await setup(server.base, mongo, name, total, stamp);
    (report.parameters as Json).formItems = s.itemCount;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();

    if (MODE !== 'steady') report.joinStorm = await joinStorm(server, s);
    if (MODE !== 'storm') report.steady = await steady(server, s, pid, ferret?.pid ?? null, mongo, name);
    loop.disable();
    report.loadGeneratorLoopDelayMs = { p50: Math.round(loop.percentile(50) / 1e4) / 100, p99: Math.round(loop.percentile(99) / 1e4) / 100, max: Math.round(loop.max / 1e4) / 100 };
  } catch (err) {
    report.failure = err instanceof Error ? err.message : String(err);
    if (server) report.serverLogTail = server.log().slice(-4000);
    process.exitCode = 1;
  } finally {
    (report.machine as Json).loadavgAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);
    await server?.stop();
    await mongo.db(name).dropDatabase().catch(() => {});
    await mongo.db(`${name}_sector`).dropDatabase().catch(() => {});
    await mongo.close();
    await ferret?.stop();
    await dropRedisPrefix(redisUrl, name);
  }
  writeReports(report, stamp);
}

async function joinStorm(server: Server, s: Setup): Promise<Json> {
  console.log(`join storm: ${STORM} candidates within ${STORM_WINDOW_MS} ms …`);
  const stats: Stats = { acks: new Latencies(), measuring: false, answersAcked: 0, nacks: new Map(), errors: new Map() };
  const people = s.candidates.slice(0, STORM).map((c) => new Candidate(c.id, c.token, stats));
  const times = new Latencies();
  const t0 = performance.now();
  const results = await spread(people.length, STORM_WINDOW_MS, async (i) => {
    const ms = await people[i]!.join(server.wsUrl, s.stormExam);
    times.push(ms);
    return ms;
  });
  const wall = performance.now() - t0;
  const failed = results.filter((r) => r.status === 'rejected').length;
  const within = results.filter((r) => r.status === 'fulfilled' && r.value <= STATE_WITHIN_MS).length;
  for (const p of people) p.close();
  await new Promise((r) => setTimeout(r, 2000));
  const out = {
    candidates: STORM,
    windowMs: STORM_WINDOW_MS,
    stateWithin3s: within,
    failed,
    allWithin3s: within === STORM,
    lastStateAfterMs: Math.round(wall),
    openToStateMs: times.summary(),
    errors: Object.fromEntries(stats.errors),
  };
  console.log(JSON.stringify(out));
  return out;
}

async function steady(server: Server, s: Setup, pid: number, dbPid: number | null, mongo: MongoClient, dbName: string): Promise<Json> {
  const stats: Stats = { acks: new Latencies(), measuring: false, answersAcked: 0, nacks: new Map(), errors: new Map() };
  const people = s.candidates.slice(0, N).map((c) => new Candidate(c.id, c.token, stats));
  await new Promise((r) => setTimeout(r, 1000));
  const rssBefore = rssKiB(pid);
  console.log(`steady: ${N} candidates join over ${RAMP_S} s (server RSS ${Math.round(rssBefore / 1024)} MiB) …`);
  const joinTimes = new Latencies();
  const joined = await spread(people.length, RAMP_S * 1000, async (i) => {
    const ms = await people[i]!.join(server.wsUrl, s.steadyExam);
    joinTimes.push(ms);
    return ms;
  });
  const joinFailed = joined.filter((r) => r.status === 'rejected').length;
  const live = people.filter((p) => p.attemptId);
  await new Promise((r) => setTimeout(r, 2000));
  const rssJoined = rssKiB(pid);
  console.log(`${live.length} joined (${joinFailed} failed); RSS ${Math.round(rssJoined / 1024)} MiB; answering for ${DURATION_S} s …`);

  for (const p of live) p.answerEvery(INTERVAL_MS);
  // Let every socket reach its pace before measuring.
  await new Promise((r) => setTimeout(r, Math.min(INTERVAL_MS, 5000)));
  const m0 = await metricsText(server.base);
  const cpu0 = { server: cpuMs(pid), db: dbPid ? cpuMs(dbPid) : null, t: performance.now() };
  stats.measuring = true;
  const rssSamples: number[] = [];
  const perSecond: number[] = [];
  let lastAcked = 0;
  const tick = setInterval(() => {
    perSecond.push(stats.answersAcked - lastAcked);
    lastAcked = stats.answersAcked;
    if (perSecond.length % 5 === 0) {
      rssSamples.push(rssKiB(pid));
      const l = stats.acks.summary();
      console.log(`  t=${perSecond.length}s saves/s=${perSecond.at(-1)} acked=${stats.answersAcked} p50=${l.p50} p99=${l.p99} rss=${Math.round(rssSamples.at(-1)! / 1024)}MiB`);
    }
  }, 1000);
  await new Promise((r) => setTimeout(r, DURATION_S * 1000));
  clearInterval(tick);
  stats.measuring = false;
  const seconds = (performance.now() - cpu0.t) / 1000;
  const cpu = { serverPct: Math.round(((cpuMs(pid) - cpu0.server) / 10 / seconds) * 10) / 10, dbPct: dbPid ? Math.round(((cpuMs(dbPid) - cpu0.db!) / 10 / seconds) * 10) / 10 : null };
  const m1 = await metricsText(server.base);
  for (const p of live) p.stop();
  // Frames still in flight get their answer (or not) within a few seconds.
  const drainUntil = Date.now() + 15_000;
  while (live.some((p) => p.sent.size > 0) && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 200));
  const unanswered = live.reduce((n, p) => n + p.sent.size, 0);
  const rssEnd = rssKiB(pid);
  for (const p of live) p.close();

  console.log('loss audit: every acknowledged (attempt, seq) against the attempt log …');
  const acked = new Map(live.map((p) => [p.attemptId, p.acked]));
  const stored = new Map<string, Set<number>>();
  const cursor = mongo.db(dbName).collection<{ attemptId: string; frames: { seq?: number }[] }>('attempt_log').find({ examId: s.steadyExam }, { projection: { attemptId: 1, frames: 1 } });
  let entries = 0;
  for await (const e of cursor) {
    entries++;
    let set = stored.get(e.attemptId);
    if (!set) stored.set(e.attemptId, (set = new Set()));
    for (const f of e.frames) if (typeof f.seq === 'number') set.add(f.seq);
  }
  let ackedTotal = 0;
  let lost = 0;
  const lostExamples: string[] = [];
  for (const [attemptId, seqs] of acked) {
    const have = stored.get(attemptId) ?? new Set<number>();
    for (const seq of seqs) {
      ackedTotal++;
      if (!have.has(seq)) {
        lost++;
        if (lostExamples.length < 10) lostExamples.push(`${attemptId}:${seq}`);
      }
    }
  }
  const attempts = await mongo.db(dbName).collection('attempts').countDocuments({ examId: s.steadyExam });

  const delta = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
  const batches = delta('live_commit_batch_entries_count');
  // Server-side ack latency (frame received → ack sent), from its histogram: quantiles as bucket bounds.
  const buckets = [...m1.keys()]
    .filter((k) => k.startsWith('answer_ack_latency_seconds_bucket'))
    .map((k) => ({ le: /le="([^"]+)"/.exec(k)![1]!, n: delta(k) }))
    .map((b) => ({ le: b.le === '+Inf' ? Infinity : Number(b.le), n: b.n }))
    .sort((a, b) => a.le - b.le);
  const serverCount = delta('answer_ack_latency_seconds_count');
  const leFor = (q: number) => {
    const b = buckets.find((x) => x.n >= q * serverCount);
    return b ? (b.le === Infinity ? '> 1 s' : `≤ ${b.le * 1000} ms`) : null;
  };
  const under150 = buckets.find((x) => x.le === 0.15);
  const out = {
    candidatesConnected: live.length,
    joinFailed,
    joinOpenToStateMs: joinTimes.summary(),
    measuredSeconds: Math.round(seconds * 10) / 10,
    savesPerSecond: Math.round((stats.answersAcked / seconds) * 10) / 10,
    savesPerSecondMin: Math.min(...perSecond),
    savesPerSecondMax: Math.max(...perSecond),
    ackLatencyMs: stats.acks.summary(),
    errors: { nacks: Object.fromEntries(stats.nacks), other: Object.fromEntries(stats.errors), unansweredAtEnd: unanswered },
    server: {
      rssBeforeJoinMiB: Math.round(rssBefore / 1024),
      rssJoinedMiB: Math.round(rssJoined / 1024),
      rssMaxDuringMiB: Math.round(Math.max(...rssSamples, rssJoined) / 1024),
      rssEndMiB: Math.round(rssEnd / 1024),
      rssPerCandidateKiB: Math.round(((Math.max(...rssSamples, rssJoined) - rssBefore) / live.length) * 10) / 10,
      rssTotalPerCandidateKiB: Math.round((Math.max(...rssSamples, rssJoined) / live.length) * 10) / 10,
      cpuPercent: cpu.serverPct,
      dbCpuPercent: cpu.dbPct,
      savesCounted: delta('answer_saves_total'),
      groupCommitWrites: batches,
      meanEntriesPerWrite: batches ? Math.round((delta('live_commit_batch_entries_sum') / batches) * 10) / 10 : null,
      meanWriteMs: batches ? Math.round((delta('live_commit_write_seconds_sum') / batches) * 10000) / 10 : null,
      ackLatency: {
        count: serverCount,
        p50: leFor(0.5),
        p95: leFor(0.95),
        p99: leFor(0.99),
        shareWithin150ms: under150 && serverCount ? Math.round((under150.n / serverCount) * 10000) / 100 : null,
      },
      eventLoopLagMs: { p99: Math.round((m1.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1e4) / 10, max: Math.round((m1.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1e4) / 10 },
    },
    lossAudit: { acknowledged: ackedTotal, lost, lostExamples, logEntries: entries, attempts },
  };
  console.log(JSON.stringify(out, null, 2));
  return out;
}

async function dropRedisPrefix(url: string, name: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${name}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Best effort; keys of a run carry its unique prefix.
  } finally {
    redis.disconnect();
  }
}

function writeReports(report: Json, stamp: string) {
  const dir = path.join(projectRoot(), 'load-tests', 'results');
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `live-load-${new Date().toISOString().slice(0, 10)}-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown(report));
  console.log(`reports: ${base}.json, ${base}.md`);
}

function markdown(r: Json): string {
  const p = r.parameters as Json;
  const m = r.machine as Json;
  const lines = [
    `# Live exam load test ${r.label ? `(${r.label})` : ''}`,
    '',
    `- Command: \`${r.command}\``,
    `- Date: ${r.date}`,
    `- Machine: ${m.cpus} cores (${m.model}), ${m.memGiB} GiB, Node ${m.node}; load average before ${(m.loadavgBefore as number[]).join(' / ')}, after ${(m.loadavgAfter as number[] | undefined)?.join(' / ')}`,
    `- Database: ${p.database}; form of ${p.formItems} items, 4 forms`,
    '',
  ];
  if (r.failure) lines.push(`**Run failed:** ${r.failure}`, '');
  const storm = r.joinStorm as Json | undefined;
  if (storm) {
    const t = storm.openToStateMs as Json;
    lines.push(
      '## Join storm',
      '',
      `| candidates | window | state within 3 s | failed | open→state p50 / p95 / p99 / max (ms) |`,
      '|---|---|---|---|---|',
      `| ${storm.candidates} | ${storm.windowMs} ms | ${storm.stateWithin3s} | ${storm.failed} | ${t.p50} / ${t.p95} / ${t.p99} / ${t.max} |`,
      '',
    );
  }
  const st = r.steady as Json | undefined;
  if (st) {
    const l = st.ackLatencyMs as Json;
    const srv = st.server as Json;
    const audit = st.lossAudit as Json;
    lines.push(
      '## Steady answering',
      '',
      `${st.candidatesConnected} sockets, one answer every ~${p.intervalMs} ms each (exponential), ${st.measuredSeconds} s measured.`,
      '',
      '| metric | value | target |',
      '|---|---|---|',
      `| ack latency p50 / p95 / p99 / max (client: send → ack) | ${l.p50} / ${l.p95} / ${l.p99} / ${l.max} ms | p99 ≤ 150 ms |`,
      `| ack latency in the server (receipt → ack), p50 / p95 / p99; share ≤ 150 ms | ${(srv.ackLatency as Json).p50} / ${(srv.ackLatency as Json).p95} / ${(srv.ackLatency as Json).p99}; ${(srv.ackLatency as Json).shareWithin150ms} % | |`,
      `| server event-loop lag p99 / max | ${(srv.eventLoopLagMs as Json).p99} / ${(srv.eventLoopLagMs as Json).max} ms | |`,
      `| saves/s (mean, min–max per second) | ${st.savesPerSecond} (${st.savesPerSecondMin}–${st.savesPerSecondMax}) | ≈ ${Math.round(Number(p.candidates) / (Number(p.intervalMs) / 1000))} |`,
      `| acknowledged answers / lost | ${audit.acknowledged} / **${audit.lost}** | 0 lost |`,
      `| errors | ${JSON.stringify(st.errors)} | none |`,
      `| server RSS per connected candidate | ${srv.rssPerCandidateKiB} KiB (growth) · ${srv.rssTotalPerCandidateKiB} KiB (whole process / candidates) | ≤ 50 KiB |`,
      `| server RSS before join / joined / max / end | ${srv.rssBeforeJoinMiB} / ${srv.rssJoinedMiB} / ${srv.rssMaxDuringMiB} / ${srv.rssEndMiB} MiB | |`,
      `| CPU: API process / FerretDB | ${srv.cpuPercent} % / ${srv.dbCpuPercent ?? '–'} % of one core | |`,
      `| group commit: writes, entries per write, ms per write | ${srv.groupCommitWrites}, ${srv.meanEntriesPerWrite}, ${srv.meanWriteMs} | |`,
      `| join (open→state) p50 / p99 during the ramp | ${(st.joinOpenToStateMs as Json).p50} / ${(st.joinOpenToStateMs as Json).p99} ms | |`,
      '',
    );
  }
  if (r.loadGeneratorLoopDelayMs) lines.push(`Load generator event-loop delay (inflates measured latency): ${JSON.stringify(r.loadGeneratorLoopDelayMs)} ms.`, '');
  return lines.join('\n');
}

await main();
