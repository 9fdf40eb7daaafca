// Login benchmark: logins per second through POST /api/auth/login with N
// candidate accounts in the database, first through the username documents
// (`user_names`, reads by `_id`), then — for comparison — with those
// documents removed, so each login finds its user by `usernameKey` (on
// FerretDB 1.24 a pass over every user). Writes load-tests/results/login-bench.json (or --out).
//
//   npm run bench:login [-- --users 5000 --logins 300 --concurrency 8 --slow-logins 20]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { benchConfig } from './bench-config.js';
import { ensureEmbeddedServices, stopServices } from '../src/infra/services.js';
import { buildWorld, injectApi } from '../test/support/fixtures/index.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '5000' },
    logins: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    'slow-logins': { type: 'string', default: '20' },
    out: { type: 'string', default: 'load-tests/results/login-bench.json' },
  },
});
const USERS = Number(values.users);
const name = `login_bench_${Date.now().toString(36)}`;
const base = process.env.BENCH_MONGODB_URI ?? `mongodb://127.0.0.1:${Number(process.env.FERRETDB_PORT ?? 27217)}`;
const config = benchConfig(name, base);
const started = await ensureEmbeddedServices(config);
const app = await buildApp(config, { logger: false });
await app.ready();
try {
  const loginAs = (username: string, password: string) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  // N candidate accounts at the root, made through POST /api/users/bulk (5,000 a request) by the shared world builder.
  await buildWorld(injectApi(app), {
    admin: { username: 'admin', password: 'bench-admin-password' },
    orgs: [],
    users: Array.from({ length: USERS }, (_, i) => ({ key: `c${i}`, username: `lb.${i}`, displayName: `Thí sinh ${i}`, roles: [['candidate', 'root']] as const })),
    password: 'thi-thu-2025',
    bulk: true,
    login: false,
  });
  const run = async (count: number) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Number(values.concurrency) }, async () => {
      while (next < count) {
        next++;
        const res = await loginAs(`lb.${Math.floor(Math.random() * USERS)}`, 'thi-thu-2025');
        if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode} ${res.body}`);
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    return { logins: count, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round((count / seconds) * 10) / 10 };
  };
  const fast = await run(Number(values.logins));
  await app.mongo.db!.collection('user_names').deleteMany({});
  const slow = await run(Number(values['slow-logins']));
  const result = {
    benchmark: 'login',
    date: new Date().toISOString(),
    command: `npm run bench:login -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    users: USERS,
    concurrency: Number(values.concurrency),
    throughUsernameDocuments: fast,
    byUsernameKeyFilter: slow,
  };
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await app.mongo.dropDatabase().catch(() => {});
  await app.close();
  await stopServices(started);
}
