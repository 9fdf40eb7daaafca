import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit-service.js';
import { AuthService } from '../auth/auth-service.js';
import { TokenService } from '../auth/tokens.js';
import { Unauthenticated } from '../errors.js';
import { Access, type Principal } from '../orgs/access.js';
import { OrgService } from '../orgs/org-service.js';
import { UserService } from '../users/user-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenService;
    orgs: OrgService;
    access: Access;
    users: UserService;
    auth: AuthService;
    /** The hash-chained audit trail. */
    audit: AuditService;
    /** onRequest hook: requires a valid bearer token and sets `request.principal`. */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Reads `Authorization: Bearer <token>`; anything else is absent. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

export default fp(
  async (app) => {
    const tokens = new TokenService(app.config.JWT_SECRET, app.config.JWT_TTL_SECONDS, app.redis);
    const orgs = new OrgService(app.models.Org);
    const access = new Access(orgs);
    const users = new UserService(app.models.User, orgs, access);
    const auth = new AuthService(app.models.User, users, tokens, app.redis, {
      maxFailures: app.config.LOGIN_MAX_FAILURES,
      maxFailuresTotal: app.config.LOGIN_MAX_FAILURES_TOTAL,
      lockSeconds: app.config.LOGIN_LOCK_SECONDS,
    });
    app.decorate('tokens', tokens);
    app.decorate('orgs', orgs);
    app.decorate('access', access);
    app.decorate('users', users);
    app.decorate('auth', auth);
    app.decorate('audit', new AuditService(app.models.Audit, orgs));
    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request.headers.authorization);
      if (!token) throw new Unauthenticated();
      request.principal = await auth.authenticate(token);
    });

    await users.ensureNames();
    await bootstrap(app.config.ROOT_ORG_CODE, app.config.ADMIN_USERNAME, app.config.ADMIN_PASSWORD, orgs, users);
  },
  { name: 'auth', dependencies: ['mongo', 'redis'] },
);

/**
 * With no users at all, creates the root organisation and its administrator.
 * Two processes starting together may both try; the unique username index
 * lets exactly one succeed.
 */
async function bootstrap(rootCode: string, username: string, password: string, orgs: OrgService, users: UserService) {
  if ((await users.count()) > 0) return;
  const root = await orgs.ensureRoot(rootCode, 'Bộ Giáo dục và Đào tạo');
  try {
    await users.create(null, { username, password, displayName: 'Quản trị hệ thống', roles: [{ role: 'admin', orgId: root._id }] });
  } catch (err) {
    if ((err as { code?: string }).code !== 'duplicate_username') throw err;
  }
}
