import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { withTimeout } from './mongo.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The engine's Redis client; every key it writes carries REDIS_KEY_PREFIX. */
    redis: Redis;
  }
}

/**
 * A client that fails fast while Redis is away (no offline queue), so that
 * requests answer with an error instead of hanging; it reconnects by itself.
 */
export async function connectRedis(url: string, keyPrefix: string): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, 1000),
    // Commands issued in the same tick go out in one write: a join storm makes thousands at once.
    enableAutoPipelining: true,
  });
  await redis.connect();
  return redis;
}

export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await withTimeout(redis.ping(), timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

export default fp(
  async (app) => {
    const redis = await connectRedis(app.config.REDIS_URL, app.config.REDIS_KEY_PREFIX);
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis error'));
    app.decorate('redis', redis);
    app.addHook('onClose', async () => {
      redis.disconnect();
    });
  },
  { name: 'redis' },
);
