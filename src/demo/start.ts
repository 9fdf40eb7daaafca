import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { ensureEmbeddedServices, stopServices, type StartedService } from '../infra/services.js';
import { projectRoot } from '../infra/paths.js';
import { API_NODE_FLAGS } from '../infra/node-flags.js';
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from './seed.js';

/**
 * `npm start`: the all-in-one demo. Starts the embedded services when nothing
 * answers, one API process and one worker process, loads demo data, and
 * prints the address and logins. One SIGINT (Ctrl-C) or SIGTERM stops
 * everything it started, and so does a failure while starting: nothing is
 * left running behind it. (`npm start` execs this process, so npm's forwarded
 * signal reaches it.)
 */
const children: ChildProcess[] = [];
let services: StartedService[] = [];
let starting: Promise<StartedService[]> | undefined;
let stopping = false;

async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    // A signal while FerretDB or Redis is still coming up waits for it, so it is stopped too.
    if (starting) services = await starting.catch(() => services);
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const force = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      c.kill('SIGTERM');
    })));
    await stopServices(services);
    process.exit(code);
  }
  return new Promise<never>(() => {});
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGHUP', () => void stop());

/**
 * `npm start -- --postgres`: FerretDB on the PostgreSQL at 127.0.0.1:5432
 * (database exam_demo, created when missing; FERRETDB_POSTGRESQL_URL names
 * another) instead of SQLite files, on a port of its own so it never meets
 * an SQLite demo left running.
 */
function applyArguments(args: readonly string[]): void {
  for (const arg of args) {
    if (arg === '--postgres') {
      process.env.FERRETDB_POSTGRESQL_URL ||= 'postgres://postgres@127.0.0.1:5432/exam_demo';
      process.env.FERRETDB_PORT ||= '27218';
      process.env.DATA_DIR ||= '.data/postgres';
    } else {
      console.error(`Unknown argument ${arg}. Usage: npm start [-- --postgres]`);
      process.exit(2);
    }
  }
}

async function main() {
  applyArguments(process.argv.slice(2));
  const config = loadConfig();
  console.log(`Starting services (the first run builds FerretDB, which takes a few minutes)${config.FERRETDB_POSTGRESQL_URL ? ', FerretDB on PostgreSQL' : ''}…`);
  starting = ensureEmbeddedServices(config);
  services = await starting;
  if (stopping) return;
  const dist = path.join(projectRoot(), 'dist');
  const run = (label: string, file: string, flags: readonly string[] = []) => {
    const child = spawn(process.execPath, [...flags, path.join(dist, file)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    child.stdout!.on('data', (d: Buffer) => process.env.DEMO_VERBOSE && process.stdout.write(`[${label}] ${d}`));
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${label}] ${d}`));
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`${label} exited (${signal ?? code}); stopping the demo`);
        void stop(1);
      }
    });
    children.push(child);
    return child;
  };

  run('api', 'src/server.js', API_NODE_FLAGS);
  run('workers', 'workers/index.js');

  const base = `http://${config.HOST}:${config.PORT}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (stopping) return;
    const ok = await fetch(`${base}/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the API did not become ready within 2 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
  await seedDemo(base, { username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD });

  const lines = [
    '',
    `Exam engine demo is running at ${base}`,
    `  API docs:  ${base}/docs`,
    `  Readiness: ${base}/ready`,
    '',
    'Logins:',
    `  ${config.ADMIN_USERNAME.padEnd(12)} ${config.ADMIN_PASSWORD.padEnd(16)} admin (ministry)`,
    ...DEMO_USERS.map((u) => `  ${u.username.padEnd(12)} ${DEMO_PASSWORD.padEnd(16)} ${u.role} — ${u.displayName}`),
    '',
    'Press Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  void stop(1);
});
