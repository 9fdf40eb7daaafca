/**
 * The databases `npm run backup` reads and `npm run restore` writes: the main
 * database (MONGODB_URI, or the embedded FerretDB's `exam`) and the sector
 * database (SECTOR_MONGODB_URI, or `sector` beside the main one), from the
 * same configuration as the server.
 */
import mongoose from 'mongoose';
import { mongoUri, sectorUri, type Config } from '../config.js';
import type { DatabaseTarget } from '../infra/backup.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OpenTargets {
  targets: DatabaseTarget[];
  /** `role: uri` per database, passwords hidden, for the log. */
  describe: string[];
  close(): Promise<void>;
}

function redact(uri: string): string {
  const url = new URL(uri);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Connects to both databases; the sector one is left out when it is the main database itself. */
export async function openTargets(config: Config): Promise<OpenTargets> {
  const uris: [DatabaseTarget['role'], string][] = [['main', mongoUri(config)]];
  const sector = sectorUri(config);
  const sameDatabase = (a: string, b: string) => {
    const x = new URL(a);
    const y = new URL(b);
    return x.host === y.host && x.pathname === y.pathname;
  };
  if (!sameDatabase(sector, uris[0]![1])) uris.push(['sector', sector]);
  const connections: mongoose.Connection[] = [];
  try {
    for (const [, uri] of uris) {
      connections.push(await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000, autoIndex: false, autoCreate: false }).asPromise());
    }
  } catch (err) {
    await Promise.all(connections.map((c) => c.close()));
    throw err;
  }
  return {
    targets: connections.map((c, i) => ({ role: uris[i]![0], db: c.db! })),
    describe: uris.map(([role, uri]) => `${role}: ${redact(uri)}`),
    close: async () => {
      await Promise.all(connections.map((c) => c.close()));
    },
  };
}
