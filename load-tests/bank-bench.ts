/**
 * Question-bank benchmark: inserts N generated items through POST /api/items/bulk
 * over real HTTP, then measures search latency (filtered, q, filtered + q) over
 * that bank, and the same queries sent straight to the database, so that what
 * the database costs is visible next to what the API adds.
 *
 *   npm run bench:bank -- --items 100000 [--batch 1000] [--concurrency 2] [--queries 20] [--out file.json] [--keep]
 *
 * The app is built in this process and listens on an ephemeral port; requests
 * go through fetch like any client's. The database is BENCH_MONGODB_URI or,
 * by default, a FerretDB 1.24 of its own (the embedded default's binary, on a
 * free port with a temporary data folder), so that other work on the shared
 * development FerretDB does not blur the figures; it is stopped and removed
 * at the end. Redis is REDIS_URL or the local one.
 * Results: load-tests/results/bank-bench.json (or --out).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { Filter } from 'mongodb';
import seedrandom from 'seedrandom';
import { buildApp } from '../src/app.js';
import { searchFilter } from '../src/bank/database-search-index.js';
import { RedisSearchIndex } from '../src/bank/redis-search-index.js';
import { loadConfig } from '../src/config.js';
import { ensureRedis, privateFerret, stopServices } from '../src/infra/services.js';
import { dataDir, projectRoot } from '../src/infra/paths.js';
import { BANK_SUBJECTS as SUBJECTS, BANK_WORDS as WORDS, buildWorld, httpApi, mixedBankItem } from '../test/support/fixtures/index.js';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '2' },
    queries: { type: 'string', default: '20' },
    /** How many of the queries are also sent straight to the database (each is a full scan on FerretDB: 45-165 s at 100,000 items). */
    'db-queries': { type: 'string' },
    /** Also time a rebuild of the search index from the database (what a Redis restart costs). */
    rebuild: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: 'load-tests/results/bank-bench.json' },
  },
});
const N = Number(args.items);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const QUERIES = Number(args.queries);
const DB_QUERIES = args['db-queries'] === undefined ? QUERIES : Number(args['db-queries']);

const rng = seedrandom('bank-bench-v1');
const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
// The bank and the queries over it come from the shared fixtures (test/support/fixtures), drawn from one seeded stream.
const generateItem = (i: number) => mixedBankItem(i, rng);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), max: round(s[s.length - 1] ?? NaN), mean: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)) };
};

/** The app's and its queues' Redis keys all start with the bench's own name. */
async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Redis memory of the bench's search index (MEMORY USAGE summed over its keys). */
async function indexBytes(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let total = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:bix:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) total += (await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return total;
}

async function main() {
  const stamp = Date.now().toString(36);
  const name = `bench_bank_${stamp}`;
  const baseEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATA_DIR: process.env.DATA_DIR ?? '.data/test' } as Record<string, string | undefined>;
  const services = loadConfig(baseEnv);
  const ferret = process.env.BENCH_MONGODB_URI ? null : await privateFerret({ dataDir: dataDir(services.DATA_DIR) });
  const redis = process.env.REDIS_URL ? null : await ensureRedis(services);
  try {
    await run(baseEnv, name, stamp, process.env.BENCH_MONGODB_URI ?? ferret!.uri, ferret?.pid ?? null);
  } finally {
    await ferret?.stop();
    if (redis) await stopServices([redis]);
  }
}

/**
 * CPU time of the private FerretDB and of this process (the API and its
 * client), in ms. On a machine shared with other jobs wall-clock time
 * mostly measures the queue for the two cores; CPU time is what the work
 * itself costs, and says what an idle machine would do.
 */
function cpuMs(dbPid: number | null): { db: number | null; app: number } {
  const app = process.cpuUsage();
  let db: number | null = null;
  if (dbPid !== null) {
    try {
      // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${dbPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      db = (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      db = null;
    }
  }
  return { db, app: (app.user + app.system) / 1000 };
}

function cpuSince(before: { db: number | null; app: number }, dbPid: number | null) {
  const now = cpuMs(dbPid);
  return { dbMs: before.db !== null && now.db !== null ? now.db - before.db : null, appMs: Math.round(now.app - before.app) };
}

