/**
 * One source for the staff lists' query strings (src/contracts/list-queries.ts):
 * the routes validate with the contract's schema objects, and the staff
 * client's calls take exactly the type those schemas give the routes. The
 * type-level half fails `npm run typecheck` (which compiles test/) when the
 * two drift apart; the runtime half fails when a route validates with a
 * schema of its own. The item filters of an address reach the server in the
 * contract's types, and what no query can hold is reported, not dropped.
 */
import type { FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { examSearchQuery, itemSearchQuery, stimulusSearchQuery } from '../../src/contracts/list-queries.js';
import { queryString, type StaffApi } from '../../src/web/staff/api.js';
import { itemFiltersOf, itemSearchOf } from '../../src/web/staff/item-filters.js';
import { adminSession, as, dropRedisNamespace, testConfig, uniqueName } from '../helper.js';

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
function sameType<_Check extends true>(): void {}

/** The query a route handler reads (`FromSchema<typeof schema>`, as the route generics write it): the schema's own fields, all present. */
type RouteQuery<Query, Schema extends { properties: object }> = Required<Pick<Query, keyof Schema['properties'] & keyof Query>>;
/** The query a client method takes, all fields present. */
type ClientQuery<M extends (query: never) => unknown> = Required<NonNullable<Parameters<M>[0]>>;

t.test("the staff client's list queries are the routes' query types", async (t) => {
  sameType<Equal<ClientQuery<StaffApi['searchItems']>, RouteQuery<FromSchema<typeof itemSearchQuery>, typeof itemSearchQuery>>>();
  sameType<Equal<ClientQuery<StaffApi['stimuli']>, RouteQuery<FromSchema<typeof stimulusSearchQuery>, typeof stimulusSearchQuery>>>();
  sameType<Equal<ClientQuery<StaffApi['exams']>, RouteQuery<FromSchema<typeof examSearchQuery>, typeof examSearchQuery>>>();
  // The check does tell types apart: a hand-written grade that also takes strings is not the route's.
  sameType<Equal<Equal<{ grade: number | string }, { grade: number }>, false>>();
  t.pass('checked by the compiler');
});

t.test('GET /api/items, /api/stimuli and /api/exams validate with the contract objects', async (t) => {
  const name = uniqueName('list-queries');
  const config = testConfig(name);
  const app = await buildApp(config, { logger: false });
  t.teardown(async () => {
    await app.mongo.dropDatabase().catch(() => {});
    await app.close();
    await dropRedisNamespace(config.REDIS_URL, name).catch(() => {});
  });
  const schemas = new Map<string, unknown>();
  app.addHook('onResponse', async (request: FastifyRequest) => {
    schemas.set(request.routeOptions.url ?? '', request.routeOptions.schema?.querystring);
  });
  await app.ready();
  const admin = as(app, (await adminSession(app)).token);

  for (const [url, schema] of [
    ['/api/items', itemSearchQuery],
    ['/api/stimuli', stimulusSearchQuery],
    ['/api/exams', examSearchQuery],
  ] as const) {
    const listed = await admin({ method: 'GET', url: `${url}?limit=1` });
    t.equal(listed.statusCode, 200, `${url}: ${listed.body}`);
    t.equal(schemas.get(url), schema, `${url} validates its query with the contract's schema object`);
    const misspelt = await admin({ method: 'GET', url: `${url}?subjet=math` });
    t.equal(misspelt.statusCode, 400, `${url}: a misspelt filter is refused, not ignored`);
    t.match(misspelt.json(), { error: { code: 'validation_failed', message: 'The querystring does not match the schema', details: [{ keyword: 'enum', propertyName: 'subjet', in: 'querystring' }, { keyword: 'propertyNames' }] } });
  }

  t.test('the item filters of an address reach the server in the contract types', async (t) => {
    const filters = itemFiltersOf(new URLSearchParams('q=phuong+trinh&subject=math&grade=10&cognitiveLevel=2&type=numeric&status=draft&tag=%C4%91%E1%BA%A1i+s%E1%BB%91&topic=ham-so&colour=red'));
    const { search, invalid } = itemSearchOf(filters);
    t.same(invalid, []);
    t.same(search, { q: 'phuong trinh', subject: 'math', topic: 'ham-so', tag: 'đại số', grade: 10, cognitiveLevel: 2, type: 'numeric', status: 'draft' }, 'numbers and enum members; only known filters');
    const res = await admin({ method: 'GET', url: `/api/items${queryString({ ...search, limit: 5 })}` });
    t.equal(res.statusCode, 200, res.body);

    const bad = itemSearchOf(itemFiltersOf(new URLSearchParams('subject=math&grade=ten&cognitiveLevel=2.5&type=hotspot&status=lost')));
    t.same(bad.invalid, ['grade', 'cognitiveLevel', 'type', 'status'], 'values no query can hold are reported');
    t.same(bad.search, { subject: 'math' });
    // A range is the server's to check, with the error body every client gets.
    const outOfRange = itemSearchOf({ grade: '99' });
    t.same(outOfRange, { search: { grade: 99 }, invalid: [] });
    const refused = await admin({ method: 'GET', url: `/api/items${queryString(outOfRange.search)}` });
    t.equal(refused.statusCode, 400);
    t.equal(refused.json().error.code, 'validation_failed');
  });
});
