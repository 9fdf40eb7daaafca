import t from 'tap';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';
import { SAMPLE_ITEMS } from '../support/interop.js';

/** Who may export what, and what an export leaves out and says so. */

const { app } = await build(t);
const world = await interopWorld(app);
const author = world.users.authorA;
for (const item of SAMPLE_ITEMS.slice(0, 6)) {
  const res = await author({ method: 'POST', url: '/api/items', payload: item as unknown as Record<string, unknown> });
  if (res.statusCode !== 201) throw new Error(res.body);
}

t.test('asking for a type the format cannot carry is refused', async (t) => {
  const res = await author({ method: 'GET', url: '/api/items/export?format=aiken&type=essay' });
  t.equal(res.statusCode, 400);
  t.match(res.json().error, { code: 'bad_request', message: /aiken format cannot carry essay items/ });
});

t.test('a type filter exports only that type; unknown formats are a validation error', async (t) => {
  const res = await author({ method: 'GET', url: '/api/items/export?format=csv&type=numeric' });
  t.equal(res.statusCode, 200);
  const lines = res.body.replace(/^\uFEFF/, '').trim().split('\n');
  t.equal(lines.length, 2, 'header and one row');
  t.match(lines[1], /^numeric,/);
  t.equal(res.headers['x-export-skipped-types'], undefined);
  const bad = await author({ method: 'GET', url: '/api/items/export?format=pdf' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error.code, 'validation_failed');
});

t.test('export leaves out items whose key the caller may not read, and counts them', async (t) => {
  // A reviewer of another school sees schoolA's `national` items but may not read their keys.
  const shared = await author({ method: 'POST', url: '/api/items', payload: { ...(SAMPLE_ITEMS[0] as unknown as Record<string, unknown>), stem: 'Câu hỏi chia sẻ toàn quốc', sharing: 'national' } });
  t.equal(shared.statusCode, 201);
  const other = world.users.authorC;
  const res = await other({ method: 'GET', url: '/api/items/export?format=gift&q=chia%20se%20toan%20quoc' });
  t.equal(res.statusCode, 200);
  t.equal(res.trailers['x-export-without-key'], '1');
  t.equal(res.trailers['x-export-items'], '0');
  t.notMatch(res.body, /chia sẻ/);
});

t.test('candidates and proctors cannot import or export', async (t) => {
  for (const who of ['candidateA', 'proctorA'] as const) {
    const imp = await world.users[who]({ method: 'POST', url: '/api/items/import?format=aiken', payload: 'Q?\nA. x\nB. y\nANSWER: A\n', headers: { 'content-type': 'text/plain' } });
    t.equal(imp.statusCode, 403, `${who} import`);
    for (const format of ['aiken', 'csv']) {
      const exp = await world.users[who]({ method: 'GET', url: `/api/items/export?format=${format}` });
      t.equal(exp.statusCode, 403, `${who} ${format} export`);
      t.equal(exp.json().error.code, 'forbidden');
    }
  }
  const anon = await app.inject({ method: 'POST', url: '/api/items/import?format=aiken', payload: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(anon.statusCode, 401);
});

t.test('the routes are in the OpenAPI document', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  t.ok(doc.paths['/api/items/import']?.post, 'import');
  t.ok(doc.paths['/api/items/export']?.get, 'export');
  t.ok(doc.paths['/api/items/import/template.xlsx']?.get, 'template');
});
