import type { Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { buildServices, drainServices, type Services } from '../src/composition.js';
import { mongoUri, sectorUri, type Config } from '../src/config.js';
import { createModels, ensureIndexes, type Models } from '../src/models.js';
import { connectMongo } from '../src/plugins/mongo.js';
import { closeQueues, createQueues, type Queues } from '../src/queues/queues.js';
import { SectorStore } from '../src/sector/sector-service.js';

/** What every processor may use: the same models, producers and services as the API. */
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
  /** Every domain service, built once by the composition root (src/composition.ts) for this process. */
  services: Services;
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
  const log = {
    warn: (obj: unknown, msg?: string) => console.warn(msg ?? '', obj),
    error: (obj: unknown, msg?: string) => console.error(msg ?? '', obj),
    info: (obj: unknown, msg?: string) => console.log(msg ?? '', obj),
  };
  const services = buildServices(
    config,
    // Presence publishes hand-ins to whichever API process holds the socket; a worker subscribes to nothing.
    { models, redis: appRedis, queues, presence: { redis: workerConnection }, sector },
    { role: 'worker', log },
  );
  return {
    config,
    mongo,
    models,
    workerConnection,
    appRedis,
    queues,
    sector,
    services,
    async close() {
      await drainServices(services);
      await sector.close();
      await closeQueues(queues);
      producerConnection.disconnect();
      appRedis.disconnect();
      workerConnection.disconnect();
      await mongo.close();
    },
  };
}
