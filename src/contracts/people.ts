/**
 * How people are named and found on staff screens, shared by the server (the
 * monitor's `q`) and the browser (the monitor's search box), so both match the
 * same way. Browser-safe: no Node or server imports.
 */

/** A person as staff screens show them; absent fields are unknown or not the viewer's to see. */
export interface PersonName {
  displayName: string;
  username: string;
  /** Số báo danh (candidate number), when the person has one. */
  studentId?: string;
}

const MARK = /\p{Mn}/gu;
const STROKED = /[đĐ]/g;
const SPACES = /\s+/gu;

/**
 * The search key of a name: no diacritics (đ → d), lower case, single spaces,
 * so "nguyen van" finds "Nguyễn Văn" and "NGUYỄN  VĂN".
 */
export function personKey(s: string): string {
  return s.normalize('NFD').replace(MARK, '').replace(STROKED, 'd').normalize('NFC').toLowerCase().replace(SPACES, ' ').trim();
}

/** True when `query` (any case, with or without diacritics) is part of the name, the username or the số báo danh. */
export function personMatches(person: Partial<PersonName>, query: string): boolean {
  const q = personKey(query);
  if (!q) return true;
  return [person.displayName, person.username, person.studentId].some((field) => typeof field === 'string' && personKey(field).includes(q));
}

export const ORG_KINDS = ['ministry', 'department', 'office', 'school'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

/** An organisation as GET /api/orgs and /api/orgs/:id answer it. */
export interface OrgView {
  id: string;
  code: string;
  name: string;
  kind: OrgKind;
  parentId: string | null;
  /** Ancestors, root first, ending with the organisation itself. */
  path: string[];
  createdAt: string;
}

/** What POST /api/users/bulk answers: a bad row never stops the others. */
export interface BulkUsersResult {
  created: number;
  /** The users created, by row: their ids go into an exam's candidate list. */
  users: { index: number; id: string; username: string }[];
  failed: { index: number; error: { code: string; message: string } }[];
}

/**
 * The roles a user holds, each at an organisation (and so over its subtree).
 * `exam_board` (hội đồng thi) runs grading, regrading, results, analysis and the
 * sector push of the exams of its organisation and the schools below it; it
 * writes no items and does not run live exams.
 */
export const ROLES = ['admin', 'author', 'reviewer', 'exam_manager', 'exam_board', 'proctor', 'candidate'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleGrant {
  role: Role;
  orgId: string;
}

/** A user as POST /api/users and each row of POST /api/users/bulk take it. */
export interface NewUser {
  username: string;
  password: string;
  displayName: string;
  studentId?: string;
  roles: RoleGrant[];
}
