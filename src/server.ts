import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * Production entry point: `node --max-semi-space-size=64 dist/src/server.js` (the flags in
 * src/infra/node-flags.ts). It connects to
 * MONGODB_URI and REDIS_URL and never starts a database or Redis itself
 * (`npm start` and the tests start the embedded ones).
 */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const app = await buildApp(config);
  let closing = false;
  /**
   * The graceful drain: `/ready` turns 503 so the balancer stops sending new
   * work here; after SHUTDOWN_DELAY_MS (its health-check interval) the
   * server stops taking connections, tells every candidate to reconnect
   * elsewhere, flushes the pending group commits, and exits.
   */
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.lifecycle.draining = true;
    app.log.info({ signal, delayMs: config.SHUTDOWN_DELAY_MS }, 'draining');
    if (config.SHUTDOWN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_MS));
    await app.close();
    app.log.info('drained; exiting');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A deep accept queue: a join storm opens thousands of connections within a second, and with the
  // default (511) the kernel resets those that find it full while the event loop is busy.
  await app.listen({ port: config.PORT, host: config.HOST, backlog: 4096 });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
