import type { AuditContext, AuditService } from '../audit/audit-service.js';

/** Something that happened to an account's sign-in (an unlock, a failed login, a lockout), for the audit trail. */
export interface AccountEvent {
  /** e.g. `user.unlock`. */
  action: string;
  /** The account's id; absent for a username nobody has. */
  userId?: string;
  username: string;
  /** The organisation whose chain records it (one where the account holds a role). */
  orgId: string;
  summary?: Record<string, unknown>;
}

/** Records an account event through the audit service: the one place sign-in events are shaped. */
export async function recordAccountEvent(audit: AuditService, ctx: AuditContext, event: AccountEvent): Promise<void> {
  await audit.record(ctx, {
    orgId: event.orgId,
    action: event.action,
    target: event.userId ? `user:${event.userId}` : `username:${event.username.toLowerCase()}`,
    summary: { username: event.username, ...event.summary },
  });
}
