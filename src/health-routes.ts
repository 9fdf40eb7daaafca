import type { FastifyInstance } from 'fastify';
import { pingMongo } from './plugins/mongo.js';
import { pingRedis } from './plugins/redis.js';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/health', { schema: { tags: ['operations'], summary: 'The process lives' } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['operations'], summary: 'MongoDB, Redis and the queues answer (503 names the one that does not, or that the process is draining)' } }, async (_request, reply) => {
    if (app.lifecycle.draining) {
      // First step of a graceful shutdown: the balancer stops sending before the sockets are told to go.
      return reply.code(503).send({ error: { code: 'not_ready', message: 'Not ready: shutting down', details: [{ dependency: 'draining' }] } });
    }
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
