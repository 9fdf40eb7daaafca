import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { BadRequest } from '../errors.js';
import type { MediaDoc } from './media-model.js';
import { mediaUrl, RangeNotSatisfiable } from './media-service.js';

const secured = [{ bearer: [] }];

const errorObject = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array' } } } },
} as const;

const uploadQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { orgId: { type: 'string', minLength: 1, maxLength: 64, description: 'The organisation the file is uploaded for; required when the caller is an author at several' } },
} as const;

const storedSchema = {
  type: 'object',
  required: ['id', 'hash', 'url', 'type', 'kind', 'bytes', 'deduplicated'],
  properties: {
    id: { type: 'string', description: 'The SHA-256 of the stored bytes (hex); the same as `hash`' },
    hash: { type: 'string' },
    url: { type: 'string', description: 'Where the file is served: `/api/media/<hash>`' },
    type: { type: 'string', enum: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'audio/mpeg', 'audio/ogg', 'audio/mp4'] },
    kind: { type: 'string', enum: ['image', 'audio'] },
    bytes: { type: 'integer' },
    deduplicated: { type: 'boolean', description: 'The same bytes were in the library already' },
  },
} as const;

const hashParams = {
  type: 'object',
  required: ['hash'],
  properties: { hash: { type: 'string', maxLength: 128 } },
} as const;

/** A single `bytes=` range of a file of `size` bytes: the range, 'unsatisfiable', or null to send the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, other units or nonsense: the whole file, as RFC 9110 allows.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

const etagOf = (doc: Pick<MediaDoc, '_id'>) => `"${doc._id}"`;

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/**
 * The media library over HTTP: upload (`POST /api/media`, the file as the
 * raw body, its type read from its bytes) and serving (`GET /api/media/:hash`,
 * cached for good: the address is the content's hash, so it never changes).
 */
export default async function mediaRoutes(app: FastifyInstance) {
  const { media } = app.services;
  const limit = Math.max(app.config.MEDIA_MAX_IMAGE_BYTES, app.config.MEDIA_MAX_AUDIO_BYTES);

  // This plugin's context only: the body is the file itself, whatever type the client says it is.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => done(null, body));

  app.post<{ Querystring: FromSchema<typeof uploadQuery> }>('/api/media', {
    config: { roles: ['author'] },
    onRequest: app.authenticate,
    schema: {
      tags: ['media'],
      summary: 'Adds an image or audio file to the media library',
      description:
        'The file is the raw request body. Its type is read from its content (PNG, JPEG, GIF, WebP, SVG, MP3, Ogg, M4A), never from the declared content type; an SVG is stored sanitised (no scripts, event handlers or external references). The same bytes are stored once. Limits: MEDIA_MAX_IMAGE_BYTES, MEDIA_MAX_AUDIO_BYTES.',
      security: secured,
      querystring: uploadQuery,
      consumes: ['application/octet-stream', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'audio/mpeg', 'audio/ogg', 'audio/mp4'],
      response: { 201: storedSchema, 400: errorObject, 403: errorObject, 413: errorObject, 415: errorObject },
    },
  }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body) || request.body.length === 0) throw new BadRequest('Send the file as the request body');
    const stored = await media.upload(request.principal, request.body, request.query.orgId);
    reply.code(201);
    return { id: stored.hash, hash: stored.hash, url: mediaUrl(stored.hash), type: stored.type, kind: stored.kind, bytes: stored.bytes, deduplicated: stored.deduplicated };
  });

  app.get<{ Params: FromSchema<typeof hashParams> }>('/api/media/:hash', {
    onRequest: app.authenticate,
    schema: {
      tags: ['media'],
      summary: 'A file of the media library',
      description:
        'Answered to those who may read content that shows the file (the bank\'s sharing rules; for an item on a form of an exam not yet open, only those who may read that form; for a candidate, only files of their own form while they sit the exam). Anything else is 404, as for a file that does not exist. Cached for good (`Cache-Control: private, max-age=31536000, immutable`, `ETag` the hash; `If-None-Match` answers 304); `Range: bytes=a-b` answers 206 (audio seeking).',
      security: secured,
      params: hashParams,
      response: {
        200: { description: 'The file', type: 'string', format: 'binary' },
        206: { description: 'The requested range of the file', type: 'string', format: 'binary' },
        304: { description: 'Not modified', type: 'null' },
        404: errorObject,
        416: errorObject,
      },
    },
  }, async (request, reply) => {
    const doc = await media.readable(request.principal, request.params.hash);
    const etag = etagOf(doc);
    reply
      .header('Cache-Control', 'private, max-age=31536000, immutable')
      .header('ETag', etag)
      .header('Accept-Ranges', 'bytes')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Disposition', 'inline');
    // An SVG opened on its own must not run anything or fetch anything, whatever got through.
    if (doc.type === 'image/svg+xml') reply.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
    const range = parseRange(request.headers.range, doc.bytes);
    if (range === 'unsatisfiable') {
      reply.header('Content-Range', `bytes */${doc.bytes}`);
      throw new RangeNotSatisfiable(doc.bytes);
    }
    reply.type(doc.type);
    if (range) {
      reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${doc.bytes}`).header('Content-Length', range.end - range.start + 1);
      return reply.send(Readable.from(media.bytes(doc, range.start, range.end)));
    }
    reply.header('Content-Length', doc.bytes);
    return reply.send(Readable.from(media.bytes(doc)));
  });
}
