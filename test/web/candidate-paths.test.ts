/**
 * One list of the client's addresses outside the staff app
 * (src/contracts/candidate-paths.ts) for the server and the browser's router:
 * every page the router renders must be served by the server as the client's
 * index.html, or a reload or a typed address on that page would be a 404.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import webPlugin from '../../src/plugins/web.js';
import { CANDIDATE_ROUTES } from '../../src/web/candidate-pages.js';
import { STAFF_ROUTES } from '../../src/web/staff/routes.js';

const SHELL = '<!doctype html><title>client shell</title>';

/** A concrete address of a route: each parameter filled in. */
const addressOf = (routePath: string) => routePath.replace(/:([A-Za-z]+)/g, (_m, name: string) => `${name}-3Zr`);

t.test("every candidate page the browser router renders is served by the server with the client", async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'candidate-paths-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await writeFile(path.join(root, 'index.html'), SHELL);
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  await app.register(webPlugin, { root });

  t.same(CANDIDATE_ROUTES.map((r) => r.path), ['/', '/login', '/exam/:examId'], 'the router has the candidate pages and sign-in');
  t.same(CANDIDATE_ROUTES.map((r) => r.auth), [true, false, true], 'only sign-in is open to everyone');
  const all = [...CANDIDATE_ROUTES, ...STAFF_ROUTES];
  for (const route of CANDIDATE_ROUTES) {
    const url = addressOf(route.path);
    // The router takes the first route that matches: it must be this one, with its parameters.
    const first = all.find((r) => r.pattern.test(url));
    t.equal(first?.path, route.path, `${url}: the router renders ${route.path}`);
    const groups = url.match(route.pattern)!.slice(1);
    t.same(Object.fromEntries(route.params.map((name, i) => [name, groups[i]])), Object.fromEntries(route.params.map((name) => [name, `${name}-3Zr`])), `${url}: parameters`);
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, `${url}: served`);
    t.equal(res.body, SHELL, `${url}: the client's index.html`);
  }
  t.notOk(CANDIDATE_ROUTES.some((r) => r.pattern.test('/exam/3Zr/extra')), 'an exam address takes one segment');

  // The check above does fail for a page the server does not serve.
  const unserved = await app.inject({ method: 'GET', url: '/exam/3Zr/extra' });
  t.equal(unserved.statusCode, 404, 'an address outside the list is not served');
});
