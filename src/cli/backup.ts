/**
 * `npm run backup -- [--out <dir>]`: writes every collection of the main and
 * the sector database to an archive directory (default
 * `<DATA_DIR>/backups/<UTC time>`): gzip-compressed Canonical EJSON per
 * collection and a manifest with counts, SHA-256 sums and index definitions
 * (src/infra/backup.ts). Consistent per collection scan, not across them:
 * docs/operations.md, "Backups".
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { backupDatabases } from '../infra/backup.js';
import { openTargets, UsageError } from './backup-targets.js';

const USAGE = 'usage: npm run backup -- [--out <directory>]';

function options(argv: string[]): { out?: string } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
    if (values.help) throw new UsageError(USAGE);
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${USAGE}`);
    return values.out ? { out: values.out } : {};
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

async function main() {
  const { out } = options(process.argv.slice(2));
  const config = loadConfig();
  const dir = path.resolve(out ?? path.join(config.DATA_DIR, 'backups', new Date().toISOString().replace(/[:.]/g, '-')));
  const open = await openTargets(config);
  try {
    for (const line of open.describe) console.error(`backing up ${line}`);
    const manifest = await backupDatabases(open.targets, dir, { progress: (line) => console.error(line) });
    const documents = manifest.databases.reduce((n, d) => n + d.collections.reduce((m, c) => m + c.count, 0), 0);
    const collections = manifest.databases.reduce((n, d) => n + d.collections.length, 0);
    console.log(`backup written to ${dir}: ${collections} collections, ${documents} documents (${manifest.server}, ${manifest.createdAt} to ${manifest.finishedAt})`);
  } finally {
    await open.close();
  }
}

main().catch((err) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exitCode = 2;
    return;
  }
  console.error(err instanceof ConfigError ? err.message : `backup: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
