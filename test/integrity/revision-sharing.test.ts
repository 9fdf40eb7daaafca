// Each revision keeps its own sharing: making an item national later does not
// publish the private revisions before it, through GET /api/items/:id?revision=N.
import t from 'tap';
import { build } from '../helper.js';
import { bankWorld, itemBody, type Caller } from '../support/fixtures/index.js';

const { app } = await build(t);
const world = await bankWorld(app);
const { authorA, authorC, reviewerDep } = world.users;

async function write(call: Caller, method: 'POST' | 'PUT', url: string, body: Record<string, unknown>) {
  const res = await call({ method, url, payload: body });
  if (res.statusCode !== (method === 'POST' ? 201 : 200)) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json();
}

t.test('a private draft stays private after the item is shared nationally', async (t) => {
  const first = await write(authorA, 'POST', '/api/items', { ...itemBody({ type: 'single_choice', topic: 'nhap', cognitiveLevel: 1, label: 'BẢN-NHÁP-RIÊNG' }), sharing: 'private' });
  const second = await write(authorA, 'PUT', `/api/items/${first.id}`, { ...itemBody({ type: 'single_choice', topic: 'nhap', cognitiveLevel: 1, label: 'bản công khai' }), sharing: 'national', revision: 1 });
  t.equal(second.revision, 2);

  const latest = await authorC({ method: 'GET', url: `/api/items/${first.id}` });
  t.equal(latest.statusCode, 200, 'the national revision is for everyone');
  const old = await authorC({ method: 'GET', url: `/api/items/${first.id}?revision=1` });
  t.equal(old.statusCode, 404, 'the private revision is not');
  t.equal(old.json().error.code, 'not_found');
  t.notMatch(old.body, /BẢN-NHÁP-RIÊNG/);
  t.same(old.json(), (await authorC({ method: 'GET', url: `/api/items/${first.id}?revision=9` })).json(), 'answered exactly like a revision that does not exist');
  t.equal((await reviewerDep({ method: 'GET', url: `/api/items/${first.id}?revision=1` })).statusCode, 404, 'not for reviewers above the owner either');
  t.equal((await authorA({ method: 'GET', url: `/api/items/${first.id}?revision=1` })).statusCode, 200, 'its author still reads it');
});

t.test('a revision shared more widely than the latest keeps its own sharing', async (t) => {
  const first = await write(authorA, 'POST', '/api/items', { ...itemBody({ type: 'numeric', topic: 'nhap', cognitiveLevel: 1, label: 'đã công bố' }), sharing: 'national' });
  await write(authorA, 'PUT', `/api/items/${first.id}`, { ...itemBody({ type: 'numeric', topic: 'nhap', cognitiveLevel: 1, label: 'thu hẹp' }), sharing: 'org', revision: 1 });
  t.equal((await authorC({ method: 'GET', url: `/api/items/${first.id}` })).statusCode, 404, 'the org-shared latest revision is not for another department');
  const old = await authorC({ method: 'GET', url: `/api/items/${first.id}?revision=1` });
  t.equal(old.statusCode, 200, 'the national revision was published as national');
  t.equal(old.json().sharing, 'national');
  t.equal(old.json().keyIncluded, false);
});
