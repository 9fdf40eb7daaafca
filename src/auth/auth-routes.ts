import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import { RateLimited } from '../errors.js';
import { idParams, type IdParams } from '../route-schemas.js';
import { userSchema } from '../users/user-schemas.js';
import { revocationChannel } from '../users/revocations.js';
import { userView } from '../users/user-service.js';
import { auditLoginEvent } from './login-audit.js';

const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 128 },
    password: { type: 'string', minLength: 1, maxLength: 256 },
  },
} as const;

export default async function authRoutes(app: FastifyInstance) {
  // Per-address limit, far above a school lab logging in at once; the
  // per-account limit on wrong passwords lives in AuthService.
  await app.register(rateLimit, {
    global: false,
    redis: app.redis,
    nameSpace: 'ratelimit:',
    skipOnError: false,
    errorResponseBuilder: (_req, ctx) => new RateLimited('Too many login attempts from this address', Math.ceil(ctx.ttl / 1000)),
  });

  app.post<{ Body: FromSchema<typeof loginBody> }>('/api/auth/login', {
    config: { rateLimit: { max: app.config.LOGIN_MAX_PER_ADDRESS, timeWindow: 60_000 } },
    schema: {
      tags: ['auth'],
      summary: 'Log in with username and password',
      body: loginBody,
      response: {
        200: {
          type: 'object',
          required: ['token', 'user'],
          properties: { token: { type: 'string' }, user: userSchema },
        },
      },
    },
  }, async (request) => app.auth.login(request.body.username, request.body.password, { ip: request.ip, requestId: String(request.id) }));

  app.post<{ Params: IdParams }>('/api/users/:id/unlock', {
    onRequest: app.authenticate,
    config: { roles: ['proctor', 'exam_manager', 'admin'] },
    schema: {
      tags: ['auth'],
      summary: 'Lift the login locks of an account at once (proctor or exam manager over the candidate, administrator over the user)',
      description: 'Wrong passwords lock an address out of an account, and many from several addresses the whole account, for LOGIN_LOCK_SECONDS; this ends every such lock. Audited as `user.unlock`.',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 204: { type: 'null' } },
    },
  }, async (request, reply) => {
    const { user, orgId } = await app.users.forUnlock(request.principal, request.params.id);
    const lockedUntil = await app.auth.lockout.unlock(user.usernameKey, user._id);
    await auditLoginEvent({ audit: app.audit, orgs: app.orgs }, auditContext(request, ['proctor', 'exam_manager', 'admin']), {
      kind: 'unlock',
      username: user.username,
      user,
      orgId,
      wasLocked: lockedUntil !== null,
      ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}),
    });
    return reply.code(204).send();
  });

  app.post('/api/auth/logout', {
    onRequest: app.authenticate,
    schema: { tags: ['auth'], summary: 'Revoke the token used for this call', security: [{ bearer: [] }], response: { 204: { type: 'null' } } },
  }, async (request, reply) => {
    await app.auth.logout(request.principal);
    // Exam sockets joined with this token end at once on every process.
    await app.redis.publish(revocationChannel(app.config.REDIS_KEY_PREFIX), JSON.stringify({ userId: request.principal.id, jti: request.principal.jti, at: Date.now() }));
    return reply.code(204).send();
  });

  app.get('/api/me', {
    onRequest: app.authenticate,
    schema: { tags: ['auth'], summary: 'The caller', security: [{ bearer: [] }], response: { 200: userSchema } },
  }, async (request) => userView(await app.users.get(request.principal, request.principal.id)));
}
