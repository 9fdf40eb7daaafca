import { loadConfig, type Config } from '../src/config.js';

/** The configuration of an in-process benchmark app: its own database, queue and Redis prefix under `name`. */
export function benchConfig(name: string, base: string): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: process.env.DATA_DIR ?? '.data/test',
    MONGODB_URI: `${base}/${name}`,
    SECTOR_MONGODB_URI: `${base}/${name}_sector`,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: `${name}:`,
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'bench-admin-password',
  });
}
