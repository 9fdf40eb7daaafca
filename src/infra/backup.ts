/**
 * Backup and restore of whole databases (the main database and the sector
 * database) as an archive directory: one gzip-compressed file of newline-
 * delimited Canonical Extended JSON per collection, and `manifest.json`
 * naming every file with its document count, SHA-256, the collection's
 * options and its index definitions. Works the same on MongoDB and on
 * FerretDB 1.24; needs no mongodump. `npm run backup` / `npm run restore`
 * (src/cli) drive it; docs/operations.md says what a backup taken while the
 * system runs is worth.
 *
 * Reading: documents are fetched as raw BSON and decoded without promoting
 * values, so an Int32 stays an Int32, a Double a Double (even 5.0), a Long a
 * Long and Binary, Decimal128, ObjectId and Date keep their types in the
 * Canonical EJSON. Nothing holds a whole collection: on MongoDB a collection
 * is read in `_id` order in pages of `PAGE` (`_id > last`, served by the
 * `_id` index); on FerretDB, where a range on `_id` scans the whole table
 * for every page, one cursor walks the collection in its natural order,
 * `PAGE` documents per batch.
 *
 * Restoring: every file is checked (present, SHA-256, each line parses,
 * count) before anything is written; the targets must hold no document
 * unless the caller asks to drop them; documents go in `insertMany` batches,
 * then the indexes are created.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { mongo } from 'mongoose';
import { INSERT_CHUNK, isFerret } from './store.js';

const { BSON } = mongo;
const { EJSON } = BSON;

/** The archive format; a restore refuses any other. */
export const FORMAT = 'exam-engine-backup';
export const FORMAT_VERSION = 1;
/** Documents per page (MongoDB) or per cursor batch (FerretDB). */
export const PAGE = 1000;
/** Bytes of documents per insert command on restore, below the 48 MB message limit with room to spare. */
const INSERT_BYTES = 8 * 1024 * 1024;

/** BSON decoding that keeps every value's type (what Canonical EJSON then writes out). */
const EXACT = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

/** Which database of the engine an archive part holds. */
export type DatabaseRole = 'main' | 'sector';

/** Everything a restore needs to know about one collection; `options` and `indexes` are Canonical EJSON. */
export interface CollectionEntry {
  name: string;
  /** Path of the data file, relative to the archive directory. */
  file: string;
  count: number;
  bytes: number;
  sha256: string;
  options: Record<string, unknown>;
  indexes: Record<string, unknown>[];
}

export interface DatabaseEntry {
  role: DatabaseRole;
  /** The database's name at the source. */
  name: string;
  /** How its collections were read. */
  scan: ScanMode;
  collections: CollectionEntry[];
}

export interface Manifest {
  format: typeof FORMAT;
  version: typeof FORMAT_VERSION;
  createdAt: string;
  finishedAt: string;
  /** `MongoDB <version>` or `FerretDB <version>`. */
  server: string;
  databases: DatabaseEntry[];
}

/** A database to back up or restore into, with the role it has in the engine. */
export interface DatabaseTarget {
  role: DatabaseRole;
  db: mongo.Db;
}

/** A problem with the archive or the target that stops a restore before anything is written. */
export class RestoreRefused extends Error {
  override name = 'RestoreRefused';
}

export type Progress = (line: string) => void;

/** `id-pages`: pages of `_id > last` in `_id` order (MongoDB); `natural-cursor`: one cursor in stored order (FerretDB). */
export type ScanMode = 'id-pages' | 'natural-cursor';

export interface BackupOptions {
  progress?: Progress;
  /** @defaultValue `natural-cursor` on FerretDB, `id-pages` on MongoDB */
  scan?: ScanMode;
  /** @defaultValue PAGE */
  pageSize?: number;
}

/** The collections of a database worth keeping (not the server's own `system.*`), with their options, by name. */
async function collectionsOf(db: mongo.Db): Promise<{ name: string; options: mongo.Document }[]> {
  const infos = await db.listCollections({}, { nameOnly: false }).toArray();
  return infos
    .filter((c) => (c.type ?? 'collection') === 'collection' && !c.name.startsWith('system.'))
    .map((c) => ({ name: c.name, options: (c as { options?: mongo.Document }).options ?? {} }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** BSON type name of a value as `$type` knows it, for the one-bracket check of `_id`s. */
function bsonBracket(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' || value instanceof BSON.Int32 || value instanceof BSON.Double || value instanceof BSON.Long || value instanceof BSON.Decimal128) return 'number';
  if (value instanceof BSON.ObjectId) return 'objectId';
  if (value instanceof Date) return 'date';
  return 'other';
}

/**
 * The documents of a collection as raw BSON, a page at a time. MongoDB: pages
 * of `_id > last` in `_id` order, when every `_id` is in one comparison
 * bracket (the smallest and the largest are; types sort in brackets, so all
 * between are too), else one `_id`-sorted cursor. FerretDB: one cursor in
 * natural order.
 */
async function* rawDocuments(collection: mongo.Collection, scan: ScanMode, pageSize: number): AsyncGenerator<Buffer> {
  if (scan === 'natural-cursor') {
    for await (const raw of collection.find({}, { raw: true, batchSize: pageSize })) yield raw as unknown as Buffer;
    return;
  }
  const first = await collection.findOne({}, { sort: { _id: 1 }, projection: { _id: 1 }, ...EXACT });
  if (!first) return;
  const last = await collection.findOne({}, { sort: { _id: -1 }, projection: { _id: 1 }, ...EXACT });
  const bracket = bsonBracket(first._id);
  if (bracket === 'other' || bracket !== bsonBracket(last?._id)) {
    for await (const raw of collection.find({}, { raw: true, sort: { _id: 1 }, batchSize: pageSize })) yield raw as unknown as Buffer;
    return;
  }
  let after: unknown;
  let started = false;
  for (;;) {
    const filter: mongo.Document = started ? { _id: { $gt: after } } : {};
    const page = (await collection.find(filter, { raw: true, sort: { _id: 1 }, limit: pageSize }).toArray()) as unknown as Buffer[];
    for (const raw of page) yield raw;
    if (page.length < pageSize) return;
    after = BSON.deserialize(page[page.length - 1]!, EXACT)._id;
    started = true;
  }
}

/** A pass-through that hashes and counts what flows through it. */
function digester(): { stream: Transform; result: () => { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), bytes }) };
}

