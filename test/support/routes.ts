/**
 * The routes the API publishes in its OpenAPI document, for suites that walk
 * every route: routes added later are covered without touching those suites.
 */
import type { FastifyInstance } from 'fastify';

export interface Route {
  method: string;
  /** OpenAPI form: `/api/items/{id}`. */
  path: string;
}

export async function publishedRoutes(app: FastifyInstance): Promise<Route[]> {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const list: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const method of Object.keys(ops)) list.push({ method: method.toUpperCase(), path });
  }
  return list;
}
