import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';

/** The subset of tap's Test the helpers use. */
export interface TestLike {
  teardown(fn: () => unknown): void;
  name?: string;
}

export const TEST_DATA_DIR = process.env.DATA_DIR ?? '.data/test';
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const ADMIN = { username: 'admin', password: 'admin-test-password' };

/** A fresh namespace: its own database name, queue prefix and Redis key prefix. */
export function uniqueName(hint = 'test'): string {
  const base = path.basename(hint).replace(/\.[a-z]+$/i, '').replace(/[^A-Za-z0-9]/g, '_').slice(0, 24);
  return `t_${base}_${randomBytes(4).toString('hex')}`;
}

export function testConfig(name: string, overrides: Record<string, string> = {}): Config {
  const port = Number(process.env.FERRETDB_PORT ?? 27217);
  const base = process.env.TEST_MONGODB_URI ?? `mongodb://127.0.0.1:${port}`;
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: TEST_DATA_DIR,
    MONGODB_URI: `${base}/${name}`,
    SECTOR_MONGODB_URI: `${base}/${name}_sector`,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: `${name}:`,
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ...overrides,
  });
}

/** Deletes every Redis key of a namespace (queues and app keys). */
export async function dropRedisNamespace(url: string, name: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for (const pattern of [`${name}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  name: string;
}

/**
 * Builds the real app on its own database and prefixes, and removes all of
 * it when the test ends.
 */
export async function build(t: TestLike, overrides: Record<string, string> = {}, name = uniqueName(t.name)): Promise<TestApp> {
  const config = testConfig(name, overrides);
  const app = await buildApp(config, { logger: false });
  await app.ready();
  t.teardown(async () => {
    await app.mongo.dropDatabase().catch(() => {});
    await app.close();
    await dropRedisNamespace(config.REDIS_URL, name).catch(() => {});
  });
  return { app, config, name };
}

/** Logs in and returns the bearer token. */
export async function login(app: FastifyInstance, username: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  return res.json().token;
}

/** `inject` with a bearer token. */
export function as(app: FastifyInstance, token: string) {
  return (opts: InjectOptions): Promise<LightMyRequestResponse> =>
    app.inject({ ...opts, headers: { ...(opts.headers ?? {}), authorization: `Bearer ${token}` } });
}

/** The root org id and an admin token, for tests that build a tree. */
export async function adminSession(app: FastifyInstance) {
  const token = await login(app, ADMIN.username, ADMIN.password);
  const me = (await as(app, token)({ method: 'GET', url: '/api/me' })).json();
  return { token, rootId: me.roles[0].orgId as string, userId: me.id as string };
}
