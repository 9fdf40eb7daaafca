import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * Production entry point: `node dist/src/server.js`. It connects to
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
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
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
