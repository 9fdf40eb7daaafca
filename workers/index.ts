import { ConfigError, loadConfig } from '../src/config.js';
import { createWorkerContext } from './context.js';
import { REGISTRATIONS } from './registry.js';
import { startWorkers } from './runner.js';

/**
 * Worker entry point: `node dist/workers/index.js`. Any number may run. On
 * SIGTERM/SIGINT it stops taking jobs and lets in-flight ones finish; a job
 * cut off by SIGKILL is picked up again by another worker once its lock lapses.
 * Like the API, it connects to MONGODB_URI and REDIS_URL and starts neither.
 */
async function main() {
  const config = loadConfig();
  const ctx = await createWorkerContext(config);
  const running = startWorkers(ctx);
  await Promise.all(running.workers.map((w) => w.waitUntilReady()));
  // Deadline jobs live only in Redis: re-queue them whenever Redis comes back without them.
  ctx.services.deadlineRecovery.start();
  console.log(`workers ready: ${REGISTRATIONS.map((r) => r.queue).join(', ') || '(none registered)'}`);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`workers: ${signal}, finishing jobs in flight`);
    await ctx.services.deadlineRecovery.stop();
    await running.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
