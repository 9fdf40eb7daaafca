import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { dataDir, projectRoot } from './paths.js';

/**
 * The embedded default (docs/architecture.md, "The store"): FerretDB 1.24 on SQLite in the
 * data folder when no MONGODB_URI is set (on PostgreSQL instead when
 * FERRETDB_POSTGRESQL_URL names a server), and a local redis-server when none
 * answers and REDIS_URL was not given. Idempotent: what already answers is
 * used as it is, and only what this module started is ever stopped.
 */

export interface StartedService {
  name: 'ferretdb' | 'redis';
  pid: number;
  port: number;
}

const FERRETDB_MODULE = 'src/infra/ferretdb';

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Sends a raw PING and expects +PONG, so an unrelated listener is not mistaken for Redis. */
export function redisAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

/** Resolves once `check()` holds, polling every 100 ms; throws (naming `what`) after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms`);
}

function goBinary(): string {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    const probe = spawnSync(candidate, ['version'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  throw new Error('FerretDB is not built yet and Go is not installed: install Go, or set MONGODB_URI to a MongoDB server');
}

/** A short hash of the runner's sources, so a changed runner is built anew. */
function ferretSourceHash(): string {
  const dir = path.join(projectRoot(), FERRETDB_MODULE);
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.go') || n === 'go.mod' || n === 'go.sum').sort()) {
    hash.update(f).update(readFileSync(path.join(dir, f)));
  }
  return hash.digest('hex').slice(0, 12);
}

/**
 * Builds the FerretDB 1.24.2 runner (a thin main around FerretDB's embeddable
 * package, fetched from the Go module proxy) when the binary is missing.
 */
