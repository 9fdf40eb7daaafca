import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts one of the project's entry points (TypeScript source) as its own
 * process with the same loader tap uses, and resolves once `ready` matches
 * its output.
 */
export function startProcess(entry: string, env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 60_000): Promise<{ child: ChildProcess; output: () => string }> {
  const execArgv = process.execArgv.filter((a) => !a.includes('processinfo'));
  const child = spawn(process.execPath, [...execArgv, entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
