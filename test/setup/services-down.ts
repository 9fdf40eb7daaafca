// tap `after`: stop only what services-up started, so a test run leaves no process behind.
import { loadConfig } from '../../src/config.js';
import { stopRecorded } from '../../src/infra/services.js';

const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATA_DIR: process.env.DATA_DIR ?? '.data/test' });
await stopRecorded(config.DATA_DIR);
