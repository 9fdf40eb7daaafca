import type { Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { mongoUri, type Config } from '../src/config.js';
import { createModels, ensureIndexes, type Models } from '../src/models.js';
import { connectMongo } from '../src/plugins/mongo.js';
import { closeQueues, createQueues, type Queues } from '../src/queues/queues.js';

/** What every processor may use: the same models and producers as the API. */
export interface WorkerContext {
  config: Config;
  mongo: Connection;
  models: Models;
  /** Connection options for BullMQ workers: retries forever, as BullMQ asks. */
  workerConnection: Redis;
  /** Producers, for processors that queue follow-up jobs. */
  queues: Queues;
  close(): Promise<void>;
}

export async function createWorkerContext(config: Config): Promise<WorkerContext> {
  const mongo = await connectMongo(mongoUri(config));
  const models = createModels(mongo);
  await ensureIndexes(models);
  const workerConnection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const producerConnection = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  workerConnection.on('error', () => {});
  producerConnection.on('error', () => {});
  const queues = createQueues(producerConnection, config.QUEUE_PREFIX);
  return {
    config,
    mongo,
    models,
    workerConnection,
    queues,
    async close() {
      await closeQueues(queues);
      producerConnection.disconnect();
      workerConnection.disconnect();
      await mongo.close();
    },
  };
}
