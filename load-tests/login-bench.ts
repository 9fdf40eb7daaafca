// Login benchmark: logins per second through POST /api/auth/login with N
// candidate accounts in the database. A login reads the username document
// (`user_names`, by `_id`) and then the user (by `_id`), and never filters on
// `usernameKey`: on FerretDB 1.24 such a filter decodes every user, and an
// unknown username must cost what a known one does (issue 16, item 8). For
// comparison the bench times that filter itself, then the start of a process
// on a database without username documents (a database from before them),
// which gives every user theirs (UserService.ensureNames) before serving the
// same logins. The database is a private FerretDB started for the run, or
// BENCH_MONGODB_URI, or with --shared-db the one on FERRETDB_PORT. Writes
// load-tests/results/login-bench.json (or --out).
//
//   npm run bench:login [-- --users 5000 --logins 300 --concurrency 8 --key-reads 20 --shared-db]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { benchConfig } from './bench-config.js';
import { ensureEmbeddedServices, privateFerret, stopServices } from '../src/infra/services.js';
import { buildWorld, injectApi } from '../test/support/fixtures/index.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '5000' },
    logins: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    'key-reads': { type: 'string', default: '20' },
    'shared-db': { type: 'boolean', default: false },
    out: { type: 'string', default: 'load-tests/results/login-bench.json' },
  },
});
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const name = `login_bench_${Date.now().toString(36)}`;
const ferret = process.env.BENCH_MONGODB_URI || values['shared-db'] ? null : await privateFerret();
const base = process.env.BENCH_MONGODB_URI ?? ferret?.uri ?? `mongodb://127.0.0.1:${Number(process.env.FERRETDB_PORT ?? 27217)}`;
const config = benchConfig(name, base);
const started = await ensureEmbeddedServices(config);
const apps: FastifyInstance[] = [];
/** A process starting on the bench's database: build the app and wait until it serves, timed. */
const start = async () => {
  const t0 = performance.now();
  const app = await buildApp(config, { logger: false });
  apps.push(app);
  await app.ready();
  return { app, seconds: Math.round((performance.now() - t0) / 10) / 100 };
};
/** `count` calls of `fn`, `CONCURRENCY` at a time. */
const timed = async (count: number, fn: () => Promise<void>) => {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      next++;
      await fn();
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { count, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round((count / seconds) * 10) / 10 };
};
const someone = () => `lb.${Math.floor(Math.random() * USERS)}`;
const logins = (app: FastifyInstance, count: number) =>
  timed(count, async () => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: someone(), password: 'thi-thu-2025' } });
    if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode} ${res.body}`);
  });
try {
  const { app } = await start();
  // N candidate accounts at the root, made through POST /api/users/bulk (5,000 a request) by the shared world builder.
  await buildWorld(injectApi(app), {
    admin: { username: 'admin', password: 'bench-admin-password' },
    orgs: [],
    users: Array.from({ length: USERS }, (_, i) => ({ key: `c${i}`, username: `lb.${i}`, displayName: `Thí sinh ${i}`, roles: [['candidate', 'root']] as const })),
    password: 'thi-thu-2025',
    bulk: true,
    login: false,
  });
  const fast = await logins(app, Number(values.logins));
  // What each login would cost if it looked the user up by name.
  const keyReads = await timed(Number(values['key-reads']), async () => {
    if (!(await app.models.User.findOne({ usernameKey: someone() }).lean())) throw new Error('a bench user was not found by usernameKey');
  });
  const restart = await start();
  // A database from before username documents: none at all, not even the marker that the back-fill ran.
  await app.mongo.db!.collection('user_names').deleteMany({});
  const upgrade = await start();
  const afterBackfill = await logins(upgrade.app, Number(values.logins));
  const result = {
    benchmark: 'login',
    date: new Date().toISOString(),
    command: `npm run bench:login -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    database: ferret ? 'private FerretDB' : base,
    users: USERS,
    concurrency: CONCURRENCY,
    throughUsernameDocuments: fast,
    readsByUsernameKeyFilter: keyReads,
    processStart: { withUsernameDocuments: restart.seconds, withoutThem: upgrade.seconds },
    loginsAfterBackfill: afterBackfill,
  };
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await apps[0]?.mongo.dropDatabase().catch(() => {});
  for (const app of apps.reverse()) await app.close();
  await stopServices(started);
  await ferret?.stop();
}
