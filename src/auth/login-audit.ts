/**
 * Audit records of sign-in trouble, one each: a wrong password
 * (`auth.login_failed`), an account locked after too many (`auth.lockout`)
 * and a proctor, exam manager or administrator lifting the locks
 * (`user.unlock`, on the chain of the organisation the unlocker governs the
 * account through). A known account's other records go to the chain of its
 * first role's organisation, with the user as target; a username nobody has
 * goes to the root organisation's chain, with the username as target. Callers answer the same either way, so nothing
 * here shows a client whether an account exists.
 */
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { OrgService } from '../orgs/org-service.js';
import type { User } from '../users/user-model.js';

export type LoginEvent =
  | { kind: 'login_failed'; username: string; user: Pick<User, '_id' | 'roles'> | null; failures: number }
  | { kind: 'lockout'; username: string; user: Pick<User, '_id' | 'roles'> | null; failures: number; lockSeconds: number }
  | { kind: 'unlock'; username: string; user: Pick<User, '_id' | 'roles'>; orgId: string; wasLocked: boolean; lockedUntil?: string };

const ACTIONS: Record<LoginEvent['kind'], string> = { login_failed: 'auth.login_failed', lockout: 'auth.lockout', unlock: 'user.unlock' };

/** Writes the record of one sign-in event; `ctx` is the request's (no actor for logins, the administrator for an unlock). */
export async function auditLoginEvent(deps: { audit: AuditService; orgs: OrgService }, ctx: AuditContext, event: LoginEvent): Promise<void> {
  const orgId = event.kind === 'unlock' ? event.orgId : (event.user?.roles[0]?.orgId ?? (await deps.orgs.rootId()));
  // Only before bootstrap is there no root, and then there is no account to sign in to either.
  if (!orgId) return;
  const { kind, user, ...rest } = event;
  // The chain is the record's place, not part of its summary.
  const details: Record<string, unknown> = { ...rest };
  delete details.orgId;
  await deps.audit.record(ctx, {
    orgId,
    action: ACTIONS[kind],
    target: user ? `user:${user._id}` : `username:${event.username.toLowerCase()}`,
    summary: details,
  });
}
