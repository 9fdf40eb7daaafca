/** The roles a user holds, each at an organisation (and so over its subtree). */
/**
 * The roles a user holds, each at an organisation (and so over its subtree).
 * `exam_board` (hội đồng thi) runs grading, regrading, results, analysis and the
 * sector push of the exams of its organisation and the schools below it; it
 * writes no items and does not run live exams.
 */
export const ROLES = ['admin', 'author', 'reviewer', 'exam_manager', 'exam_board', 'proctor', 'candidate'] as const;
export type Role = (typeof ROLES)[number];
/** Every role but candidate: the people who run the bank and the exams. */
export const STAFF_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'candidate');

export interface RoleGrant {
  role: Role;
  orgId: string;
}