async function run(baseEnv: Record<string, string | undefined>, name: string, stamp: string, mongoBase: string, dbPid: number | null) {
  const privateDb = dbPid !== null;
  const config = loadConfig({
    ...baseEnv,
    MONGODB_URI: `${mongoBase}/${name}`,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: `${name}:`,
    ADMIN_USERNAME: 'benchadmin',
    ADMIN_PASSWORD: 'bench-admin-password',
    JWT_SECRET: 'bench-secret-that-is-long-enough-0123456789abcdef',
  });
  const app = await buildApp(config, { logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const http = async (method: string, url: string, token: string | null, body?: unknown) => {
    const res = await fetch(address + url, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };

  const loadBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
  try {
    const world = await buildWorld(httpApi(address), {
      admin: { username: 'benchadmin', password: 'bench-admin-password' },
      orgs: [
        { key: 'dep', code: `DEP-${stamp}`, name: 'Sở GD&ĐT', kind: 'department' },
        { key: 'school', code: `SCH-${stamp}`, name: 'THPT Chu Văn An', kind: 'school', parent: 'dep' },
      ],
      users: [{ key: 'author', username: 'benchauthor', displayName: 'Tác giả', roles: [['author', 'school'], ['reviewer', 'school']] }],
      password: 'bench-author-pass',
    });
    const author = world.users.author.token;

    // ---- insert
    console.log(`inserting ${N} items, ${BATCH} per call, ${CONCURRENCY} calls in flight …`);
    const batches = Math.ceil(N / BATCH);
    const batchMs: number[] = [];
    let failed = 0;
    let nextBatch = 0;
    let done = 0;
    // Bodies are generated before the clock starts: making them is the client's work, not the server's.
    const bodies = Array.from({ length: batches }, (_, b) =>
      JSON.stringify({ items: Array.from({ length: Math.min(BATCH, N - b * BATCH) }, (_, i) => generateItem(b * BATCH + i)) }),
    );
    const t0 = performance.now();
    const insertCpu = cpuMs(dbPid);
    const worker = async () => {
      while (nextBatch < batches) {
        const b = nextBatch++;
        const size = Math.min(BATCH, N - b * BATCH);
        const s = performance.now();
        const res = await http('POST', '/api/items/bulk', author, bodies[b]!);
        batchMs.push(performance.now() - s);
        failed += (res.results as { error?: unknown }[]).filter((r) => r.error).length;
        done += size;
        bodies[b] = '';
        if (b % 10 === 0) console.log(`  ${done} items, ${Math.round(done / ((performance.now() - t0) / 1000))} items/s`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const insertSeconds = (performance.now() - t0) / 1000;
    const spent = cpuSince(insertCpu, dbPid);
    const perThousand = (ms: number | null) => (ms === null ? null : Math.round((ms / N) * 1000));
    const cpuPer1000 = { databaseMs: perThousand(spent.dbMs), appMs: Math.round((spent.appMs / N) * 1000) };
    const insert = {
      items: N,
      failed,
      seconds: Math.round(insertSeconds * 10) / 10,
      itemsPerSecond: Math.round(N / insertSeconds),
      batchMs: summary(batchMs),
      cpuPer1000Items: cpuPer1000,
      // What the CPU cost allows on an otherwise idle two-core machine: with the database on one core
      // and the app on the other (the busier one sets the pace), or with both sharing both cores.
      idleTwoCoreItemsPerSecond:
        cpuPer1000.databaseMs === null
          ? null
          : {
              onePerCore: Math.round(1_000_000 / Math.max(cpuPer1000.databaseMs, cpuPer1000.appMs)),
              sharingBothCores: Math.round(2_000_000 / (cpuPer1000.databaseMs + cpuPer1000.appMs)),
            },
    };
    console.log('insert', insert);

    // ---- search, through the API and straight against the database
    // BANK_SEARCH=database has no index of its own: search is the database query measured beside it.
    const redisIndex = app.bank.index instanceof RedisSearchIndex ? app.bank.index : null;
    const indexReady = redisIndex ? await redisIndex.isReady() : null;
    const indexMemory = await indexBytes(config.REDIS_URL, name);
    console.log('search index', { ready: indexReady, redisBytes: indexMemory });
    const me = await http('GET', '/api/me', author);
    const caller = await app.bank.access.caller({ id: me.id, roles: me.roles });
    const items = app.mongo.db!.collection<{ _id: string }>('items');
    type Kind = 'filtered' | 'q' | 'filteredQ';
    const queries: Record<Kind, () => Record<string, string>> = {
      filtered: () => ({ subject: pick(SUBJECTS), grade: String(int(6, 12)), cognitiveLevel: String(int(1, 4)) }),
      q: () => ({ q: pick(WORDS) }),
      filteredQ: () => ({ subject: pick(SUBJECTS), grade: String(int(6, 12)), q: `${pick(WORDS)} ${pick(WORDS)}` }),
    };
    // Exactly the filter GET /api/items runs for these parameters.
    const dbFilter = (p: Record<string, string>) =>
      searchFilter(caller, {
        ...p,
        ...(p.grade ? { grade: Number(p.grade) } : {}),
        ...(p.cognitiveLevel ? { cognitiveLevel: Number(p.cognitiveLevel) } : {}),
      }) as Filter<{ _id: string }>;
    const search: Record<string, unknown> = {};
    for (const kind of Object.keys(queries) as Kind[]) {
      const apiMs: number[] = [];
      const dbMs: number[] = [];
      const apiCpu: { dbMs: number | null; appMs: number }[] = [];
      const dbOnlyCpu: (number | null)[] = [];
      let results = 0;
      for (let i = 0; i < QUERIES + 1; i++) {
        const params = queries[kind]();
        const c1 = cpuMs(dbPid);
        const s = performance.now();
        const page = await http('GET', `/api/items?${new URLSearchParams({ ...params, limit: '50' })}`, author);
        const ms = performance.now() - s;
        const viaApi = cpuSince(c1, dbPid);
        if (i === 0) continue; // warm-up
        apiMs.push(ms);
        apiCpu.push(viaApi);
        if (i <= DB_QUERIES) {
          const c2 = cpuMs(dbPid);
          const d = performance.now();
          await items.find(dbFilter(params), { projection: { tokens: 0 } }).sort({ _id: 1 }).limit(51).toArray();
          dbMs.push(performance.now() - d);
          dbOnlyCpu.push(cpuSince(c2, dbPid).dbMs);
        }
        results += page.items.length;
      }
      const mean = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : Math.round(xs.reduce<number>((a, b) => a + (b ?? 0), 0) / (xs.length || 1)));
      search[kind] = {
        api: summary(apiMs),
        databaseOnly: summary(dbMs),
        meanCpuMsPerQuery: { viaApi: { database: mean(apiCpu.map((c) => c.dbMs)), app: mean(apiCpu.map((c) => c.appMs)) }, databaseOnly: mean(dbOnlyCpu) },
        meanItemsPerPage: Math.round((results / QUERIES) * 10) / 10,
      };
      console.log(kind, search[kind]);
    }
    const point: number[] = [];
    const sample = await items.find({}, { projection: { _id: 1 } }).limit(20).toArray();
    for (const doc of sample) {
      const s = performance.now();
      await http('GET', `/api/items/${String(doc._id)}`, author);
      point.push(performance.now() - s);
    }
    let indexRebuild: { seconds: number; cpuPer1000Items: { databaseMs: number | null; appMs: number } } | null = null;
    if (args.rebuild && redisIndex) {
      const c = cpuMs(dbPid);
      const s = performance.now();
      await redisIndex.rebuild();
      const spentRebuild = cpuSince(c, dbPid);
      indexRebuild = { seconds: Math.round((performance.now() - s) / 100) / 10, cpuPer1000Items: { databaseMs: perThousand(spentRebuild.dbMs), appMs: Math.round((spentRebuild.appMs / N) * 1000) } };
      console.log('index rebuild', indexRebuild);
    }
    const build = await app.mongo.db!.admin().command({ buildInfo: 1 });
    const results = {
      benchmark: 'bank',
      date: new Date().toISOString(),
      command: `npm run bench:bank -- --items ${N} --batch ${BATCH} --concurrency ${CONCURRENCY} --queries ${QUERIES} --db-queries ${DB_QUERIES}${args.rebuild ? ' --rebuild' : ''}`,
      note: 'Wall-clock figures on a machine shared with other jobs mostly measure the queue for its cores; cpu* figures are the work itself.',
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
      loadAverageDuringRun: { before: loadBefore, after: os.loadavg().map((x) => Math.round(x * 100) / 100) },
      database: { ferretdb: build.ferretdbVersion ?? null, mongodbVersion: build.version, private: privateDb },
      insert,
      searchIndex: { readyBeforeSearch: indexReady, redisBytes: indexMemory, bytesPerItem: Math.round(indexMemory / N), rebuild: indexRebuild },
      search,
      getById: summary(point),
    };
    const out = path.resolve(projectRoot(), args.out);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    console.log(JSON.stringify(results, null, 2));
  } finally {
    if (!args.keep) await app.mongo.dropDatabase().catch(() => {});
    await app.close();
    await dropRedisKeys(config.REDIS_URL, name);
  }
}

await main();
