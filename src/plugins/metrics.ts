import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { opsAccess } from './ops-access.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** The process's Prometheus registry and the metrics other modules update. */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  openSockets: Gauge;
  saves: Counter;
  ackLatency: Histogram;
}

export function createMetrics(): Metrics {
  // One registry per app instance, so several apps in one test process do not collide.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    openSockets: new Gauge({ name: 'ws_open_sockets', help: 'Open candidate WebSockets', registers: [registry] }),
    saves: new Counter({ name: 'answer_saves_total', help: 'Answer frames durably stored (rate() gives saves/s)', registers: [registry] }),
    ackLatency: new Histogram({
      name: 'answer_ack_latency_seconds',
      help: 'Time from receiving an answer frame to sending its ack',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

export default fp(
  async (app) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);
    app.addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    const guard = opsAccess(app.config);
    app.get('/metrics', { schema: { hide: true }, ...(guard ? { onRequest: guard } : {}) }, async (_request, reply) => {
      for (const [name, queue] of Object.entries(app.queues)) {
        queueDepth.set({ queue: name }, await queue.count().catch(() => -1));
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    const queueDepth = new Gauge({ name: 'queue_depth', help: 'Waiting and delayed jobs per queue', labelNames: ['queue'], registers: [metrics.registry] });
  },
  { name: 'metrics', dependencies: ['queues'] },
);
