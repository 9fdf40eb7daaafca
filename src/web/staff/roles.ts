/**
 * What the signed-in person may do, from the roles of their session
 * (`[{role, orgId}]`, as the login answer gives them). The server decides every request; these
 * only choose which screens and buttons to offer.
 */
import type { User } from '../api.js';

export type StaffRole = 'admin' | 'author' | 'reviewer' | 'exam_manager' | 'exam_board' | 'proctor';

export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'author', 'reviewer', 'exam_manager', 'exam_board', 'proctor'];

export function hasRole(user: User, ...roles: string[]): boolean {
  return user.roles.some((g) => roles.includes(g.role));
}

/** Organisations where the user holds `role`. */
export function orgsWith(user: User, role: string): string[] {
  return [...new Set(user.roles.filter((g) => g.role === role).map((g) => g.orgId))];
}

export function isStaff(user: User): boolean {
  return hasRole(user, ...STAFF_ROLES);
}

/** Roles that read the question bank (the server refuses everyone else). */
export function readsBank(user: User): boolean {
  return hasRole(user, 'admin', 'author', 'reviewer', 'exam_manager');
}

/** Blueprints, exams, assembly, grading and results are the exam manager's (the server refuses administrators there). */
export function managesExams(user: User): boolean {
  return hasRole(user, 'exam_manager');
}

/** The live exam (monitor, extra time, unlocking) is for exam managers, proctors and administrators. */
export function watchesExams(user: User): boolean {
  return hasRole(user, 'exam_manager', 'proctor', 'admin');
}

/** Grading, regrading, results, analysis and the sector push: exam managers and exam boards. */
export function runsResults(user: User): boolean {
  return hasRole(user, 'exam_manager', 'exam_board');
}

/** Who opens the exam list: those who watch exams, and exam boards. */
export function listsExams(user: User): boolean {
  return watchesExams(user) || hasRole(user, 'exam_board');
}
