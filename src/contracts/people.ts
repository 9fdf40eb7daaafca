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
