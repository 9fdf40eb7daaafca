import type { FastifyInstance } from 'fastify';
import { pingMongo } from './plugins/mongo.js';
import { pingRedis } from './plugins/redis.js';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/health', { schema: { tags: ['operations'], summary: 'The process lives' } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['operations'], summary: 'MongoDB, Redis and the queues answer (503 names the one that does not)' } }, async (_request, reply) => {
    const [mongodb, redis, queues] = await Promise.all([pingMongo(app.mongo), pingRedis(app.redis), app.queuesReady()]);
    const checks = { mongodb, redis, queues };
    const failing = Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name);
    if (failing.length === 0) return { status: 'ready', checks };
    return reply.code(503).send({
      error: {
        code: 'not_ready',
        message: `Not ready: ${failing.join(', ')} not answering`,
        details: failing.map((dependency) => ({ dependency })),
      },
    });
  });
}
