import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { closeQueues, createQueues, type Queues } from '../queues/queues.js';
import { pingRedis } from './redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    queues: Queues;
    /** True when the queues' Redis connection answers. */
    queuesReady(): Promise<boolean>;
  }
}

/** BullMQ producers. They share one connection that fails fast while Redis is away. */
export default fp(
  async (app) => {
    const connection = new Redis(app.config.REDIS_URL, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      lazyConnect: true,
    });
    connection.on('error', (err) => app.log.warn({ err: err.message }, 'queue connection error'));
    await connection.connect();
    const queues = createQueues(connection, app.config.QUEUE_PREFIX);
    for (const q of Object.values(queues)) q.on('error', (err) => app.log.warn({ err: err.message, queue: q.name }, 'queue error'));
    app.decorate('queues', queues);
    app.decorate('queuesReady', () => pingRedis(connection));
    app.addHook('onClose', async () => {
      await closeQueues(queues);
      connection.disconnect();
    });
  },
  { name: 'queues' },
);
