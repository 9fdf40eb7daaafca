import { once } from 'node:events';
import t from 'tap';
import { testConfig, uniqueName, dropRedisNamespace } from '../helper.js';
import { startProcess } from '../support/processes.js';

t.test('the workers process starts, then shuts down cleanly on SIGTERM', async (t) => {
  const name = uniqueName('workers-entry');
  const config = testConfig(name);
  t.teardown(() => dropRedisNamespace(config.REDIS_URL, name));
  const env = { MONGODB_URI: config.MONGODB_URI!, QUEUE_PREFIX: name, REDIS_KEY_PREFIX: `${name}:`, NODE_ENV: 'test', DATA_DIR: '.data/test', REDIS_URL: config.REDIS_URL };
  const { child, output } = await startProcess('workers/index.ts', env, /workers ready/);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0, output());
  t.match(output(), /SIGTERM, finishing jobs in flight/);
});
