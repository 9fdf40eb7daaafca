import type { Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { mongoUri, sectorUri, type Config } from '../src/config.js';
import { createModels, ensureIndexes, type Models } from '../src/models.js';
import { connectMongo } from '../src/plugins/mongo.js';
import { closeQueues, createQueues, type Queues } from '../src/queues/queues.js';
import { SectorStore } from '../src/sector/sector-service.js';

/** What every processor may use: the same models and producers as the API. */
export interface WorkerContext {
  config: Config;
  mongo: Connection;
  models: Models;
  /** Connection options for BullMQ workers: retries forever, as BullMQ asks. */
  workerConnection: Redis;
  /** The engine's own keys (REDIS_KEY_PREFIX), e.g. the bank's search index. */
  appRedis: Redis;
  /** Producers, for processors that queue follow-up jobs. */
  queues: Queues;
  /** The sector database, connected at first use: workers start while it is down. */
  sector: SectorStore;
  close(): Promise<void>;
}

export async function createWorkerContext(config: Config): Promise<WorkerContext> {
  const mongo = await connectMongo(mongoUri(config));
  const models = createModels(mongo);
  await ensureIndexes(models);
  const workerConnection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const producerConnection = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const appRedis = new Redis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, maxRetriesPerRequest: 1 });
  workerConnection.on('error', () => {});
  producerConnection.on('error', () => {});
  appRedis.on('error', () => {});
  const queues = createQueues(producerConnection, config.QUEUE_PREFIX);
  const sector = new SectorStore(sectorUri(config));
  return {
    config,
    mongo,
    models,
    workerConnection,
    appRedis,
    queues,
    sector,
    async close() {
      await sector.close();
      await closeQueues(queues);
      producerConnection.disconnect();
      appRedis.disconnect();
      workerConnection.disconnect();
      await mongo.close();
    },
  };
}
