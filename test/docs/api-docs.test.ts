import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { errorCodesIn, renderApiMarkdown, sourceFiles, type OpenApiDocument } from '../../src/cli/api-docs-render.js';
import { projectRoot } from '../../src/infra/paths.js';
import { build } from '../helper.js';

t.test('docs/api.md is what npm run docs:api makes of the served OpenAPI document', async (t) => {
  const { app } = await build(t);
  const served = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(served.statusCode, 200);
  const doc = served.json() as OpenApiDocument;
  t.same(doc.paths?.['/api/orgs']?.post?.['x-roles'], ['admin'], 'a route\'s config.roles is in the document as x-roles');
  t.notOk(doc.paths?.['/api/orgs']?.get?.['x-roles'], 'routes without roles have none');
  const expected = renderApiMarkdown(doc, errorCodesIn(sourceFiles()));
  const current = readFileSync(path.join(projectRoot(), 'docs', 'api.md'), 'utf8');
  // One comparison, not a diff per line: the message says what to do.
  t.ok(current === expected, 'docs/api.md is up to date (run `npm run docs:api` after changing a route schema or an error code)');
  if (current !== expected) {
    const a = current.split('\n');
    const b = expected.split('\n');
    const first = a.findIndex((line, i) => line !== b[i]);
    t.comment(`first difference at line ${first + 1}:\n  docs/api.md: ${a[first]}\n  generated:   ${b[first]}`);
  }
});

t.test('the rendering lists every route with its method, roles, fields and the error codes', async (t) => {
  const doc: OpenApiDocument = {
    info: { title: 'T', version: '1' },
    paths: {
      '/api/things/{id}': {
        put: {
          tags: ['things'],
          summary: 'Change a thing',
          security: [{ bearer: [] }],
          'x-roles': ['author'],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 64 } }],
          requestBody: {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parts: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } } } } } },
              },
            },
          },
          responses: { '200': { content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } } } },
        },
      },
    },
  };
  const errors = errorCodesIn([
    { path: 'src/x/a.ts', text: "throw new Conflict('thing_busy', 'busy'); throw new NotFound('Thing');" },
    { path: 'src/y/b/c.ts', text: "throw new Conflict(e.code === 'a' ? 'first_code' : 'other_code', e.message);\nclass Odd extends Unprocessable {\n  constructor() {\n    super('odd_thing', 'odd');\n  }\n}" },
  ]);
  t.same(errors, [
    { status: 404, code: 'not_found', files: ['src/x'] },
    { status: 409, code: 'first_code', files: ['src/y'] },
    { status: 409, code: 'other_code', files: ['src/y'] },
    { status: 409, code: 'thing_busy', files: ['src/x'] },
    { status: 422, code: 'odd_thing', files: ['src/y'] },
  ], 'codes of calls, of conditional arguments and of subclasses; not the literals compared with');
  const md = renderApiMarkdown(doc, errors);
  t.match(md, '## things');
  t.match(md, '### PUT /api/things/{id}');
  t.match(md, '- Roles: `author`');
  t.match(md, '| `id` | path | string | yes | length 1–64 |');
  t.match(md, '| `name` | string | yes |');
  t.match(md, '| `parts[].n` | integer |   | ≥ 0 |');
  t.match(md, '| 409 | `thing_busy` | src/x |');
});
