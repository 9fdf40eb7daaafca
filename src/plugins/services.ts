import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { AnalysisService } from '../analysis/analysis-service.js';
import type { BlueprintService } from '../assembly/blueprint-service.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AuthService } from '../auth/auth-service.js';
import type { TokenService } from '../auth/tokens.js';
import type { Bank } from '../bank/index.js';
import { buildServices, drainServices, type Services } from '../composition.js';
import type { ExamService } from '../exams/exam-service.js';
import type { GradingService } from '../grading/grading-service.js';
import type { LiveService } from '../live/live-service.js';
import type { Access } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { SectorPushService } from '../sector/sector-service.js';
import type { UserService } from '../users/user-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every domain service of this process, built once by the composition root (src/composition.ts). */
    services: Services;
    /** Redis for live presence: commands, and the subscriber for hand-ins and revocations of other processes. */
    liveRedis: { redis: Redis; subscriber: Redis };
    // The services most routes use, by name (the same objects as in `services`).
    tokens: TokenService;
    orgs: OrgService;
    access: Access;
    users: UserService;
    auth: AuthService;
    /** The HMAC-chained audit trail. */
    audit: AuditService;
    /** The question bank's parts (src/bank/index.ts); `bank.pools` is what form assembly and grading read. */
    bank: Bank;
    blueprints: BlueprintService;
    /** Exams and forms; the live exam and grading read exams, forms and candidate forms through it. */
    exams: ExamService;
    /** The live exam service (join, hand-in, extensions, monitor). */
    live: LiveService;
    /** Grading as the API uses it: manual grades, the manual queue (workers grade batches). */
    grading: GradingService;
    /** Push counts of GET /api/exams/:id/sector-sync (the API never connects to the sector database). */
    sectorPush: SectorPushService;
    /** Item analysis of exams. */
    analysis: AnalysisService;
  }
}

/**
 * The API's composition root: opens the live path's two Redis connections,
 * builds every service once (src/composition.ts) and decorates the instance
 * with them. Route plugins and socket handlers take their services from here.
 * On close, lets the services finish their pending writes, then closes its connections.
 */
export default fp(
  async (app) => {
    const config = app.config;
    const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 100, 1000), lazyConnect: true, enableAutoPipelining: true });
    // The subscriber keeps its offline queue: it re-subscribes by itself after Redis comes back.
    const subscriber = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 100, 1000), lazyConnect: true });
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'live redis error'));
    subscriber.on('error', (err) => app.log.warn({ err: err.message }, 'live subscriber error'));
    await Promise.all([redis.connect(), subscriber.connect()]);

    const services = buildServices(
      config,
      { models: app.models, redis: app.redis, queues: app.queues, presence: { redis, subscriber }, sector: null },
      { role: 'api', log: app.log, metrics: app.metrics.registry },
    );
    app.decorate('services', services);
    app.decorate('liveRedis', { redis, subscriber });
    app.decorate('tokens', services.tokens);
    app.decorate('orgs', services.orgs);
    app.decorate('access', services.access);
    app.decorate('users', services.users);
    app.decorate('auth', services.auth);
    app.decorate('audit', services.audit);
    app.decorate('bank', services.bank);
    app.decorate('blueprints', services.blueprints);
    app.decorate('exams', services.exams);
    app.decorate('live', services.live);
    app.decorate('grading', services.grading);
    app.decorate('sectorPush', services.sectorPush);
    app.decorate('analysis', services.analysis);

    // Each API process reconciles interrupted index writes and rebuilds a missing index in the background.
    app.addHook('onReady', async () => services.searchIndex.start());
    app.addHook('onClose', async () => {
      await drainServices(services);
      redis.disconnect();
      subscriber.disconnect();
    });
  },
  { name: 'services', dependencies: ['mongo', 'redis', 'queues', 'metrics'] },
);
