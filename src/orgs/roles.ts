/** The roles a user holds, each at an organisation (and so over its subtree). */
export const ROLES = ['admin', 'author', 'reviewer', 'exam_manager', 'proctor', 'candidate'] as const;
export type Role = (typeof ROLES)[number];
/** Every role but candidate: the people who run the bank and the exams. */
export const STAFF_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'candidate');

export interface RoleGrant {
  role: Role;
  orgId: string;
}
