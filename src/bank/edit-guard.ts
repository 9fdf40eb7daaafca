/**
 * A check another domain runs on an edit of a bank item before it is stored.
 * The bank knows only this contract; the exams domain provides the one in
 * use, the key lock of items on live exams (src/exams/key-guard.ts), and the
 * composition root hands it to the bank's routes.
 */
import type { Principal } from '../orgs/access.js';

/** Fields of an item answer that are the server's, not content: a GET body can be PUT back as it is. */
export const ITEM_SERVER_FIELDS: readonly string[] = ['id', 'revision', 'status', 'authorId', 'createdAt', 'createdBy', 'latestRevision', 'approvedRevision', 'keyIncluded', 'stats', 'orgPath', 'statusLog', 'lastReview', 'people'];

/**
 * The content of an edit (the body of PUT /api/items/:id) without the
 * server's fields: what the bank validates and stores, and so what a guard
 * must judge. One function for both, so a field added to item answers can
 * never make the guard see an invalid item (and wave it through) while the
 * bank stores it.
 */
export function editContent(body: Record<string, unknown>): Record<string, unknown> {
  const content: Record<string, unknown> = { ...body };
  for (const f of ITEM_SERVER_FIELDS) delete content[f];
  return content;
}

/** The value of the `override` query field of PUT /api/items/:id that allows a key change of an item in a live exam. */
export const KEY_CHANGE_OVERRIDE = 'exam-key-change';

export interface KeyGuardOutcome {
  /** The new revision's key or scoring differs from a revision pinned by a live exam. */
  keyChanged: boolean;
  /** The override that let it through, when one was needed. */
  overridden?: typeof KEY_CHANGE_OVERRIDE;
  /** The live exams whose pinned revision's key differs. */
  exams: string[];
}

export interface ItemEditGuard {
  /**
   * Checks an edit (the body of PUT /api/items/:id) of an item the caller may
   * author, before it is stored: throws to refuse it, else answers what the
   * audit record of the edit says about it.
   */
  check(actor: Principal, itemId: string, body: Record<string, unknown>, override: boolean): Promise<KeyGuardOutcome>;
}
