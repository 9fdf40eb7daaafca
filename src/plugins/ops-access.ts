import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { Unauthenticated } from '../errors.js';

/**
 * The onRequest hook that closes operations pages (`/metrics`, `/docs`) in
 * production to all but holders of OPS_TOKEN: sent as `Authorization: Bearer
 * <token>` (Prometheus, scripts) or as the password of Basic authentication
 * (a browser asks for it). Without OPS_TOKEN they are closed to everyone.
 * Null outside production, where they stay open.
 */
export function opsAccess(config: Pick<Config, 'NODE_ENV' | 'OPS_TOKEN'>): ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | null {
  if (config.NODE_ENV !== 'production') return null;
  const expected = config.OPS_TOKEN ? digest(config.OPS_TOKEN) : null;
  return async (request, reply) => {
    const given = presented(request.headers.authorization);
    // Digests of equal length, compared in constant time.
    if (expected && given !== null && timingSafeEqual(digest(given), expected)) return;
    reply.header('www-authenticate', 'Basic realm="operations", charset="UTF-8"');
    throw new Unauthenticated('This page needs the operations token (OPS_TOKEN)');
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The token of `Bearer <token>`, or the password of `Basic base64(user:password)`. */
function presented(header: string | undefined): string | null {
  const match = header ? /^(Bearer|Basic)\s+(\S+)$/i.exec(header) : null;
  if (!match) return null;
  if (match[1]!.toLowerCase() === 'bearer') return match[2]!;
  const decoded = Buffer.from(match[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}
