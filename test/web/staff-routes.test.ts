/**
 * One list of staff addresses (src/contracts/staff-paths.ts) for the server
 * and the browser's router: every page the router renders must be served by
 * the server as the client's index.html, or a reload or a typed address on
 * that page would be a 404.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import webPlugin from '../../src/plugins/web.js';
import { STAFF_ROUTES } from '../../src/web/staff/routes.js';

const SHELL = '<!doctype html><title>client shell</title>';

/** A concrete address of a route: each parameter filled in. */
const addressOf = (routePath: string) => routePath.replace(/:([A-Za-z]+)/g, (_m, name: string) => `${name}-7Kq`);

t.test('every staff page the browser router renders is served by the server with the client', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'staff-routes-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await writeFile(path.join(root, 'index.html'), SHELL);
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  await app.register(webPlugin, { root });

  t.ok(STAFF_ROUTES.length >= 20, 'the router has the staff pages');
  for (const route of STAFF_ROUTES) {
    const url = addressOf(route.path);
    // The router takes the first route that matches: it must be this one, with its parameters.
    const first = STAFF_ROUTES.find((r) => r.pattern.test(url));
    t.equal(first?.path, route.path, `${url}: the router renders ${route.path}`);
    const groups = url.match(route.pattern)!.slice(1);
    t.same(Object.fromEntries(route.params.map((name, i) => [name, groups[i]])), Object.fromEntries(route.params.map((name) => [name, `${name}-7Kq`])), `${url}: parameters`);
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, `${url}: served`);
    t.equal(res.body, SHELL, `${url}: the client's index.html`);
  }
  t.ok(STAFF_ROUTES[0]!.pattern.test('/staff/'), 'the home page also takes a trailing slash');

  // The check above does fail for a page the server does not serve.
  const unserved = await app.inject({ method: 'GET', url: addressOf('/staff/items/:itemId/unknown') });
  t.equal(unserved.statusCode, 404, 'an address outside the list is not served');
});
