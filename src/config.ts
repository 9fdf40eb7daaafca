import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';

/** The validated process configuration; docs/architecture.md, "Configuration", lists the settings. */
export interface Config {
  /** HTTP port. @defaultValue 3000 */
  PORT: number;
  /** Listen address. @defaultValue 127.0.0.1 */
  HOST: string;
  /** MongoDB connection string; when absent the embedded FerretDB is used. */
  MONGODB_URI?: string;
  /** Sector database; @defaultValue the same server as MONGODB_URI, database `sector`. */
  SECTOR_MONGODB_URI?: string;
  /** @defaultValue redis://127.0.0.1:6379 */
  REDIS_URL: string;
  /** BullMQ prefix. @defaultValue exam */
  QUEUE_PREFIX: string;
  /** Prefix of every other Redis key the engine writes. @defaultValue app: */
  REDIS_KEY_PREFIX: string;
  /** HMAC secret for bearer tokens; required in production. */
  JWT_SECRET: string;
  /** HMAC key of the audit chains, a secret of its own (not JWT_SECRET); required in production. */
  AUDIT_KEY: string;
  /** Token lifetime in seconds. @defaultValue 43200 (12 h, one exam day) */
  JWT_TTL_SECONDS: number;
  /** Bootstrap administrator. @defaultValue admin in development */
  ADMIN_USERNAME: string;
  /** @defaultValue admin-demo-2025 in development */
  ADMIN_PASSWORD: string;
  /** @defaultValue MOET */
  ROOT_ORG_CODE: string;
  /** @defaultValue info */
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** @defaultValue development */
  NODE_ENV: 'development' | 'production' | 'test';
  /** Largest accepted request body in bytes. @defaultValue 16777216 (16 MiB: rosters, bulk items, imports) */
  BODY_LIMIT: number;
  /** Wrong passwords for one account from one address before that address is locked out of it (429). @defaultValue 5 */
  LOGIN_MAX_FAILURES: number;
  /** Wrong passwords for one account from all addresses together before it is locked for every address. @defaultValue 20 */
  LOGIN_MAX_FAILURES_TOTAL: number;
  /** How long a lock lasts, in seconds (a proctor can lift it sooner). @defaultValue 900 */
  LOGIN_LOCK_SECONDS: number;
  /** Login attempts per client address per minute (a whole school lab shares one address). @defaultValue 1000 */
  LOGIN_MAX_PER_ADDRESS: number;
  /** Folder for the embedded FerretDB data and local secrets. @defaultValue .data */
  DATA_DIR: string;
  /**
   * Which proxies' X-Forwarded-For to believe for the client's address (login
   * lockout, socket cap, audit): `true` (any: only when nothing but the
   * balancer can reach the API), a hop count, or a comma-separated list of
   * addresses and CIDR ranges of the balancers. @defaultValue not set: the
   * socket's own address; a forwarded header is ignored
   */
  TRUST_PROXY?: boolean | number | string[];
  /**
   * On SIGTERM, how long `/ready` answers 503 before the sockets are told to
   * reconnect elsewhere and the process stops (a balancer's health-check
   * interval, so it stops sending here first), in ms. @defaultValue 0
   */
  SHUTDOWN_DELAY_MS: number;
  /** Port of the embedded FerretDB. @defaultValue 27217 */
  FERRETDB_PORT: number;
  /**
   * PostgreSQL database for the embedded FerretDB instead of SQLite files
   * (`postgres://user@host:5432/name`; the database is created when missing).
   * @defaultValue not set: SQLite in DATA_DIR
   */
  FERRETDB_POSTGRESQL_URL?: string;
  /** BullMQ job lock of the workers, in ms; a job whose worker died is retried after it lapses. @defaultValue 30000 */
  WORKER_LOCK_MS: number;
  /** How often workers look for stalled jobs, in ms. @defaultValue 30000 */
  WORKER_STALLED_MS: number;
  /** How often a worker checks that Redis still holds the deadline jobs (a marker key), re-queueing them all when it does not, in ms. @defaultValue 30000 */
  DEADLINE_RECOVERY_MS: number;
  /** First retry delay of a failed job, in ms; doubles per attempt. @defaultValue 1000 */
  JOB_BACKOFF_MS: number;
  /** Longest retry delay, in ms. @defaultValue 60000 */
  JOB_BACKOFF_MAX_MS: number;
  /** Attempts per grading job when an exam is graded as a whole. @defaultValue 500 */
  GRADING_BATCH_SIZE: number;
  /** Live exam: how long answer frames are collected before one group-commit write, in ms. @defaultValue 5 */
  LIVE_COMMIT_WINDOW_MS: number;
  /**
   * Live exam: attempt-log writes in flight at once. While they are busy the next batch grows, so
   * under load fewer, larger writes go to the database (its cost is mostly per write, not per entry).
   * Two halved the p95 at 6,000 answers/s on 2 cores against one (BENCHMARKS.md, "Answer-rate ladder"). @defaultValue 2
   */
  LIVE_COMMIT_IN_FLIGHT: number;
  /** Live exam: WebSocket ping interval; a socket that answered neither of the last two pings is dropped, in ms. @defaultValue 20000 */
  LIVE_HEARTBEAT_MS: number;
  /** Live exam: after a deadline, how long the API waits for the autosubmit worker before handing in itself, in ms. @defaultValue 10000 */
  LIVE_AUTOSUBMIT_FALLBACK_MS: number;
  /** Live exam: how often open sockets are checked against revocations that pub/sub may have missed, in ms. @defaultValue 30000 */
  LIVE_REVOCATION_CHECK_MS: number;
  /** Item analysis: exams with more graded attempts than this are analysed by a bulk job (202) instead of inside the request. @defaultValue 20000 */
  ANALYSIS_INLINE_LIMIT: number;
  /** Item analysis: fewest responses to an item before the write-back puts its figures on the bank item. @defaultValue 20 */
  ANALYSIS_MIN_RESPONSES: number;
  /** Live exam: open `/ws` connections per client address and API process; more get HTTP 429 (a school lab shares one address). @defaultValue 2000 */
  WS_MAX_PER_ADDRESS: number;
  /**
   * How the question bank finds items for search and form assembly: `redis`, its own index in Redis (what keeps
   * the embedded FerretDB from scanning every item per query), or `database`, MongoDB queries over the items
   * collection with nothing kept in Redis (for a MongoDB deployment, whose indexes serve them). @defaultValue redis
   */
  BANK_SEARCH: 'redis' | 'database';
  /** Media library: largest image (PNG, JPEG, GIF, WebP, sanitised SVG) in bytes. @defaultValue 5242880 (5 MiB) */
  MEDIA_MAX_IMAGE_BYTES: number;
  /** Media library: largest audio file (MP3, Ogg, M4A) in bytes. @defaultValue 20971520 (20 MiB) */
  MEDIA_MAX_AUDIO_BYTES: number;
  /** With NODE_ENV=production, `/metrics` and `/docs` answer only to this token (Bearer, or Basic with it as password); unset there, they are closed. Open in development and tests. */
  OPS_TOKEN?: string;
}