export function ensureFerretBinary(dir: string): string {
  const bin = path.join(dir, 'bin', `ferretdb-embedded-${ferretSourceHash()}`);
  if (existsSync(bin)) return bin;
  mkdirSync(path.dirname(bin), { recursive: true });
  const result = spawnSync(goBinary(), ['build', '-o', bin, '.'], {
    cwd: path.join(projectRoot(), FERRETDB_MODULE),
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (result.status !== 0) throw new Error('building FerretDB failed (see the go output above)');
  return bin;
}

function spawnDetached(cmd: string, args: string[], logFile: string): number {
  const log = openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The PostgreSQL server a FerretDB started here should store its data in
 * instead of SQLite: FERRETDB_POSTGRESQL_URL (a `postgres://` URL), or none.
 */
export function postgresBackend(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.FERRETDB_POSTGRESQL_URL || undefined;
}

function psql(url: string, sql: string): string {
  const result = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], { encoding: 'utf8' });
  if (result.error) throw new Error(`psql is needed to prepare FerretDB's PostgreSQL database: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`psql failed on ${new URL(url).host}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The same server's maintenance database, for creating and dropping others. */
function adminUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

const PG_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the database the URL names when it does not exist yet (FerretDB does not). */
export function ensurePostgresDatabase(url: string): void {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!PG_NAME.test(name)) throw new Error(`FerretDB's PostgreSQL database name must match ${PG_NAME}: ${name || '(none)'}`);
  const admin = adminUrl(url);
  if (psql(admin, `SELECT 1 FROM pg_database WHERE datname = '${name}'`) !== '1') psql(admin, `CREATE DATABASE ${name}`);
}

/** The URL of a database of its own on the same server as `url`, for one data folder. */
export function postgresDatabaseFor(url: string, folder: string): string {
  const u = new URL(url);
  const tag = createHash('sha256').update(path.resolve(folder)).digest('hex').slice(0, 16);
  u.pathname = `/ferret_${tag}`;
  return u.toString();
}

/** What the runner is told to store its data in, for a data folder. */
function storageArgs(folder: string, postgres: string | undefined): string[] {
  if (!postgres) return [`--sqlite-url=file:${folder}/`];
  const url = postgresDatabaseFor(postgres, folder);
  ensurePostgresDatabase(url);
  return [`--postgresql-url=${url}`];
}

/**
 * Removes a FerretDB's data folder, and its PostgreSQL database when it was
 * started on that backend (the runner must have stopped).
 */
export function removeFerretData(folder: string, postgres: string | undefined = postgresBackend()): void {
  rmSync(folder, { recursive: true, force: true });
  if (!postgres) return;
  const url = postgresDatabaseFor(postgres, folder);
  psql(adminUrl(url), `DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
}

/**
 * Starts the FerretDB runner in the foreground on `port` with its data in
 * `folder` (SQLite files), or in a PostgreSQL database of that folder's own
 * when FERRETDB_POSTGRESQL_URL is set, and resolves once it accepts
 * connections (tests and benchmarks that own their database; `ensureFerret`
 * is the embedded default). The same folder finds the same data again.
 */
export async function spawnFerret(bin: string, port: number, folder: string): Promise<ChildProcess> {
  const child = spawn(bin, [`--listen-addr=127.0.0.1:${port}`, ...storageArgs(folder, postgresBackend()), '--log-level=error'], { stdio: 'ignore' });
  await waitFor(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('FerretDB exited while starting');
    return portOpen(port);
  }, 30_000, `FerretDB on port ${port}`);
  return child;
}

/** A running FerretDB of a benchmark's own. */
export interface PrivateFerret {
  uri: string;
  pid: number;
  /** Stops it and removes its folder (unless kept). */
  stop(): Promise<void>;
}

/**
 * A FerretDB for one run only, so that what else uses the shared instance
 * does not distort the figures: the embedded default's runner (or `bin`) on a
 * free port, with its data in a fresh temporary folder.
 */
export async function privateFerret(options: { bin?: string; dataDir?: string; keep?: boolean } = {}): Promise<PrivateFerret> {
  const bin = options.bin || ensureFerretBinary(options.dataDir ?? dataDir('.data/test'));
  const folder = mkdtempSync(path.join(os.tmpdir(), 'private-ferret-'));
  const port = await freePort();
  const child = await spawnFerret(bin, port, folder);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (!options.keep) removeFerretData(folder);
    },
  };
}

export async function ensureFerret(config: Pick<Config, 'DATA_DIR' | 'FERRETDB_PORT' | 'FERRETDB_POSTGRESQL_URL'>): Promise<StartedService | null> {
  const port = config.FERRETDB_PORT;
  if (await portOpen(port)) return null;
  const dir = dataDir(config.DATA_DIR);
  const bin = ensureFerretBinary(dir);
  const data = path.join(dir, 'ferretdb');
  mkdirSync(data, { recursive: true });
  let storage = [`--sqlite-url=file:${data}/`];
  if (config.FERRETDB_POSTGRESQL_URL) {
    ensurePostgresDatabase(config.FERRETDB_POSTGRESQL_URL);
    storage = [`--postgresql-url=${config.FERRETDB_POSTGRESQL_URL}`];
  }
  const pid = spawnDetached(bin, [`--listen-addr=127.0.0.1:${port}`, ...storage, '--log-level=warn'], path.join(dir, 'ferretdb.log'));
  await waitFor(() => portOpen(port), 30_000, `FerretDB on port ${port}`);
  return { name: 'ferretdb', pid, port };
}

export async function ensureRedis(config: Pick<Config, 'DATA_DIR'>, port = 6379): Promise<StartedService | null> {
  if (await redisAnswers(port)) return null;
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (probe.status !== 0) throw new Error(`Redis does not answer on port ${port} and redis-server is not installed`);
  const dir = dataDir(config.DATA_DIR);
  mkdirSync(dir, { recursive: true });
  const pid = spawnDetached('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], path.join(dir, 'redis.log'));
  await waitFor(() => redisAnswers(port), 10_000, `Redis on port ${port}`);
  return { name: 'redis', pid, port };
}

/**
 * Starts what the configuration leaves to the embedded default and returns
 * what it started (empty when everything already answered).
 */
export async function ensureEmbeddedServices(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<StartedService[]> {
  const started: StartedService[] = [];
  if (!config.MONGODB_URI) {
    const ferret = await ensureFerret(config);
    if (ferret) started.push(ferret);
  }
  if (!env.REDIS_URL) {
    const redis = await ensureRedis(config);
    if (redis) started.push(redis);
  }
  return started;
}

export async function stopServices(services: StartedService[]): Promise<void> {
  for (const s of services) {
    try {
      process.kill(s.pid, 'SIGTERM');
    } catch {
      continue; // already gone
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && alive(s.pid)) await new Promise((r) => setTimeout(r, 50));
    if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Remembers what `services up` started, for `services down`. */
export function stateFile(configuredDataDir: string): string {
  return path.join(dataDir(configuredDataDir), 'services.json');
}

export function recordStarted(configuredDataDir: string, services: StartedService[]): void {
  const file = stateFile(configuredDataDir);
  const previous: StartedService[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  writeFileSync(file, JSON.stringify([...previous.filter((p) => alive(p.pid)), ...services], null, 2));
}

export async function stopRecorded(configuredDataDir: string): Promise<StartedService[]> {
  const file = stateFile(configuredDataDir);
  if (!existsSync(file)) return [];
  const services: StartedService[] = JSON.parse(readFileSync(file, 'utf8'));
  await stopServices(services);
  rmSync(file);
  return services;
}
