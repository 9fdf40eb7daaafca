import { editContent } from './edit-guard.js';
import { AppError, Conflict, Forbidden, NotFound, ValidationFailed, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import type { Principal } from '../orgs/access.js';
import type { Detail } from '../validation.js';
import { intersects, type BankAccess, type BankCaller, type Owner } from './bank-access.js';
import type { ContentMedia } from './content-media.js';
import { revisionId, type ApprovedSummary, type BankModels, type ItemHead, type RevisionDoc, type RevisionState, type StatusEvent } from './item-model.js';
import { checkItem, type ItemInput } from './item-schemas.js';
import type { ItemContent, ItemStatistics, ItemStatus } from './item-types.js';
import { itemView, type ItemView } from './item-views.js';
import type { RevisionReader } from './revision-reader.js';
import { drawFieldsOf, type SearchIndex } from './search-index.js';
import { itemTokens } from './search-tokens.js';

/** Most items one POST /api/items/bulk writes. */
export const MAX_BULK = 1000;

/** How many times a workflow change is retried when another change to the same item won the race. */
const CAS_ATTEMPTS = 5;
/** A revision document older than this that no head points to is debris of a crashed write. */
const ORPHAN_AGE_MS = 60_000;

export interface ItemErrorBody {
  code: string;
  message: string;
  details: ErrorDetail[];
}

export type BulkResult = { index: number; id: string; revision: number } | { index: number; error: ItemErrorBody };

/** The review workflow; anything else is `409 invalid_transition`. */
const TRANSITIONS: Record<ItemStatus, readonly ItemStatus[]> = {
  draft: ['in_review'],
  in_review: ['approved', 'draft'],
  approved: ['retired'],
  retired: [],
};


function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

function errorBody(err: AppError): ItemErrorBody {
  return { code: err.code, message: err.message, details: err.details ?? [] };
}

function invalid(details: Detail[]): ValidationFailed {
  return new ValidationFailed('The item is not valid', details);
}

function conflict(base: number, latest: number): Conflict {
  return new Conflict('revision_conflict', `The edit is based on revision ${base} but the latest is ${latest}; reload and apply the change again`, [
    { instancePath: '/revision', basedOn: base, latestRevision: latest },
  ]);
}

/** The head's record of its latest approved revision: classification, and what the draw needs (search-index.ts). */
export function approvedSummary(rev: RevisionDoc): ApprovedSummary {
  return {
    revision: rev.revision,
    sharing: rev.sharing ?? 'org',
    type: rev.type,
    subject: rev.subject,
    grade: rev.grade,
    topic: rev.topic,
    cognitiveLevel: rev.cognitiveLevel,
    draw: drawFieldsOf(rev as unknown as RevisionDoc & Record<string, unknown>),
  };
}

/** The classification fields of a revision as the head stores them (`$set`) and clears them (`$unset`). */
function headFields(item: ItemContent & { stimulusOrder?: number }) {
  const set = {
    sharing: item.sharing ?? 'org',
    type: item.type,
    subject: item.subject,
    grade: item.grade,
    topic: item.topic,
    cognitiveLevel: item.cognitiveLevel,
    tags: item.tags ?? [],
    language: item.language ?? 'vi',
    tokens: itemTokens(item),
    ...(item.stimulusId !== undefined ? { stimulusId: item.stimulusId } : {}),
    ...(item.stimulusOrder !== undefined ? { stimulusOrder: item.stimulusOrder } : {}),
  };
  const unset: Record<string, ''> = {};
  if (item.stimulusId === undefined) unset.stimulusId = '';
  if (item.stimulusOrder === undefined) unset.stimulusOrder = '';
  return { set, unset };
}

function newDocs(authorId: string, owner: Owner, input: ItemInput, now: Date) {
  const { ownerOrgId: _ignored, ...content } = input;
  const itemId = newId();
  const rev = { ...content, _id: revisionId(itemId, 1), itemId, revision: 1, ownerOrgId: owner.ownerOrgId, orgPath: owner.orgPath, authorId, createdAt: now } as RevisionDoc;
  const state: RevisionState = { revision: 1, status: 'draft', authorId, createdAt: now };
  const head: ItemHead = {
    _id: itemId,
    ownerOrgId: owner.ownerOrgId,
    orgPath: owner.orgPath,
    authorId,
    createdAt: now,
    updatedAt: now,
    seq: 1,
    revision: 1,
    status: 'draft',
    revs: [state],
    ...headFields(content).set,
    approved: null,
  };
  return { head, rev, state };
}

/**
 * Items of the bank: writing them (immutable revisions), the four-eyes review
 * workflow, reading one, and item-analysis figures. Every head write goes
 * through the search index's upkeep (search-index.ts). Has no HTTP in it.
 */
export class ItemService {
  constructor(
    private readonly models: BankModels,
    private readonly access: BankAccess,
    private readonly index: SearchIndex,
    private readonly revisions: RevisionReader,
    /** The media library: `data:` images move into it before a revision is stored (content-media.ts). */
    private readonly media?: ContentMedia,
  ) {}

  /** The revision as it is stored: its inline images moved to the media library, which records what it shows. */
  private async withMedia(principal: Principal, rev: RevisionDoc): Promise<RevisionDoc> {
    if (!this.media) return rev;
    return this.media.attach(principal, { ownerOrgId: rev.ownerOrgId, orgPath: rev.orgPath }, { kind: 'item', id: rev.itemId, revision: rev.revision }, rev);
  }

  /** A stimulus reference must name a passage the author can see. */
  private async checkStimulusRef(c: BankCaller, stimulusId: string | undefined): Promise<void> {
    if (stimulusId === undefined) return;
    const stimulus = await this.models.Stimulus.findById(stimulusId).lean();
    if (!stimulus || !this.access.canSee(c, stimulus)) {
      throw new ValidationFailed('Unknown stimulus', [{ instancePath: '/stimulusId', keyword: 'knownId', message: 'names no stimulus you can see' }]);
    }
  }

  private view(c: BankCaller, head: ItemHead, rev: RevisionDoc, state: RevisionState): ItemView {
    return itemView(head, rev, state, this.access.mayReadKey(c, head));
  }

  private async visibleHead(c: BankCaller, id: string): Promise<ItemHead> {
    const head = await this.models.Item.findById(id).lean<ItemHead>();
    // An item the caller may not see is answered exactly like one that does not exist.
    if (!head || !this.access.canSee(c, head)) throw new NotFound('Item');
    return head;
  }

  // ------------------------------------------------------------ write paths

  /** POST /api/items: a new item, revision 1, draft. */
  async create(principal: Principal, input: unknown): Promise<ItemView> {
    const c = await this.access.caller(principal);
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    const checked = checkItem(input);
    if (!checked.ok) throw invalid(checked.details);
    const owner = await this.access.resolveOwner(c, checked.value.ownerOrgId);
    await this.checkStimulusRef(c, checked.value.stimulusId);
    const { head, rev: content, state } = newDocs(c.id, owner, checked.value, new Date());
    const rev = await this.withMedia(principal, content);
    // The revision first: a head is only ever written once its content is stored.
    await this.models.ItemRevision.collection.insertOne(rev as never);
    const nonce = await this.index.begin([head._id]);
    try {
      await this.models.Item.collection.insertOne(head as never);
    } catch (err) {
      await this.models.ItemRevision.deleteOne({ _id: rev._id }).catch(() => {});
      throw err;
    }
    await this.index.put([head], nonce);
    await this.index.cacheRevisions([rev]);
    return this.view(c, head, rev, state);
  }

  /**
   * What {@link bulkCreate} would store for each input, writing nothing: the
   * checked, sanitised item with its owner, or the error bulkCreate would
   * answer for it. `pendingStimuli` are passage ids that will exist by the
   * time the items are written (an import's own passages), not looked up.
   */
  async bulkCheck(principal: Principal, inputs: unknown[], pendingStimuli: ReadonlySet<string> = new Set()): Promise<({ index: number; item: ItemInput } | { index: number; error: ItemErrorBody })[]> {
    const c = await this.access.caller(principal);
    return (await this.checkEach(c, inputs, pendingStimuli)).map((r) => ('error' in r ? r : { index: r.index, item: { ...r.item, ownerOrgId: r.owner.ownerOrgId } }));
  }

  private async checkEach(c: BankCaller, inputs: unknown[], pendingStimuli: ReadonlySet<string> = new Set()): Promise<({ index: number; item: ItemInput; owner: Owner } | { index: number; error: ItemErrorBody })[]> {
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    const owners = new Map<string, Promise<Owner>>();
    const stimuli = new Map<string, Promise<void>>();
    const out: ({ index: number; item: ItemInput; owner: Owner } | { index: number; error: ItemErrorBody })[] = [];
    for (const [index, input] of inputs.entries()) {
      const checked = checkItem(input);
      if (!checked.ok) {
        out.push({ index, error: errorBody(invalid(checked.details)) });
        continue;
      }
      try {
        const ownerKey = checked.value.ownerOrgId ?? '';
        let owner = owners.get(ownerKey);
        if (!owner) owners.set(ownerKey, (owner = this.access.resolveOwner(c, checked.value.ownerOrgId)));
        const stimulusId = checked.value.stimulusId;
        if (stimulusId !== undefined && !pendingStimuli.has(stimulusId)) {
          let ref = stimuli.get(stimulusId);
          if (!ref) stimuli.set(stimulusId, (ref = this.checkStimulusRef(c, stimulusId)));
          await ref;
        }
        out.push({ index, item: checked.value, owner: await owner });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        out.push({ index, error: errorBody(err) });
      }
    }
    return out;
  }

  /**
   * POST /api/items/bulk: up to 1,000 items. Each item is checked on its own and
   * answers with its id or its error; the valid ones are written in two
   * unordered insertMany calls (revisions, then heads), so one bad item never
   * stops the others and none is left half-stored.
   */
  async bulkCreate(principal: Principal, inputs: unknown[]): Promise<BulkResult[]> {
    const c = await this.access.caller(principal);
    const results = new Array<BulkResult>(inputs.length);
    const ready: { index: number; head: ItemHead; rev: RevisionDoc }[] = [];
    const now = new Date();
    for (const r of await this.checkEach(c, inputs)) {
      if ('error' in r) {
        results[r.index] = r;
        continue;
      }
      const { head, rev } = newDocs(c.id, r.owner, r.item, now);
      try {
        // Inline images move into the media library; one that cannot (too large, another's file) fails this item only.
        ready.push({ index: r.index, head, rev: await this.withMedia(principal, rev) });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        results[r.index] = { index: r.index, error: errorBody(err) };
      }
    }

    const stored = await this.insertEach(this.models.ItemRevision, ready.map((r) => r.rev));
    const withContent = ready.filter((_, i) => stored[i]);
    let headed: boolean[];
    const nonce = await this.index.begin(withContent.map((r) => r.head._id));
    try {
      headed = await this.insertEach(this.models.Item, withContent.map((r) => r.head));
    } catch (err) {
      // Contents without heads are unreachable, but they are not left behind either.
      await this.models.ItemRevision.deleteMany({ _id: { $in: withContent.map((r) => r.rev._id) } }).catch(() => {});
      throw err;
    }
    const orphans: string[] = [];
    for (const [i, r] of withContent.entries()) {
      if (headed[i]) results[r.index] = { index: r.index, id: r.head._id, revision: 1 };
      else orphans.push(r.rev._id);
    }
    if (orphans.length) await this.models.ItemRevision.deleteMany({ _id: { $in: orphans } }).catch(() => {});
    await this.index.put(withContent.filter((_, i) => headed[i]).map((r) => r.head), nonce);
    await this.index.cacheRevisions(withContent.filter((_, i) => headed[i]).map((r) => r.rev));
    await this.index.end(withContent.filter((_, i) => !headed[i]).map((r) => r.head._id), nonce);
    for (const [i, r] of ready.entries()) {
      if (!results[r.index]) {
        results[r.index] = { index: r.index, error: { code: 'not_stored', message: stored[i] ? 'The item head could not be stored' : 'The item could not be stored', details: [] } };
      }
    }
    return results;
  }

  /** One unordered insertMany; tells which documents were stored. */
  private async insertEach(model: BankModels['Item'] | BankModels['ItemRevision'], docs: object[]): Promise<boolean[]> {
    const ok = docs.map(() => true);
    if (docs.length === 0) return ok;
    try {
      await model.collection.insertMany(docs as never[], { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
      if (!writeErrors) throw err;
      for (const we of Array.isArray(writeErrors) ? writeErrors : [writeErrors]) ok[we.index] = false;
    }
    return ok;
  }

  /**
   * PUT /api/items/:id: a new revision (latest + 1, draft) from the full item
   * and the revision it was based on. The unique revision `_id` lets exactly
   * one of two concurrent edits of the same base win; the other gets
   * `409 revision_conflict`. Earlier revisions are never touched.
   */
  async update(principal: Principal, id: string, body: Record<string, unknown>): Promise<ItemView> {
    const c = await this.access.caller(principal);
    let head = await this.visibleHead(c, id);
    if (!this.access.mayAuthor(c, head)) throw new Forbidden('Only authors of the owning organisation or above may edit this item');
    const base = body.revision;
    if (typeof base !== 'number' || !Number.isInteger(base)) {
      throw new ValidationFailed('Say which revision the edit is based on', [
        { instancePath: '/revision', keyword: 'required', message: 'must be the revision number the edit is based on', params: { missingProperty: 'revision' } },
      ]);
    }
    if (base !== head.revision) throw conflict(base, head.revision);

    const content = editContent(body);
    if (content.ownerOrgId !== undefined && content.ownerOrgId !== head.ownerOrgId) {
      throw invalid([{ instancePath: '/ownerOrgId', keyword: 'const', message: 'cannot change; an item stays with the organisation that owns it' }]);
    }
    delete content.ownerOrgId;
    const checked = checkItem(content);
    if (!checked.ok) throw invalid(checked.details);
    await this.checkStimulusRef(c, checked.value.stimulusId);

    const now = new Date();
    const revision = base + 1;
    const rev = await this.withMedia(principal, { ...checked.value, _id: revisionId(id, revision), itemId: id, revision, ownerOrgId: head.ownerOrgId, orgPath: head.orgPath, authorId: c.id, createdAt: now } as RevisionDoc);
    await this.insertRevision(rev, base);

    const state: RevisionState = { revision, status: 'draft', authorId: c.id, createdAt: now };
    const { set, unset } = headFields(checked.value);
    const nonce = await this.index.begin([id]);
    for (let attempt = 0; ; attempt++) {
      const res = await this.models.Item.updateOne(
        { _id: id, seq: head.seq },
        { $set: { ...set, revision, status: 'draft', seq: head.seq + 1, updatedAt: now, revs: [...head.revs, state] }, ...(Object.keys(unset).length ? { $unset: unset } : {}) },
      );
      if (res.matchedCount === 1) break;
      // A status change of an older revision moved `seq`; our revision number is still ours.
      const fresh = await this.models.Item.findById(id).lean<ItemHead>();
      if (!fresh || fresh.revision !== base || attempt >= CAS_ATTEMPTS) {
        await this.models.ItemRevision.deleteOne({ _id: rev._id }).catch(() => {});
        await this.index.end([id], nonce);
        throw conflict(base, fresh?.revision ?? base);
      }
      head = fresh;
    }
    await this.index.refresh([id], nonce);
    await this.index.cacheRevisions([rev]);
    const stored = { ...head, ...set, revision, status: 'draft' as const, revs: [...head.revs, state] };
    return this.view(c, stored, rev, state);
  }

  /**
   * Inserts revision `base + 1`. A duplicate `_id` is another edit of the same
   * base that won, unless it is debris of a write that crashed between its two
   * steps (no head points to it and it is old), which is removed once.
   */
  private async insertRevision(rev: RevisionDoc, base: number): Promise<void> {
    try {
      await this.models.ItemRevision.collection.insertOne(rev as never);
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const [existing, head] = await Promise.all([this.revisions.one(rev.itemId, rev.revision), this.models.Item.findById(rev.itemId).lean<ItemHead>()]);
    const orphan = existing && head && head.revision === base && Date.now() - new Date(existing.createdAt).getTime() > ORPHAN_AGE_MS;
    if (!orphan) throw conflict(base, head?.revision ?? rev.revision);
    await this.models.ItemRevision.deleteOne({ _id: rev._id });
    try {
      await this.models.ItemRevision.collection.insertOne(rev as never);
    } catch (err) {
      if (isDuplicateKey(err)) throw conflict(base, rev.revision);
      throw err;
    }
  }

  /**
   * POST /api/items/:id/status: one step of the review workflow on a revision
   * (the latest unless `revision` is given). Checked in this order: the item
   * is visible (else 404), the step exists (else 409 invalid_transition), the
   * caller may take it (else 403; the author of a revision never reviews it).
   */
  async setStatus(principal: Principal, id: string, to: ItemStatus, revision?: number, comment?: string): Promise<ItemView> {
    const note = comment?.normalize('NFC').trim() || undefined;
    const c = await this.access.caller(principal);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const head = await this.visibleHead(c, id);
      const r = revision ?? head.revision;
      const state = head.revs.find((s) => s.revision === r);
      if (!state) throw new NotFound('Revision');
      const from = state.status;
      if (!TRANSITIONS[from].includes(to)) {
        throw new Conflict('invalid_transition', `Revision ${r} is ${from}; it cannot become ${to}`, [{ from, to, allowed: [...TRANSITIONS[from]] }]);
      }
      this.assertMayTransition(c, head, state, from, to);

      const rev = await this.revisions.one(id, r);
      if (!rev) throw new NotFound('Revision');
      const now = new Date();
      const event: StatusEvent = { from, to, at: now, by: c.id, ...(note ? { comment: note } : {}) };
      const next: RevisionState = { ...state, status: to, statusChangedAt: now, statusChangedBy: c.id, log: [...(state.log ?? []), event] };
      const set: Partial<ItemHead> = { revs: head.revs.map((s) => (s.revision === r ? next : s)), seq: head.seq + 1, updatedAt: now };
      if (r === head.revision) set.status = to;
      if (to === 'approved' && (!head.approved || head.approved.revision < r)) set.approved = approvedSummary(rev);
      if (to !== 'approved' && head.approved?.revision === r) set.approved = null;
      const nonce = await this.index.begin([id]);
      const res = await this.models.Item.updateOne({ _id: id, seq: head.seq }, { $set: set });
      if (res.matchedCount === 1) {
        await this.index.refresh([id], nonce);
        return this.view(c, { ...head, ...set }, rev, next);
      }
      await this.index.end([id], nonce);
      // Someone else changed the item in between: decide again on what it is now.
    }
    throw new Conflict('revision_conflict', 'The item kept changing while the status was being set; reload and try again');
  }

  private assertMayTransition(c: BankCaller, head: ItemHead, state: RevisionState, from: ItemStatus, _to: ItemStatus): void {
    if (from === 'draft') {
      if (!this.access.mayAuthor(c, head)) throw new Forbidden('Only an author of the owning organisation submits an item for review');
      return;
    }
    if (from === 'in_review') {
      if (!this.access.mayReview(c, head)) throw new Forbidden('Only a reviewer of the owning organisation or above reviews this item');
      if (state.authorId === c.id) throw new Forbidden('The author of a revision cannot review it; another reviewer must (four-eyes rule)');
      return;
    }
    if (!this.access.mayReview(c, head) && !intersects(head.orgPath, c.adminOrgs)) {
      throw new Forbidden('Only a reviewer or an administrator of the owning organisation retires an item');
    }
  }

  /**
   * Records item-analysis figures on the item itself. No new revision and no
   * review: statistics describe the candidates, not the content. Only the
   * explicit, audited write-back of an analysis calls this
   * (analysis-service.ts); `examId` and `examTitle` tell everyone who sees
   * the item where they came from. From then on the approved pools
   * (approved-pools.ts) report `stats.difficulty` as the item's difficulty.
   * Returns false when there is no such item.
   */
  async setStatistics(itemId: string, stats: Omit<ItemStatistics, 'updatedAt'>): Promise<boolean> {
    if (stats.difficulty !== undefined && !(stats.difficulty >= 0 && stats.difficulty <= 1)) {
      throw new ValidationFailed('Difficulty is a share between 0 and 1', [{ instancePath: '/difficulty', keyword: 'maximum', message: 'must be between 0 and 1' }]);
    }
    // Only `stats` is written: workflow updates `$set` their own fields, so neither can undo the other.
    const nonce = await this.index.begin([itemId]);
    const res = await this.models.Item.updateOne({ _id: itemId }, { $set: { stats: { ...stats, updatedAt: new Date() } } });
    if (res.matchedCount === 1) await this.index.refresh([itemId], nonce);
    else await this.index.end([itemId], nonce);
    return res.matchedCount === 1;
  }

  // ------------------------------------------------------------- read paths

  /**
   * GET /api/items/:id[?revision=N]: the latest revision, or any earlier one.
   * Each revision is shared as it was written: sharing an item more widely
   * later does not publish its earlier drafts, and a revision once shared
   * nationally stays readable (exams may pin it) when a later one narrows.
   */
  async get(principal: Principal, id: string, revision?: number): Promise<ItemView> {
    const c = await this.access.caller(principal);
    const head = await this.models.Item.findById(id).lean<ItemHead>();
    if (!head) throw new NotFound('Item');
    const r = revision ?? head.revision;
    const state = head.revs.find((s) => s.revision === r);
    const rev = state ? await this.revisions.one(id, r) : null;
    // A revision the caller may not see is answered like one that does not exist (and the item too, when that is hidden).
    if (!state || !rev || !this.access.canSeeRevision(c, head, rev)) throw new NotFound(this.access.canSee(c, head) ? 'Revision' : 'Item');
    return this.view(c, head, rev, state);
  }
}
