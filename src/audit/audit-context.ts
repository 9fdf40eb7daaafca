import type { FastifyRequest } from 'fastify';
import type { AuditContext } from './audit-service.js';

/**
 * Who and where, for an audit record written while serving this request.
 * `role` is the grant the action used, or the roles it needs (the record then
 * names the caller's grant among them at the chain's organisation or above).
 */
export function auditContext(request: FastifyRequest, role?: { role: string; orgId: string } | readonly string[]): AuditContext {
  const ctx: AuditContext = { actorId: request.principal?.id ?? null, requestId: String(request.id), ip: request.ip };
  if (Array.isArray(role)) {
    ctx.acting = { roles: role, grants: request.principal?.roles ?? [] };
  } else if (role && 'role' in role) {
    ctx.actorRole = role.role;
    ctx.actorOrgId = role.orgId;
  }
  return ctx;
}
