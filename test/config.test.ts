import { spawnSync } from 'node:child_process';
import t from 'tap';
import { loadConfig, mongoUri, sectorUri } from '../src/config.js';

const base = { DATA_DIR: '.data/test' };

t.test('defaults follow docs/architecture.md', async (t) => {
  const c = loadConfig({ ...base });
  t.equal(c.PORT, 3000);
  t.equal(c.HOST, '127.0.0.1');
  t.equal(c.REDIS_URL, 'redis://127.0.0.1:6379');
  t.equal(c.QUEUE_PREFIX, 'exam');
  t.equal(c.ROOT_ORG_CODE, 'MOET');
  t.equal(c.LOG_LEVEL, 'info');
  t.equal(c.NODE_ENV, 'development');
  t.ok(c.JWT_SECRET.length >= 32, 'development gets a local secret');
  t.equal(loadConfig({ ...base }).JWT_SECRET, c.JWT_SECRET, 'the same secret for every process on this machine');
  t.equal(mongoUri(c), 'mongodb://127.0.0.1:27217/exam');
  t.equal(sectorUri(c), 'mongodb://127.0.0.1:27217/sector');
  t.equal(sectorUri(loadConfig({ ...base, MONGODB_URI: 'mongodb://db.example:27017/main?replicaSet=rs0' })), 'mongodb://db.example:27017/sector?replicaSet=rs0');
});

t.test('numbers are coerced from strings', async (t) => {
  t.equal(loadConfig({ ...base, PORT: '8080' }).PORT, 8080);
});

t.test('a bad value names the variable', async (t) => {
  t.throws(() => loadConfig({ ...base, PORT: 'eighty' }), /PORT/);
  t.throws(() => loadConfig({ ...base, PORT: '70000' }), /PORT/);
  t.throws(() => loadConfig({ ...base, REDIS_URL: 'http://x' }), /REDIS_URL/);
  t.throws(() => loadConfig({ ...base, MONGODB_URI: 'postgres://x' }), /MONGODB_URI/);
  t.throws(() => loadConfig({ ...base, LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  t.throws(() => loadConfig({ ...base, JWT_SECRET: 'short' }), /JWT_SECRET/);
});

t.test('production refuses to start without a secret and admin credentials', async (t) => {
  t.throws(() => loadConfig({ ...base, NODE_ENV: 'production' }), /JWT_SECRET, ADMIN_USERNAME, ADMIN_PASSWORD, AUDIT_KEY must be set/);
  t.throws(() => loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ADMIN_USERNAME: 'root' }), /ADMIN_PASSWORD/);
  const ready = { ...base, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'long-enough-pw' };
  t.throws(() => loadConfig(ready), /AUDIT_KEY must be set/, 'the audit key has no default in production');
  const ok = loadConfig({ ...ready, AUDIT_KEY: 'a'.repeat(40) });
  t.equal(ok.ADMIN_USERNAME, 'root');
});

t.test('the audit key is a secret of its own', async (t) => {
  const dev = loadConfig({ ...base });
  t.ok(dev.AUDIT_KEY.length >= 32, 'development gets a local key');
  t.not(dev.AUDIT_KEY, dev.JWT_SECRET);
  t.equal(loadConfig({ ...base }).AUDIT_KEY, dev.AUDIT_KEY, 'the same key for every process on this machine');
  t.throws(() => loadConfig({ ...base, AUDIT_KEY: 'short' }), /AUDIT_KEY/);
  t.throws(() => loadConfig({ ...base, JWT_SECRET: 's'.repeat(40), AUDIT_KEY: 's'.repeat(40) }), /AUDIT_KEY must differ from JWT_SECRET/);
});

t.test('the server process stops with a message naming the bad variable', async (t) => {
  const res = spawnSync(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...process.env, PORT: 'not-a-port', DATA_DIR: '.data/test' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(res.status, 1);
  t.match(res.stderr, /PORT/);
  t.notMatch(res.stderr, /\n\s+at /, 'no stack trace');
});
