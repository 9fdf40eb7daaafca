import { ConfigError, loadConfig } from '../config.js';
import { ensureEmbeddedServices, portOpen, recordStarted, redisAnswers, stopRecorded } from '../infra/services.js';

/**
 * `node dist/src/cli/services.js up|down|status`: starts the embedded FerretDB
 * and Redis when nothing answers, stops only what `up` started.
 */
async function main(command = 'up') {
  const config = loadConfig();
  switch (command) {
    case 'up': {
      const started = await ensureEmbeddedServices(config);
      recordStarted(config.DATA_DIR, started);
      for (const s of started) console.log(`started ${s.name} (pid ${s.pid}) on port ${s.port}`);
      if (started.length === 0) console.log('services already answering; nothing started');
      return;
    }
    case 'down': {
      const stopped = await stopRecorded(config.DATA_DIR);
      for (const s of stopped) console.log(`stopped ${s.name} (pid ${s.pid})`);
      return;
    }
    case 'status': {
      const mongo = config.MONGODB_URI ? 'external' : (await portOpen(config.FERRETDB_PORT)) ? 'answering' : 'down';
      console.log(`mongodb: ${mongo}`);
      console.log(`redis: ${(await redisAnswers(Number(new URL(config.REDIS_URL).port || 6379))) ? 'answering' : 'down'}`);
      return;
    }
    default:
      throw new Error(`unknown command ${command}: use up, down or status`);
  }
}

main(process.argv[2]).catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `services: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
