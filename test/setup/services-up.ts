// tap `before`: make sure FerretDB and Redis answer before any test file runs.
import { loadConfig } from '../../src/config.js';
import { ensureEmbeddedServices, recordStarted } from '../../src/infra/services.js';

const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATA_DIR: process.env.DATA_DIR ?? '.data/test' });
const started = await ensureEmbeddedServices(config);
recordStarted(config.DATA_DIR, started);
