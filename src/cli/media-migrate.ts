/**
 * `npm run media:migrate`: moves the `data:` images of items and passages
 * stored before the media library into it (src/media/migrate.ts), on the
 * database the configuration names, and prints what moved as JSON. Safe to
 * run again (it then finds nothing) and while the API runs. Exit code 0, or
 * 3 when some documents were left as they were (listed in `skipped`), 1 when
 * the run could not go on.
 */
import { Redis } from 'ioredis';
import { buildServices, drainServices } from '../composition.js';
import { ConfigError, loadConfig, mongoUri } from '../config.js';
import { migrateInlineMedia } from '../media/migrate.js';
import { createModels } from '../models.js';
import { connectMongo } from '../plugins/mongo.js';
import { connectRedis } from '../plugins/redis.js';
import { closeQueues, createQueues } from '../queues/queues.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const mongo = await connectMongo(mongoUri(config));
  const redis = await connectRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  // Queues and presence are part of every process's services; this command queues nothing.
  const plain = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  const queues = createQueues(plain, config.QUEUE_PREFIX);
  const log = { warn: (o: unknown, m?: string) => console.error(m ?? '', o), error: (o: unknown, m?: string) => console.error(m ?? '', o), info: () => {} };
  try {
    const models = createModels(mongo);
    const services = buildServices(config, { models, redis, queues, presence: { redis: plain }, sector: null }, { role: 'worker', log });
    try {
      const report = await migrateInlineMedia({
        models,
        media: services.media,
        cacheRevisions: (docs) => services.searchIndex.cacheRevisions(docs),
        log: (line) => console.error(line),
      });
      console.log(JSON.stringify(report, null, 2));
      return report.skipped.length ? 3 : 0;
    } finally {
      await drainServices(services);
    }
  } finally {
    await closeQueues(queues);
    plain.disconnect();
    redis.disconnect();
    await mongo.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `media:migrate: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
