/**
 * `npm run demo:reset`: publishes a new sitting of the demo exam so the demo
 * candidates (hs001–hs005) can sit it again. Talks to the running demo
 * (`npm start`) at http://HOST:PORT through the public API; earlier sittings
 * and their results stay. Reasons for failing go to stderr, exit code 1.
 */
import { loadConfig } from '../config.js';
import { newDemoSitting } from './seed.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const base = `http://${host}:${config.PORT}`;
  const ready = await fetch(`${base}/ready`).then((r) => r.ok, () => false);
  if (!ready) throw new Error(`demo reset: no demo answers at ${base}; start it with \`npm start\` (same HOST and PORT)`);
  const { examId, title } = await newDemoSitting(base);
  console.log(`Published “${title}” (${examId}). Sign in as hs001–hs005 to sit it.`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
