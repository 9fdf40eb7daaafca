/**
 * nginx for `npm run faults:hosts`: the configuration documented in
 * docs/operations.md ("nginx in front"), read from that file so the test runs
 * what operators are told to run, with only what a test cannot have changed:
 * the upstream servers are the test's API hosts, it listens on plain HTTP on
 * the test network, without certificates. It runs from a temporary prefix
 * (`-p`, `-c`, `-e`), never touching the system's configuration.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/infra/paths.js';
import { portOpen } from '../../src/infra/services.js';
import { waitFor } from '../live/harness.js';

/** The ```nginx block of docs/operations.md. */
export function documentedConfig(): string {
  const doc = readFileSync(path.join(projectRoot(), 'docs', 'operations.md'), 'utf8');
  const m = /```nginx\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/operations.md has no nginx block');
  return m[1]!;
}

/** The documented server block with the test's upstreams and listen address. */
export function testConfig(documented: string, upstreams: string[], listen: string): string {
  let seen = false;
  const out = documented
    .split('\n')
    .flatMap((line) => {
      if (/^\s*server\s+\S+:\d+\s/.test(line)) {
        // The documented upstream lines, replaced by the test's (keeping their parameters).
        if (seen) return [];
        seen = true;
        const params = /^\s*server\s+\S+\s+(.*)$/.exec(line)![1];
        return upstreams.map((u) => `    server ${u} ${params}`);
      }
      if (/^\s*listen\s/.test(line)) return [`    listen ${listen};`];
      if (/^\s*ssl_certificate/.test(line)) return [];
      return [line];
    })
    .join('\n');
  if (!seen) throw new Error('the documented nginx block has no upstream server lines');
  return out;
}

export interface Nginx {
  child: ChildProcess;
  conf: string;
  /** The end of its error log. */
  errors(): string;
  stop(): Promise<void>;
}

export async function startNginx(dir: string, upstreams: string[], host: string, port: number, maxSockets: number): Promise<Nginx> {
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) mkdirSync(path.join(dir, d), { recursive: true });
  // nginx's workers run as nobody and buffer large request bodies in the temp folders: theirs, and
  // the way to them open to pass through.
  const nobody = { uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })) };
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) chownSync(path.join(dir, d), nobody.uid, nobody.gid);
  for (let d = dir; d !== path.dirname(d) && d !== os.tmpdir(); d = path.dirname(d)) chmodSync(d, 0o711);
  const conf = [
    'daemon off;',
    `user nobody ${execFileSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).trim()};`,
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/logs/error.log warn;`,
    `worker_rlimit_nofile ${2 * maxSockets + 1024};`,
    `events { worker_connections ${2 * maxSockets + 512}; }`,
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    testConfig(documentedConfig(), upstreams, `${host}:${port}`),
    '}',
    '',
  ].join('\n');
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const child = spawn('nginx', ['-p', `${dir}/`, '-c', file, '-e', `${dir}/logs/error.log`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    return portOpen(port, host);
  }, 10_000, 'nginx');
  return {
    child,
    conf,
    errors: () => {
      try {
        // The first line of each kind of error (the rest repeat it) and how often it came.
        const kinds = new Map<string, [string, number]>();
        for (const line of readFileSync(`${dir}/logs/error.log`, 'utf8').split('\n').filter(Boolean)) {
          const kind = line.replace(/^\S+ \S+ /, '').replace(/\*\d+ /, '').replace(/client: .*$/, '').replace(/\d+#\d+: /, '');
          const seen = kinds.get(kind);
          kinds.set(kind, seen ? [seen[0], seen[1] + 1] : [line, 1]);
        }
        return [...kinds.values()].map(([line, n]) => `${n} × ${line}`).join('\n').slice(0, 6000);
      } catch {
        return '';
      }
    },
    async stop() {
      // SIGQUIT: nginx's graceful stop; SIGTERM after 5 s.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
