/**
 * The staff client's pure parts, run in Node: the request body the item
 * editor sends for each type (only that type's fields: the schemas refuse
 * others), the key as a response for the preview, revision diffs, roster
 * CSV, and the client paths the server answers with index.html.
 */
import Fastify from 'fastify';
import t from 'tap';
import webPlugin, { CONTENT_SECURITY_POLICY, STAFF_CLIENT_ROUTES } from '../../src/plugins/web.js';
import { ITEM_TYPES } from '../../src/bank/item-types.js';
import { checkItem } from '../../src/bank/item-schemas.js';
import { candidateItem, draftOf, flatten, keyResponse, newDraft, nextId, previewOrder, toBody, TYPE_FIELDS } from '../../src/web/staff/editor/model.js';
import { fieldChanges, wordDiff } from '../../src/web/staff/diff.js';
import { parseCsv } from '../../src/web/staff/csv.js';
import type { ItemContent, ItemView } from '../../src/web/staff/api.js';
import { buildWebClient } from '../support/browser.js';
import { itemBody } from '../support/fixtures/index.js';

t.test('the editor sends only the fields of the item type, and the server accepts what it sends', async (t) => {
  for (const type of ITEM_TYPES) {
    const stored = itemBody({ type, topic: 'ham-so', cognitiveLevel: 2 }) as unknown as ItemContent;
    // A draft as the editor holds it after loading a stored revision…
    const draft = draftOf({ ...stored, id: 'x', revision: 3, status: 'draft', ownerOrgId: 'o', authorId: 'a', createdAt: '', createdBy: 'a', latestRevision: 3, approvedRevision: null, keyIncluded: true, people: { a: { displayName: 'Nguyễn Thị Lan', username: 'gv.toan' } } } as ItemView);
    t.equal((draft as unknown as Record<string, unknown>).revision, undefined, `${type}: server bookkeeping is not content`);
    t.equal((draft as unknown as Record<string, unknown>).people, undefined, `${type}: the people named are not content`);
    const body = toBody(draft, { includeOwner: false });
    const checked = checkItem(body);
    t.ok(checked.ok, `${type}: the body is a valid item`, { details: checked.ok ? [] : checked.details });
    // …and after switching a new item to another type, nothing of the old type leaks.
    const other = ITEM_TYPES[(ITEM_TYPES.indexOf(type) + 3) % ITEM_TYPES.length]!;
    const switched = toBody(newDraft(other, draft), { includeOwner: false });
    const foreign = Object.keys(switched).filter((k) => TYPE_FIELDS[type].includes(k as keyof ItemContent) && !TYPE_FIELDS[other].includes(k as keyof ItemContent));
    t.same(foreign, [], `${type} → ${other}: no field of the old type is sent`);
    t.equal(switched.stem, body.stem, `${type} → ${other}: the stem is kept`);
  }
});

t.test('the preview gets the candidate view without key, and the key as a response in the shape of docs/item-types.md', async (t) => {
  const expected: Record<string, unknown> = {
    single_choice: 'A',
    multiple_choice: ['A', 'C'],
    true_false: true,
    true_false_cluster: { a: true, b: false, c: true, d: false },
    numeric: '987.654',
    short_text: 'ĐÁPÁNBÍMẬT',
    matching: { p1: 'c2', p2: 'c1' },
    ordering: ['e1', 'e2', 'e3'],
    cloze: { b1: 'ĐÁPÁNBÍMẬT', b2: '987.654' },
    essay: null,
  };
  for (const type of ITEM_TYPES) {
    const draft = itemBody({ type, topic: 'ham-so', cognitiveLevel: 1 }) as unknown as ItemContent;
    t.same(keyResponse(draft), expected[type], `${type}: key as response`);
    const candidate = JSON.stringify(candidateItem(draft));
    t.notMatch(candidate, /ĐÁPÁNBÍMẬT|987\.654|"correct"|"pairs"|"values"|"order"|"rubric"/, `${type}: the preview item carries no key`);
  }
  const elements = [1, 2, 3, 4].map((n) => ({ id: `e${n}`, text: String(n) }));
  t.notSame(previewOrder(elements).map((e) => e.id), ['e1', 'e2', 'e3', 'e4'], 'an ordering item is never previewed in its right order');
  t.equal(nextId(['A', 'B', 'D'], 'upper'), 'C');
  t.equal(nextId(['p1', 'p2'], 'p'), 'p3');
});

t.test('revision diff: changed fields, and the words that changed inside them', async (t) => {
  const a = flatten({ stem: 'Hàm số đạt cực đại tại', options: [{ id: 'A', text: 'x = 1' }], correct: ['A'] });
  const b = flatten({ stem: 'Hàm số đạt cực đại tại điểm nào', options: [{ id: 'A', text: 'x = 1' }, { id: 'B', text: 'x = 2' }], correct: ['B'] });
  t.same(
    fieldChanges(a, b).map((c) => c.path),
    ['/correct/0', '/options/1/id', '/options/1/text', '/stem'],
  );
  const pieces = wordDiff('Hàm số đạt cực đại tại', 'Hàm số đạt cực đại tại điểm nào');
  t.same(pieces.filter((p) => p.kind === 'added').map((p) => p.text.trim()), ['điểm nào']);
  t.equal(pieces.filter((p) => p.kind !== 'added').map((p) => p.text).join(''), 'Hàm số đạt cực đại tại', 'the old text survives unchanged');
});

t.test('roster CSV: BOM, quotes, semicolons, CRLF', async (t) => {
  t.same(parseCsv('\uFEFFusername,displayName\r\nhs1,"Nguyễn ""Văn"" A"\r\nhs2,Trần B\r\n'), [
    ['username', 'displayName'],
    ['hs1', 'Nguyễn "Văn" A'],
    ['hs2', 'Trần B'],
  ]);
  t.same(parseCsv('username;studentId\nhs1;HS01\n\n'), [
    ['username', 'studentId'],
    ['hs1', 'HS01'],
  ]);
});

t.test('every staff page address answers with the client; other /staff paths stay 404', async (t) => {
  const root = await buildWebClient(t);
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: { code: 'not_found', message: 'none', details: [] } }));
  await app.register(webPlugin, { root });
  for (const route of STAFF_CLIENT_ROUTES) {
    const url = route.replace(/:[A-Za-z]+/g, 'abc123');
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, `${url}: strict CSP`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/staff/nothing-here' })).statusCode, 404);
  const slash = await app.inject({ method: 'GET', url: '/staff/' });
  t.equal(slash.statusCode, 301, '/staff/ redirects');
  t.equal(slash.headers.location, '/staff');
  t.equal((await app.inject({ method: 'GET', url: '/staff/pages/items.js' })).statusCode, 200, 'the staff modules are served');
});
