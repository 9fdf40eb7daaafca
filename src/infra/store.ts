/**
 * Database access shaped for both MongoDB and the embedded FerretDB 1.24.
 *
 * FerretDB on SQLite answers only a filter that is exactly `{_id: value}`
 * from an index (the runner in src/infra/ferretdb adds the index its queries
 * need); `$in`, ranges and any extra field scan the whole collection. It also
 * stalls on one update command carrying a hundred or more statements. So
 * grading reads by `_id` one document at a time (many at once), reads a large
 * share of a collection in one pass, writes new documents with `insertMany`,
 * and sends conditional updates in small commands. On MongoDB the same calls
 * are simply fast.
 */
import type { mongo } from 'mongoose';

/** Point reads in flight at once per batch. @defaultValue 16 */
export const READ_CONCURRENCY = 16;
/** Update statements per command (FerretDB stalls from about 100). */
export const UPDATE_CHUNK = 50;
/** Documents per insert command. */
export const INSERT_CHUNK = 1000;

/** The driver collection of a mongoose model (no mongoose casting or buffering on the hot path). */
export function nativeOf<T extends { _id: string }>(model: { db: { db?: mongo.Db }; collection: { collectionName: string } }): mongo.Collection<T> {
  const db = model.db.db;
  if (!db) throw new Error('The MongoDB connection is not open');
  return db.collection<T>(model.collection.collectionName);
}

/**
 * A collection with no mongoose model (e.g. `user_names`), on the database of
 * a model's connection; driver access, as `nativeOf`.
 */
export function collectionBeside<T extends { _id: string }>(model: { db: { db?: mongo.Db } }, name: string): mongo.Collection<T> {
  const db = model.db.db;
  if (!db) throw new Error('The MongoDB connection is not open');
  return db.collection<T>(name);
}

/** Runs `fn` over `items` with at most `limit` at once; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(runners);
  return out;
}

const ferretByDb = new WeakMap<mongo.Db, Promise<boolean>>();

/** Whether the server is FerretDB (its buildInfo says so), asked once per database handle. */
export function isFerret(db: mongo.Db): Promise<boolean> {
  let known = ferretByDb.get(db);
  if (!known) {
    known = db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string')
      .catch(() => false);
    ferretByDb.set(db, known);
  }
  return known;
}

/** Above this many ids one pass over a FerretDB collection costs less than indexed point reads. */
const FERRET_SCAN_ABOVE = 1000;

/**
 * Many documents by id: `$in` in chunks on MongoDB (the `_id` index); on
 * FerretDB, where `$in` walks the collection, point reads for a few ids and
 * one pass over the collection keeping the wanted ids for many.
 */
export async function readMany<T extends { _id: string }>(collection: mongo.Collection<T>, ids: readonly string[], projection?: mongo.Document): Promise<Map<string, T>> {
  const wanted = new Set(ids);
  const out = new Map<string, T>();
  if (wanted.size === 0) return out;
  if (await isFerret(collection.db)) {
    if (wanted.size <= FERRET_SCAN_ABOVE) return readByIds(collection, [...wanted], projection);
    for await (const doc of collection.find({}, projection ? { projection, batchSize: 5000 } : { batchSize: 5000 })) {
      if (wanted.has(doc._id)) out.set(doc._id, doc as T);
    }
    return out;
  }
  const all = [...wanted];
  for (let i = 0; i < all.length; i += INSERT_CHUNK) {
    const filter = { _id: { $in: all.slice(i, i + INSERT_CHUNK) } } as mongo.Filter<T>;
    for (const doc of await collection.find(filter, projection ? { projection } : {}).toArray()) out.set(doc._id, doc as T);
  }
  return out;
}

/** The documents with these ids (point reads), by id; missing ids are absent. */
export async function readByIds<T extends { _id: string }>(
  collection: mongo.Collection<T>,
  ids: readonly string[],
  projection?: mongo.Document,
  concurrency = READ_CONCURRENCY,
): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  const docs = await mapLimit(unique, concurrency, (id) => collection.findOne({ _id: id } as mongo.Filter<T>, projection ? { projection } : {}));
  const out = new Map<string, T>();
  for (const d of docs) if (d) out.set(d._id, d as T);
  return out;
}

/** The write errors of a bulk write error, or null when it is some other error. */
export function writeErrorsOf(err: unknown): { code?: unknown; index?: unknown }[] | null {
  if (typeof err !== 'object' || err === null) return null;
  const raw = (err as { writeErrors?: unknown }).writeErrors;
  if (Array.isArray(raw)) return raw as { code?: unknown; index?: unknown }[];
  if (raw && typeof raw === 'object') return [raw as { code?: unknown; index?: unknown }];
  if ((err as { code?: unknown }).code === 11000) return [{ code: 11000 }];
  return null;
}

/**
 * Inserts the documents; those whose `_id` exists already are left as they
 * are. Returns the ids that were duplicates. Any other error throws.
 */
export async function insertNew<T extends { _id: string }>(collection: mongo.Collection<T>, docs: readonly T[]): Promise<Set<string>> {
  const duplicates = new Set<string>();
  for (let i = 0; i < docs.length; i += INSERT_CHUNK) {
    const chunk = docs.slice(i, i + INSERT_CHUNK);
    try {
      await collection.insertMany(chunk as mongo.OptionalUnlessRequiredId<T>[], { ordered: false });
    } catch (err) {
      const errors = writeErrorsOf(err);
      if (!errors || errors.some((e) => e.code !== 11000)) throw err;
      // Which ones: read back is not needed when the server names the index of each failed insert.
      if (errors.every((e) => typeof e.index === 'number')) {
        for (const e of errors) duplicates.add(chunk[e.index as number]!._id);
      } else {
        const present = await readByIds(collection, chunk.map((d) => d._id), { _id: 1 });
        for (const d of chunk) if (present.has(d._id)) duplicates.add(d._id);
      }
    }
  }
  return duplicates;
}
