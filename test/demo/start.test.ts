// `npm start` as a newcomer runs it, stopped the two ways people stop it:
// SIGTERM to the npm process (a service manager, `kill`), and Ctrl-C in the
// terminal (SIGINT to the whole foreground group) while it is still starting.
// Either way nothing it started may stay behind: no launcher, API, worker or
// FerretDB reparented to PID 1.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '../../src/infra/services.js';
import { API_NODE_FLAGS } from '../../src/infra/node-flags.js';
import { TEST_DATA_DIR } from '../helper.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Every process below `pid` right now (by walking /proc's parent links). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

async function gone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `npm start` in its own data directory (the FerretDB binary copied in), on free ports. */
async function npmStart(t: Test, name: string): Promise<{ child: ChildProcess; output: () => string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const bin = path.join(root, TEST_DATA_DIR, 'bin');
  if (existsSync(bin)) cpSync(bin, path.join(dataDir, 'bin'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['MONGODB_URI', 'SECTOR_MONGODB_URI', 'NODE_ENV', 'JWT_SECRET', 'AUDIT_KEY', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'LOG_LEVEL']) delete env[k];
  Object.assign(env, {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    FERRETDB_PORT: String(await freePort()),
    REDIS_KEY_PREFIX: `${name}:`,
    QUEUE_PREFIX: name,
  });
  // detached: its own process group, as a terminal's foreground job is.
  const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  t.teardown(() => {
    for (const pid of [child.pid!, ...descendants(child.pid!)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return { child, output: () => out };
}

async function until<T>(what: string, ms: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('SIGTERM to npm stops the launcher, the API, the worker and FerretDB', { timeout: 300_000 }, async (t) => {
  const { child, output } = await npmStart(t, 'start_term');
  await until('the demo to be ready', 240_000, () => {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output()}`);
    return output().includes('Exam engine demo is running at');
  });
  const tree = descendants(child.pid!);
  const commands = tree.map(commandOf);
  t.ok(commands.some((c) => c.includes('dist/src/demo/start.js')), 'the launcher runs');
  t.ok(commands.some((c) => c.includes('dist/src/server.js')), 'the API runs');
  t.ok(
    commands.some((c) => c.includes('dist/src/server.js') && API_NODE_FLAGS.every((f) => c.includes(f))),
    `the API runs with production's Node flags (${API_NODE_FLAGS.join(' ')})`,
  );
  t.ok(commands.some((c) => c.includes('dist/workers/index.js')), 'the worker runs');
  t.ok(commands.some((c) => c.includes('ferretdb-embedded')), 'its own FerretDB runs');

  const exited = once(child, 'exit');
  process.kill(child.pid!, 'SIGTERM');
  await exited;
  const left = await gone(tree, 30_000);
  t.same(left.map((p) => `${p} ${commandOf(p)}`), [], 'nothing it started is left running');
});

t.test('Ctrl-C while it is still starting stops what had started', { timeout: 300_000 }, async (t) => {
  const { child, output } = await npmStart(t, 'start_int');
  const tree = await until('the API process to start', 240_000, () => {
    const pids = descendants(child.pid!);
    return pids.some((p) => commandOf(p).includes('dist/src/server.js')) ? pids : undefined;
  });
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGINT'); // what the terminal does: the whole foreground group
  await exited;
  const left = await gone(descendants(child.pid!).concat(tree), 30_000);
  t.same(left.map((p) => `${p} ${commandOf(p)}`), [], 'nothing it started is left running');
  t.notMatch(output(), /Exam engine demo is running/, 'it was stopped before it was ready');
});
