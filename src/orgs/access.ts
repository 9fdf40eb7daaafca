import { Forbidden } from '../errors.js';
import type { Role, RoleGrant } from './roles.js';
import type { OrgService } from './org-service.js';

/** The authenticated caller, as every service sees it. */
export interface Principal {
  id: string;
  username: string;
  displayName: string;
  studentId?: string;
  roles: RoleGrant[];
  /** Token id and expiry, for logout. */
  jti: string;
  exp: number;
  /** When the token was issued (ms), for checking open sockets against later revocations. */
  iatMs?: number;
}

/**
 * Answers "may this user act as one of these roles at organisation X". A role
 * held at an organisation applies to that organisation and its whole subtree.
 */
export class Access {
  constructor(private readonly orgs: OrgService) {}

  /** Organisations where the principal holds one of the roles directly. */
  grantOrgs(principal: Pick<Principal, 'roles'>, roles: Role | readonly Role[]): string[] {
    const wanted = typeof roles === 'string' ? [roles] : roles;
    return [...new Set(principal.roles.filter((g) => wanted.includes(g.role)).map((g) => g.orgId))];
  }

  hasRole(principal: Pick<Principal, 'roles'>, roles: Role | readonly Role[]): boolean {
    return this.grantOrgs(principal, roles).length > 0;
  }

  /** True when one of the roles is held at `orgId` or at one of its ancestors. */
  async holds(principal: Pick<Principal, 'roles'>, roles: Role | readonly Role[], orgId: string): Promise<boolean> {
    const grants = this.grantOrgs(principal, roles);
    if (grants.length === 0) return false;
    const path = await this.orgs.pathOf(orgId);
    return path !== null && grants.some((g) => path.includes(g));
  }

  async require(principal: Pick<Principal, 'roles'>, roles: Role | readonly Role[], orgId: string): Promise<void> {
    if (!(await this.holds(principal, roles, orgId))) throw new Forbidden();
  }

  /**
   * The organisations a principal may see in the tree: null (all of it) for
   * anyone holding a staff role; for a candidate only their own branch, their
   * organisations and those above them, not their siblings or other
   * departments.
   */
  async visibleOrgs(principal: Pick<Principal, 'roles'>): Promise<ReadonlySet<string> | null> {
    if (principal.roles.some((g) => g.role !== 'candidate')) return null;
    const visible = new Set<string>();
    for (const orgId of this.grantOrgs(principal, 'candidate')) for (const id of (await this.orgs.pathOf(orgId)) ?? []) visible.add(id);
    return visible;
  }

  /** A filter matching documents whose `orgPath` lies under any org where a role is held. */
  subtreeFilter(principal: Pick<Principal, 'roles'>, roles: Role | readonly Role[], field = 'orgPath') {
    return { [field]: { $in: this.grantOrgs(principal, roles) } };
  }
}
