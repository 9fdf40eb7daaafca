/**
 * Serves the browser client (built into dist/web by `npm run build`) at `/`.
 *
 * Every file of the build gets its own route (no catch-all), and the client's
 * own paths (CLIENT_ROUTES) answer with index.html, so unknown paths, and
 * every /api path, still reach the JSON not-found handler. The HTML carries a
 * strict Content-Security-Policy. Deliberately not wrapped in fastify-plugin:
 * @fastify/static's reply decorator stays inside this plugin.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
// For `schema.hide`: the client's pages are not part of the published API.
import type {} from '@fastify/swagger';
import { CANDIDATE_PATHS } from '../contracts/candidate-paths.js';
import { STAFF_PATHS } from '../contracts/staff-paths.js';
import { projectRoot } from '../infra/paths.js';

export interface WebPluginOptions {
  /** Folder of the built client. @defaultValue `<project>/dist/web` */
  root?: string;
}

/** Paths of the staff app: the shared list the browser's router renders pages for. */
export const STAFF_CLIENT_ROUTES = STAFF_PATHS;

/** Paths the client's router renders (the shared lists of src/contracts); each answers with index.html. */
export const CLIENT_ROUTES = [...CANDIDATE_PATHS, ...STAFF_CLIENT_ROUTES] as const;

/**
 * No inline script, no eval, nothing from other origins. KaTeX styles its
 * output through the CSSOM, which `style-src 'self'` allows.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setHeaders(reply: FastifyReply, filePath: string): void {
  reply.header('x-content-type-options', 'nosniff');
  if (filePath.endsWith('.html')) {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-cache');
  } else if (filePath.split(path.sep).includes('vendor')) {
    // vendor/<name>-<version>/: a new version is a new path.
    reply.header('cache-control', 'public, max-age=31536000, immutable');
  } else {
    // The client's own modules keep their names across releases: revalidate (ETag) on each load.
    reply.header('cache-control', 'no-cache');
  }
}

const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, options) => {
  const root = path.resolve(options.root ?? path.join(projectRoot(), 'dist', 'web'));
  if (!existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'browser client not built (run `npm run build`); / serves nothing');
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders,
  });
  for (const url of CLIENT_ROUTES) {
    app.get(url, { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  }
  // The address people type for the staff app, with a slash, leads to it.
  app.get('/staff/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/staff', 301));
};

export default webPlugin;
