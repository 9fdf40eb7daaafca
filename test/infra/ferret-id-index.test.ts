// The FerretDB runner (src/infra/ferretdb) gives every collection table the
// index that FerretDB 1.24's own `{_id: …}` queries need; without it every
// find, update and delete by id walks the whole table. On SQLite it redefines
// FerretDB's unique `_id_` index on the expression the queries use
// (idindex.go); on PostgreSQL it adds a GIN index that serves their `@>` test
// (pgindex.go). The suite runs on both.
import t, { type Test } from 'tap';
import mongoose from 'mongoose';
import { testConfig, uniqueName } from '../helper.js';
import { isFerret } from '../../src/infra/store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(name: string) {
  const conn = mongoose.createConnection(testConfig(name).MONGODB_URI!, { autoIndex: false, autoCreate: false });
  await conn.asPromise();
  return conn;
}

/** The plan of a find by `_id`, as FerretDB's explain reports it (SQLite's or PostgreSQL's). */
async function planOf(db: mongoose.mongo.Db, collection: string): Promise<string> {
  const r = await db.command({ explain: { find: collection, filter: { _id: 'k1' } } });
  return JSON.stringify(r.queryPlanner ?? r);
}

/** True on FerretDB's PostgreSQL backend, whose explain is PostgreSQL's JSON plan. */
async function onPostgres(db: mongoose.mongo.Db, collection: string): Promise<boolean> {
  return (await planOf(db, collection)).includes('"Node Type"');
}

/**
 * PostgreSQL's planner scans a table of a few rows whatever its indexes, so
 * there the collection gets enough rows first for the index to be worth it.
 */
async function planWorthAnIndex(db: mongoose.mongo.Db, collection: string): Promise<void> {
  if (!(await onPostgres(db, collection))) return;
  const filler = Array.from({ length: 3000 }, (_, i) => ({ _id: `filler-${i}` }));
  await db.collection(collection).insertMany(filler as never[]);
}

/** The runner's index in a plan: SQLite's `<table>__id_` as redefined, PostgreSQL's added GIN index. */
const RUNNER_INDEX = /USING INDEX \S*__id_ |_engine_id_lookup/;
const SEARCH = /SEARCH .* USING INDEX|"Node Type":"(Bitmap )?Index Scan"/;

async function indexed(db: mongoose.mongo.Db, collection: string, withinMs: number): Promise<boolean> {
  await planWorthAnIndex(db, collection);
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    // A real query first: SQLite re-reads a changed schema when a statement runs, not for EXPLAIN.
    await db.collection(collection).findOne({ _id: 'k1' } as never);
    if (RUNNER_INDEX.test(await planOf(db, collection))) return true;
    await sleep(50);
  }
  return false;
}

/** A database of its own, dropped afterwards; null (and a pass) on MongoDB, which indexes `_id` itself. */
async function ferretDb(t: Test, hint: string): Promise<mongoose.mongo.Db | null> {
  const conn = await connect(uniqueName(hint));
  t.teardown(async () => {
    await conn.db!.dropDatabase();
    await conn.close();
  });
  if (await isFerret(conn.db!)) return conn.db!;
  t.pass('MongoDB indexes _id itself');
  return null;
}

t.test('finds by _id use an index on every new collection', async (t) => {
  const db = await ferretDb(t, 'idindex');
  if (!db) return;
  for (const name of ['first', 'second']) {
    await db.collection<{ _id: string; n: number }>(name).insertMany([{ _id: 'k0', n: 0 }, { _id: 'k1', n: 1 }]);
    t.ok(await indexed(db, name, 5000), `${name}: the plan uses the runner's index`);
  }
  t.match(await planOf(db, 'first'), SEARCH, 'a search, not a scan');
  // Updates and deletes by _id go through the same expression.
  const col = db.collection<{ _id: string; n: number }>('first');
  t.equal((await col.updateOne({ _id: 'k1' }, { $set: { n: 11 } })).modifiedCount, 1);
  t.equal((await col.findOne({ _id: 'k1' }))?.n, 11);
  t.equal((await col.deleteOne({ _id: 'k0' })).deletedCount, 1);
  t.equal(await col.countDocuments({ _id: { $in: ['k0', 'k1'] } }), 1);
});

t.test('dropping and re-creating a database while the runner indexes it loses nothing', async (t) => {
  const db = await ferretDb(t, 'idindex_drop');
  if (!db) return;
  for (let round = 0; round < 25; round++) {
    const docs = Array.from({ length: 20 }, (_, i) => ({ _id: `r${round}-${i}`, round }));
    await db.collection<{ _id: string; round: number }>('c').insertMany(docs);
    // Let the runner look at the file at a different moment each round.
    await sleep((round * 37) % 260);
    await db.dropDatabase();
    await db.collection<{ _id: string; round: number }>('c').insertMany(docs);
    await sleep((round * 53) % 230);
    const stored = await db.collection('c').find({}).toArray();
    if (stored.length !== docs.length) {
      t.fail(`round ${round}: ${stored.length} of ${docs.length} documents after re-creating`);
      return;
    }
    await db.dropDatabase();
  }
  await db.collection('c').insertOne({ _id: 'last' } as never);
  t.ok(await indexed(db, 'c', 5000), 'the re-created collection is indexed too');
  await sleep(500);
  t.equal(await db.collection('c').countDocuments({ _id: 'last' } as never), 1, 'the last database is whole');
});
