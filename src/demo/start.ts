import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { ensureEmbeddedServices, stopServices } from '../infra/services.js';
import { projectRoot } from '../infra/paths.js';
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from './seed.js';

/**
 * `npm start`: the all-in-one demo. Starts the embedded services when nothing
 * answers, one API process and one worker process, loads demo data, and
 * prints the address and logins. Ctrl-C stops everything it started.
 */
async function main() {
  const config = loadConfig();
  console.log('Starting services (the first run builds FerretDB, which takes a few minutes)…');
  const services = await ensureEmbeddedServices(config);
  const dist = path.join(projectRoot(), 'dist');
  const children: ChildProcess[] = [];
  const run = (label: string, file: string) => {
    const child = spawn(process.execPath, [path.join(dist, file)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
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

  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    })));
    await stopServices(services);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  run('api', 'src/server.js');
  run('workers', 'workers/index.js');

  const base = `http://${config.HOST}:${config.PORT}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
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
  process.exit(1);
});
