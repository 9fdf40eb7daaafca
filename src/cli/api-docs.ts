import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { buildApp } from '../app.js';
import { ConfigError, loadConfig, mongoUri } from '../config.js';
import { projectRoot } from '../infra/paths.js';
import { ensureEmbeddedServices, stopServices } from '../infra/services.js';
import { errorCodesIn, renderApiMarkdown, sourceFiles, type OpenApiDocument } from './api-docs-render.js';

/**
 * `npm run docs:api`: writes docs/api.md from the OpenAPI document the app
 * serves at /docs/json. The app connects to its database while it registers,
 * so this starts the embedded FerretDB and Redis when nothing answers (as the
 * tests do), builds the app on a throw-away database, reads the document,
 * drops the database and stops what it started. `--check` only compares and
 * exits 1 when docs/api.md is out of date.
 */
async function main(args: string[]) {
  const name = `apidocs_${randomBytes(4).toString('hex')}`;
  const base = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: process.env.DATA_DIR ?? '.data/test' });
  const started = await ensureEmbeddedServices(base);
  const dbBase = process.env.TEST_MONGODB_URI ?? `mongodb://127.0.0.1:${base.FERRETDB_PORT}`;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: base.DATA_DIR,
    MONGODB_URI: `${dbBase}/${name}`,
    SECTOR_MONGODB_URI: `${dbBase}/${name}_sector`,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: `${name}:`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    AUDIT_KEY: randomBytes(32).toString('hex'),
  });
  const app = await buildApp(config, { logger: false });
  let markdown: string;
  try {
    await app.ready();
    const served = await app.inject({ method: 'GET', url: '/docs/json' });
    if (served.statusCode !== 200) throw new Error(`GET /docs/json: ${served.statusCode} ${served.body}`);
    markdown = renderApiMarkdown(served.json() as OpenApiDocument, errorCodesIn(sourceFiles()));
  } finally {
    await app.close();
    for (const uri of [mongoUri(config), config.SECTOR_MONGODB_URI!]) {
      const conn = await mongoose.createConnection(uri).asPromise();
      await conn.dropDatabase();
      await conn.close();
    }
    await stopServices(started);
  }
  const target = path.join(projectRoot(), 'docs', 'api.md');
  if (args.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== markdown) {
      console.error('docs/api.md is out of date: run npm run docs:api');
      process.exit(1);
    }
    console.log('docs/api.md is up to date');
    return;
  }
  writeFileSync(target, markdown);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `docs:api: ${err instanceof Error ? err.stack : err}`);
  process.exit(1);
});
