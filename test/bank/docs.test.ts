import t from 'tap';
import { build } from '../helper.js';

t.test('the bank routes are in the OpenAPI document', async (t) => {
  const { app } = await build(t);
  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  const paths = docs.json().paths as Record<string, Record<string, unknown>>;
  for (const [path, method] of [
    ['/api/items', 'post'],
    ['/api/items', 'get'],
    ['/api/items/bulk', 'post'],
    ['/api/items/{id}', 'get'],
    ['/api/items/{id}', 'put'],
    ['/api/items/{id}/status', 'post'],
    ['/api/stimuli', 'post'],
    ['/api/stimuli/{id}', 'get'],
  ] as const) {
    t.ok(paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  }
});
