import fp from 'fastify-plugin';
import websocket from '@fastify/websocket';
import { liveRoutes } from './live-routes.js';
import { LiveSockets, wsRoutes, type RevocationNotice } from './ws-routes.js';
import { revocationChannel } from '../users/revocations.js';

declare module 'fastify' {
  interface FastifyInstance {
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
 * candidate's exam list, on the live service of the composition root
 * (`app.live`). Listens on the root's presence subscriber for hand-ins and
 * revocations published by other processes; closes every socket on close.
 */
export default fp(
  async (app) => {
    const config = app.config;
    const { live, presence } = app.services;
    const subscriber = app.liveRedis.subscriber;
    const sockets = new LiveSockets(app, { live, heartbeatMs: config.LIVE_HEARTBEAT_MS, fallbackMs: config.LIVE_AUTOSUBMIT_FALLBACK_MS, revocationCheckMs: config.LIVE_REVOCATION_CHECK_MS });
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

    // Sockets end first; the composition root's own close then drains the live service and the log.
    app.addHook('onClose', async () => {
      sockets.shutdown();
    });
  },
  { name: 'live', dependencies: ['services', 'auth', 'exams'] },
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
