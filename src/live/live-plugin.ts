import fp from 'fastify-plugin';
import websocket from '@fastify/websocket';
import { Redis } from 'ioredis';
import { Histogram } from 'prom-client';
import { AttemptLogStore } from './attempt-log.js';
import { examSource } from './exam-source.js';
import { LiveService } from './live-service.js';
import { liveRoutes } from './live-routes.js';
import { LivePresence } from './presence.js';
import { LiveSockets, wsRoutes, type RevocationNotice } from './ws-routes.js';
import { revocationChannel } from '../users/user-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The live exam service (join, hand-in, extensions, monitor); workers build their own. */
    live: LiveService;
    /** This process's candidate sockets. */
    liveSockets: LiveSockets;
  }
}

/**
 * Largest WebSocket message the transport accepts at all; ws closes with 1009
 * above it. Between 64 KiB (protocol.ts) and this, a frame gets an `error`.
 */
const TRANSPORT_MAX_PAYLOAD = 1024 * 1024;

/**
 * The live exam: WebSocket `/ws`, extensions, the monitor and the
 * candidate's exam list. Owns two Redis connections (commands and the
 * pub/sub subscriber) and closes them, and every socket, on close.
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

    const warn = (msg: string, err?: unknown) => app.log.warn({ err: err instanceof Error ? err.message : err }, msg);
    const batchDocs = new Histogram({
      name: 'live_commit_batch_entries',
      help: 'Log entries per group-commit write (grows with load)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [app.metrics.registry],
    });
    const batchSeconds = new Histogram({
      name: 'live_commit_write_seconds',
      help: 'Duration of one group-commit write',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [app.metrics.registry],
    });
    const commitOptions = {
      windowMs: config.LIVE_COMMIT_WINDOW_MS,
      onBatch: (docs: number, seconds: number) => {
        batchDocs.observe(docs);
        batchSeconds.observe(seconds);
      },
    };
    const presence = new LivePresence({ redis, subscriber, prefix: config.REDIS_KEY_PREFIX, warn });
    const log = new AttemptLogStore(app.models.AttemptLog, commitOptions);
    const live = new LiveService({
      Attempt: app.models.Attempt,
      log,
      exams: examSource({ exams: app.exams, Exam: app.models.Exam }),
      queues: app.queues,
      presence,
      warn,
      commitOptions: { windowMs: config.LIVE_COMMIT_WINDOW_MS },
    });
    const sockets = new LiveSockets(app, { live, heartbeatMs: config.LIVE_HEARTBEAT_MS, fallbackMs: config.LIVE_AUTOSUBMIT_FALLBACK_MS, revocationCheckMs: config.LIVE_REVOCATION_CHECK_MS });
    app.decorate('live', live);
    app.decorate('liveSockets', sockets);

    await app.register(websocket, {
      options: { maxPayload: TRANSPORT_MAX_PAYLOAD, perMessageDeflate: false },
      // Our own goodbye: 1001 tells clients to reconnect (to another process), sessions stop first.
      preClose(done) {
        sockets.shutdown();
        // ws waits for every client to answer the close; do not hang the shutdown on those that never do.
        const cut = setTimeout(() => sockets.terminateAll(), 2000);
        this.websocketServer.close(() => {
          clearTimeout(cut);
          done();
        });
      },
    });
    await app.register(wsRoutes(sockets, config.WS_MAX_PER_ADDRESS));
    await app.register(liveRoutes(live));

    await presence.start((msg) => sockets.onPresence(msg));
    // Revoked sessions (logout, password change, role removal, deactivation) end their open sockets on every process.
    const revocations = revocationChannel(config.REDIS_KEY_PREFIX);
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== revocations) return;
      const notice = parseRevocation(text);
      if (notice) sockets.onRevocation(notice);
    });
    await subscriber.subscribe(revocations);
    sockets.start();

    app.addHook('onClose', async () => {
      sockets.shutdown();
      await log.drain();
      await live.drain();
      await presence.close();
      redis.disconnect();
      subscriber.disconnect();
    });
  },
  { name: 'live', dependencies: ['mongo', 'queues', 'metrics', 'auth', 'exams'] },
);

/** A notice from the revocation channel, or null for anything malformed. */
function parseRevocation(text: string): RevocationNotice | null {
  try {
    const v = JSON.parse(text) as Partial<RevocationNotice>;
    if (typeof v.userId !== 'string' || typeof v.at !== 'number') return null;
    return { userId: v.userId, at: v.at, ...(typeof v.jti === 'string' ? { jti: v.jti } : {}) };
  } catch {
    return null;
  }
}