/** File name of a collection's data inside its database's folder (collection names may hold any character but NUL). */
function fileFor(role: DatabaseRole, collection: string): string {
  return `${role}/${encodeURIComponent(collection)}.ejson.gz`;
}

/** Index definitions as `createIndexes` takes them back (`v` and `ns` are the server's). */
function indexSpecs(indexes: mongo.Document[]): mongo.Document[] {
  return indexes.map(({ v: _v, ns: _ns, ...spec }) => spec);
}

function describeServer(info: mongo.Document): string {
  return typeof info.ferretdbVersion === 'string' ? `FerretDB ${info.ferretdbVersion} (MongoDB ${String(info.version)} protocol)` : `MongoDB ${String(info.version)}`;
}

/**
 * Writes an archive of the databases into `dir` (created; it must not exist
 * or be empty) and returns its manifest. Each collection is one scan, so the
 * archive is consistent per document, not across documents or collections.
 */
export async function backupDatabases(sources: readonly DatabaseTarget[], dir: string, options: BackupOptions = {}): Promise<Manifest> {
  const progress = options.progress ?? (() => {});
  const pageSize = options.pageSize ?? PAGE;
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} exists and is not empty`);
  mkdirSync(dir, { recursive: true });
  const createdAt = new Date().toISOString();
  const info = await sources[0]!.db.admin().command({ buildInfo: 1 });
  const databases: DatabaseEntry[] = [];
  for (const { role, db } of sources) {
    mkdirSync(path.join(dir, role), { recursive: true });
    const scan = options.scan ?? ((await isFerret(db)) ? 'natural-cursor' : 'id-pages');
    const entries: CollectionEntry[] = [];
    for (const { name, options } of await collectionsOf(db)) {
      const collection = db.collection(name);
      const indexes = indexSpecs(await collection.listIndexes().toArray());
      const file = fileFor(role, name);
      let count = 0;
      const digest = digester();
      async function* lines() {
        for await (const raw of rawDocuments(collection, scan, pageSize)) {
          count++;
          yield `${EJSON.stringify(BSON.deserialize(raw, EXACT), { relaxed: false })}\n`;
        }
      }
      await pipeline(lines, createGzip(), digest.stream, createWriteStream(path.join(dir, file), { flags: 'wx' }));
      const { sha256, bytes } = digest.result();
      entries.push({
        name,
        file,
        count,
        bytes,
        sha256,
        options: EJSON.serialize(options, { relaxed: false }),
        indexes: indexes.map((i) => EJSON.serialize(i, { relaxed: false })),
      });
      progress(`${role} ${db.databaseName}.${name}: ${count} documents, ${indexes.length} indexes`);
    }
    databases.push({ role, name: db.databaseName, scan, collections: entries });
  }
  const manifest: Manifest = {
    format: FORMAT,
    version: FORMAT_VERSION,
    createdAt,
    finishedAt: new Date().toISOString(),
    server: describeServer(info),
    databases,
  };
  writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  return manifest;
}

/** Reads and checks the shape of an archive's manifest. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  if (!existsSync(file)) throw new RestoreRefused(`${dir} is not a backup: no manifest.json`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    throw new RestoreRefused(`manifest.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (manifest?.format !== FORMAT) throw new RestoreRefused('manifest.json is not an exam-engine backup manifest');
  if (manifest.version !== FORMAT_VERSION) throw new RestoreRefused(`backup format version ${String(manifest.version)} is not supported (this version reads ${FORMAT_VERSION})`);
  if (!Array.isArray(manifest.databases)) throw new RestoreRefused('manifest.json lists no databases');
  for (const d of manifest.databases) {
    if ((d.role !== 'main' && d.role !== 'sector') || !Array.isArray(d.collections)) throw new RestoreRefused('manifest.json has a malformed database entry');
    for (const c of d.collections) {
      if (typeof c.name !== 'string' || typeof c.file !== 'string' || !Number.isInteger(c.count) || typeof c.sha256 !== 'string' || !Array.isArray(c.indexes)) {
        throw new RestoreRefused(`manifest.json has a malformed entry for ${d.role} collection ${String(c.name)}`);
      }
      // The file stays inside the archive, whatever the manifest says.
      if (path.isAbsolute(c.file) || path.normalize(c.file).startsWith('..')) throw new RestoreRefused(`manifest.json names a file outside the archive: ${c.file}`);
    }
  }
  return manifest;
}

