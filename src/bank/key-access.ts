/**
 * Who may read an item's answer key (its key and scoring data): the one rule
 * that bank reads, bank exports, exam forms, answer keys and the item
 * analysis all ask.
 *
 * - In the bank: whoever may author or review the item, that is an author or
 *   reviewer role held at the item's owner organisation or above it. Sharing
 *   decides who may read an item; it never hands out the key.
 * - Through an exam: an exam manager of the exam's organisation (or above)
 *   also reads the keys of the items on its forms once the exam is published
 *   and its window has opened: candidates hold the paper from then on, and
 *   marking needs the key. Before that, drawing another organisation's items
 *   into an exam (which never has to run) gives no key that the bank would not
 *   give; forms and answer keys mark such items as withheld instead.
 */
import type { Principal } from '../orgs/access.js';
import type { Role } from '../users/user-model.js';

/** The roles that read a key in the bank (at the item's organisation or above). */
export const KEY_ROLES: readonly Role[] = ['author', 'reviewer'];

/** Why a form or an answer key leaves a key out. */
export const KEY_WITHHELD_REASON =
  'Withheld: only authors and reviewers of the item’s organisation read its key before the exam is published and opens';

type Holder = Pick<Principal, 'roles'>;

/** The organisations at which the caller holds a role that reads keys (they reach down their subtrees). */
export function keyOrgs(principal: Holder): Set<string> {
  return new Set(principal.roles.filter((g) => KEY_ROLES.includes(g.role)).map((g) => g.orgId));
}

/** The bank's rule: the caller may author or review the item. `orgs` is {@link keyOrgs} of the caller. */
export function mayReadKey(orgs: ReadonlySet<string>, item: { orgPath: readonly string[] }): boolean {
  return item.orgPath.some((o) => orgs.has(o));
}

/** True once the exam is published and its window has opened. */
export function examReleasesKeys(exam: { status: string; opensAt: Date | string }, now = new Date()): boolean {
  return exam.status === 'published' && now.getTime() >= new Date(exam.opensAt).getTime();
}

/**
 * The rule through an exam, as one test for every item on its forms: true
 * for the items whose key the caller may read in this exam's forms and
 * answer keys now.
 */
export function examKeyReader(
  principal: Holder,
  exam: { status: string; opensAt: Date | string; orgPath: readonly string[] },
  now = new Date(),
): (item: { orgPath: readonly string[] }) => boolean {
  const managesExam = principal.roles.some((g) => g.role === 'exam_manager' && exam.orgPath.includes(g.orgId));
  if (managesExam && examReleasesKeys(exam, now)) return () => true;
  const orgs = keyOrgs(principal);
  return (item) => mayReadKey(orgs, item);
}