const schema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    MONGODB_URI: { type: 'string', pattern: '^mongodb(\\+srv)?://' },
    SECTOR_MONGODB_URI: { type: 'string', pattern: '^mongodb(\\+srv)?://' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' },
    QUEUE_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9_.:{}-]+$', default: 'exam' },
    REDIS_KEY_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9_.:{}-]+$', default: 'app:' },
    JWT_SECRET: { type: 'string', minLength: 32 },
    AUDIT_KEY: { type: 'string', minLength: 32 },
    JWT_TTL_SECONDS: { type: 'integer', minimum: 60, maximum: 604800, default: 43200 },
    ADMIN_USERNAME: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{3,64}$' },
    ADMIN_PASSWORD: { type: 'string', minLength: 8, maxLength: 256 },
    ROOT_ORG_CODE: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'MOET' },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    NODE_ENV: { enum: ['development', 'production', 'test'], default: 'development' },
    BODY_LIMIT: { type: 'integer', minimum: 1024, maximum: 268435456, default: 16777216 },
    LOGIN_MAX_FAILURES: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
    LOGIN_MAX_FAILURES_TOTAL: { type: 'integer', minimum: 1, maximum: 100000, default: 20 },
    LOGIN_LOCK_SECONDS: { type: 'integer', minimum: 1, maximum: 86400, default: 900 },
    LOGIN_MAX_PER_ADDRESS: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
    DATA_DIR: { type: 'string', minLength: 1, default: '.data' },
    TRUST_PROXY: { type: 'string', pattern: '^(true|[0-9]{1,2}|[0-9A-Fa-f:.]+(/[0-9]{1,3})?(\\s*,\\s*[0-9A-Fa-f:.]+(/[0-9]{1,3})?)*)$' },
    SHUTDOWN_DELAY_MS: { type: 'integer', minimum: 0, maximum: 600000, default: 0 },
    FERRETDB_PORT: { type: 'integer', minimum: 1, maximum: 65535, default: 27217 },
    FERRETDB_POSTGRESQL_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    WORKER_LOCK_MS: { type: 'integer', minimum: 500, maximum: 3600000, default: 30000 },
    WORKER_STALLED_MS: { type: 'integer', minimum: 500, maximum: 3600000, default: 30000 },
    DEADLINE_RECOVERY_MS: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000 },
    JOB_BACKOFF_MS: { type: 'integer', minimum: 10, maximum: 3600000, default: 1000 },
    JOB_BACKOFF_MAX_MS: { type: 'integer', minimum: 10, maximum: 86400000, default: 60000 },
    GRADING_BATCH_SIZE: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
    LIVE_COMMIT_WINDOW_MS: { type: 'integer', minimum: 0, maximum: 1000, default: 5 },
    LIVE_COMMIT_IN_FLIGHT: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
    LIVE_HEARTBEAT_MS: { type: 'integer', minimum: 100, maximum: 600000, default: 20000 },
    LIVE_AUTOSUBMIT_FALLBACK_MS: { type: 'integer', minimum: 0, maximum: 86400000, default: 10000 },
    LIVE_REVOCATION_CHECK_MS: { type: 'integer', minimum: 100, maximum: 3600000, default: 30000 },
    ANALYSIS_INLINE_LIMIT: { type: 'integer', minimum: 0, maximum: 10000000, default: 20000 },
    ANALYSIS_MIN_RESPONSES: { type: 'integer', minimum: 1, maximum: 1000000, default: 20 },
    WS_MAX_PER_ADDRESS: { type: 'integer', minimum: 1, maximum: 1000000, default: 2000 },
    BANK_SEARCH: { enum: ['redis', 'database'], default: 'redis' },
    OPS_TOKEN: { type: 'string', minLength: 16, maxLength: 256 },
    MEDIA_MAX_IMAGE_BYTES: { type: 'integer', minimum: 1024, maximum: 268435456, default: 5242880 },
    MEDIA_MAX_AUDIO_BYTES: { type: 'integer', minimum: 1024, maximum: 268435456, default: 20971520 },
  },
} as const;