/** The documents of one archive file, parsed, in order. */
async function* documentsOf(file: string): AsyncGenerator<mongo.Document> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    yield EJSON.parse(line, { relaxed: false }) as mongo.Document;
  }
}

/** Checks one file against its manifest entry: SHA-256 of the bytes, then every line parses and the count matches. */
async function verifyFile(dir: string, role: DatabaseRole, entry: CollectionEntry): Promise<void> {
  const file = path.join(dir, entry.file);
  const where = `${role} collection ${entry.name} (${entry.file})`;
  if (!existsSync(file)) throw new RestoreRefused(`${where}: the file is missing`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== entry.sha256) throw new RestoreRefused(`${where}: SHA-256 ${actual} does not match the manifest's ${entry.sha256}; the archive is damaged`);
  let count = 0;
  try {
    for await (const _doc of documentsOf(file)) count++;
  } catch (err) {
    throw new RestoreRefused(`${where}: unreadable after document ${count}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (count !== entry.count) throw new RestoreRefused(`${where}: ${count} documents, the manifest says ${entry.count}`);
}

/** Collections of a database that hold at least one document. */
async function nonEmptyCollections(db: mongo.Db): Promise<string[]> {
  const out: string[] = [];
  for (const { name } of await collectionsOf(db)) {
    if (await db.collection(name).findOne({}, { projection: { _id: 1 } })) out.push(name);
  }
  return out;
}

export interface RestoreOptions {
  /** Drop the target databases first instead of refusing when they hold documents. */
  drop?: boolean;
  progress?: Progress;
}

export interface RestoredCollection {
  role: DatabaseRole;
  database: string;
  name: string;
  count: number;
  indexes: number;
}

/**
 * Restores an archive into the target databases (by role; every role in the
 * archive needs a target). Refuses, writing nothing, when a file does not
 * match the manifest or a target holds documents and `drop` is not set.
 */
export async function restoreDatabases(dir: string, targets: readonly DatabaseTarget[], options: RestoreOptions = {}): Promise<RestoredCollection[]> {
  const progress = options.progress ?? (() => {});
  const manifest = readManifest(dir);
  const plan = manifest.databases.map((entry) => {
    const target = targets.find((t) => t.role === entry.role);
    if (!target) throw new RestoreRefused(`the archive holds a ${entry.role} database but no target was given for it`);
    return { entry, db: target.db };
  });
  for (const { entry } of plan) {
    for (const c of entry.collections) await verifyFile(dir, entry.role, c);
  }
  progress(`verified ${plan.reduce((n, p) => n + p.entry.collections.length, 0)} files against manifest.json`);
  for (const { entry, db } of plan) {
    const busy = await nonEmptyCollections(db);
    if (busy.length === 0) continue;
    if (!options.drop) {
      throw new RestoreRefused(`the ${entry.role} target database ${db.databaseName} is not empty (${busy.slice(0, 5).join(', ')}${busy.length > 5 ? ', …' : ''}); restore into an empty database or pass --drop`);
    }
  }
  if (options.drop) {
    for (const { entry, db } of plan) {
      await db.dropDatabase();
      progress(`dropped the ${entry.role} database ${db.databaseName}`);
    }
  }
  const restored: RestoredCollection[] = [];
  for (const { entry, db } of plan) {
    const existing = new Set((await collectionsOf(db)).map((c) => c.name));
    for (const c of entry.collections) {
      if (!existing.has(c.name)) await db.createCollection(c.name, EJSON.deserialize(c.options, { relaxed: false }) as mongo.CreateCollectionOptions);
      progress(`restoring ${entry.role} ${db.databaseName}.${c.name} (${c.count} documents)`);
      const collection = db.collection(c.name);
      let count = 0;
      let batch: mongo.Document[] = [];
      let batchBytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await collection.insertMany(batch, { ordered: true });
        count += batch.length;
        batch = [];
        batchBytes = 0;
      };
      for await (const doc of documentsOf(path.join(dir, c.file))) {
        batch.push(doc);
        batchBytes += BSON.calculateObjectSize(doc);
        if (batch.length >= INSERT_CHUNK || batchBytes >= INSERT_BYTES) await flush();
      }
      await flush();
      const specs = c.indexes.map((i) => EJSON.deserialize(i, { relaxed: false }) as mongo.IndexDescription).filter((i) => i.name !== '_id_');
      if (specs.length > 0) await collection.createIndexes(specs);
      restored.push({ role: entry.role, database: db.databaseName, name: c.name, count, indexes: specs.length + 1 });
    }
  }
  return restored;
}
