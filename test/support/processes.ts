import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Config } from '../../src/config.js';

/** The loader flags tap runs this test with, without its process-info hook (one per test process). */
function loaderArgs(): string[] {
  return process.execArgv.filter((a) => !a.includes('processinfo'));
}

/**
 * Runs one of the project's entry points (a CLI, from source, as its npm
 * script runs it from dist/) to the end, with `env` over this process's
 * environment, and answers its exit code and output.
 */
export async function runEntry(entry: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...loaderArgs(), entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * Starts one of the project's entry points (TypeScript source) as its own
 * process with the same loader tap uses, and resolves once `ready` matches
 * its output.
 */
export function startProcess(entry: string, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 60_000): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [...loaderArgs(), entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} not ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before ready:\n${out}`));
    });
  });
}

const LISTENING = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts `src/server.ts` as its own process on a free port, sharing the
 * test app's configuration (`extra` adds or overrides variables). It is
 * killed at teardown if still running.
 */
export async function startApiProcess(
  t: { teardown(fn: () => void): void },
  config: Pick<Config, 'MONGODB_URI' | 'SECTOR_MONGODB_URI' | 'REDIS_URL' | 'QUEUE_PREFIX' | 'REDIS_KEY_PREFIX' | 'JWT_SECRET' | 'ADMIN_USERNAME' | 'ADMIN_PASSWORD' | 'DATA_DIR'>,
  extra: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; output: () => string; port: number }> {
  const { child, output } = await startProcess(
    'src/server.ts',
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: config.DATA_DIR,
      MONGODB_URI: config.MONGODB_URI,
      SECTOR_MONGODB_URI: config.SECTOR_MONGODB_URI,
      REDIS_URL: config.REDIS_URL,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      JWT_SECRET: config.JWT_SECRET,
      ADMIN_USERNAME: config.ADMIN_USERNAME,
      ADMIN_PASSWORD: config.ADMIN_PASSWORD,
      ...extra,
    },
    LISTENING,
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output, port: Number(LISTENING.exec(output())![1]) };
}