const KEYS = Object.keys(schema.properties) as (keyof Config)[];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true });
const validate = ajv.compile(schema);

/**
 * Reads and validates the configuration once. Throws {@link ConfigError} naming
 * every bad variable; callers print it and stop.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.instancePath.slice(1) || String(e.params.missingProperty ?? '');
      return `${name} ${e.message ?? 'is invalid'}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const config = raw as unknown as Config;
  if (typeof raw.TRUST_PROXY === 'string') config.TRUST_PROXY = trustProxyOf(raw.TRUST_PROXY);
  const production = config.NODE_ENV === 'production';
  if (production) {
    const missing = (['JWT_SECRET', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'AUDIT_KEY'] as const).filter((k) => !config[k]);
    if (missing.length) {
      throw new ConfigError(`Invalid configuration: ${missing.join(', ')} must be set when NODE_ENV=production`);
    }
  } else {
    config.ADMIN_USERNAME ??= 'admin';
    config.ADMIN_PASSWORD ??= 'admin-demo-2025';
    config.JWT_SECRET ??= localSecret(config.DATA_DIR, 'jwt-secret');
    config.AUDIT_KEY ??= localSecret(config.DATA_DIR, 'audit-key');
  }
  // Whoever learns the token secret must not also be able to rewrite the audit trail.
  if (config.AUDIT_KEY === config.JWT_SECRET) throw new ConfigError('Invalid configuration: AUDIT_KEY must differ from JWT_SECRET');
  return config;
}

/** TRUST_PROXY as Fastify's `trustProxy` takes it: true, a hop count, or the balancers' addresses. */
function trustProxyOf(text: string): boolean | number | string[] {
  if (text === 'true') return true;
  if (/^[0-9]+$/.test(text)) return Number(text);
  return text.split(',').map((a) => a.trim());
}

/**
 * A development secret kept in the data folder, so every API process and
 * worker on this machine uses the same key.
 */
function localSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  // Written whole under another name and linked into place: processes starting
  // together all end up with the one secret that won, never with half of one.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(draft);
  }
  return readFileSync(file, 'utf8').trim();
}

/** The MongoDB URI in force: the configured one or the embedded FerretDB. */
export function mongoUri(config: Config): string {
  return config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.FERRETDB_PORT}/exam`;
}

/** The sector database URI: configured, or database `sector` on the main server. */
export function sectorUri(config: Config): string {
  if (config.SECTOR_MONGODB_URI) return config.SECTOR_MONGODB_URI;
  const url = new URL(mongoUri(config));
  url.pathname = '/sector';
  return url.toString();
}
