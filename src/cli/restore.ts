/**
 * `npm run restore -- <archive directory> [--drop]`: restores a backup made
 * by `npm run backup` into the main and sector databases of the current
 * configuration. Every file is checked against the manifest before anything
 * is written; a target holding documents is refused unless `--drop` is given
 * (then it is dropped first). Prints the documents and indexes restored per
 * collection. Exit 0 restored, 1 refused or failed, 2 usage.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { restoreDatabases, RestoreRefused } from '../infra/backup.js';
import { openTargets, UsageError } from './backup-targets.js';

const USAGE = 'usage: npm run restore -- <backup directory> [--drop]';

function options(argv: string[]): { dir: string; drop: boolean } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { drop: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
    if (values.help) throw new UsageError(USAGE);
    if (positionals.length !== 1) throw new UsageError(`one backup directory is required\n${USAGE}`);
    return { dir: path.resolve(positionals[0]!), drop: values.drop };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

async function main() {
  const { dir, drop } = options(process.argv.slice(2));
  const config = loadConfig();
  const open = await openTargets(config);
  try {
    for (const line of open.describe) console.error(`restoring into ${line}`);
    const restored = await restoreDatabases(dir, open.targets, { drop, progress: (line) => console.error(line) });
    for (const c of restored) console.log(`${c.role} ${c.database}.${c.name}: ${c.count} documents, ${c.indexes} indexes`);
    console.log(`restored ${restored.reduce((n, c) => n + c.count, 0)} documents in ${restored.length} collections from ${dir}`);
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
  if (err instanceof RestoreRefused) {
    console.error(`restore refused, nothing was written: ${err.message}`);
  } else {
    console.error(err instanceof ConfigError ? err.message : `restore: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exitCode = 1;
});
