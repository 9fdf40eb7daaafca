import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, Unauthenticated } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { Role } from '../users/user-model.js';
import type { UserService } from '../users/user-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook: requires a valid bearer token, sets `request.principal`
     * and checks the route's `config.roles`.
     */
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /**
     * The caller must hold one of these roles at some organisation, or gets
     * 403 before the body is even read: someone who may not use a route
     * learns nothing about what it accepts. Checks that depend on the
     * organisation of the thing touched stay with the services.
     * @defaultValue none: any signed-in user
     */
    roles?: readonly Role[];
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
    const { auth, access, orgs, users } = app.services;
    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request.headers.authorization);
      if (!token) throw new Unauthenticated();
      request.principal = await auth.authenticate(token);
      // onRequest runs before parsing and validation, so this answers before any 400 could.
      const roles = request.routeOptions.config.roles;
      if (roles && !access.hasRole(request.principal, roles)) throw new Forbidden(`This needs one of these roles: ${roles.join(', ')}`);
    });

    await users.ensureNames();
    await bootstrap(app.config.ROOT_ORG_CODE, app.config.ADMIN_USERNAME, app.config.ADMIN_PASSWORD, orgs, users);
  },
  { name: 'auth', dependencies: ['services'] },
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
