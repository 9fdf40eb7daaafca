import type { QueryFilter } from 'mongoose';
import { AppError, Conflict, Forbidden, NotFound, ValidationFailed, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { Role } from '../users/user-model.js';
import type { Detail } from '../validation.js';
import {
  revisionId,
  type ApprovedSummary,
  type BankModels,
  type ItemHead,
  type RevisionDoc,
  type RevisionState,
  type StatusEvent,
  type StimulusDoc,
} from './item-model.js';
import { checkItem, checkStimulus, type ItemInput } from './item-schemas.js';
import type {
  BankReader,
  CognitiveLevel,
  ItemContent,
  ItemRevision,
  ItemStatistics,
  ItemStatus,
  ItemType,
  Sharing,
  Stimulus,
} from './item-types.js';
import { contentOf, withoutKey } from './item-views.js';
import { keepRevision, readRevision } from './stimulus-revisions.js';
import { keyOrgs, mayReadKey } from './key-access.js';
import { itemTokens, queryTokens } from './search-tokens.js';
import { drawFieldsOf, INDEX_PROJECTION, keyOf, poolItemOf, usableBy, type IndexedHead, type IndexQuery, type PoolCell, type SearchIndex } from './search-index.js';
import type { PoolItem } from '../assembly/assembler.js';

/** Roles that may read the bank at all; candidates and proctors never do. */
export const BANK_ROLES: readonly Role[] = ['admin', 'author', 'reviewer', 'exam_manager'];

/** @defaultValue 50 */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;
export const MAX_BULK = 1000;

/** Point reads in flight at once when a page or a pool is fetched revision by revision. */
const READ_CONCURRENCY = 16;
/** How many times a workflow change is retried when another change to the same item won the race. */
const CAS_ATTEMPTS = 5;
/** A revision document older than this that no head points to is debris of a crashed write. */
const ORPHAN_AGE_MS = 60_000;

/**
 * The caller's bank roles, resolved once per request. A role held at an
 * organisation applies to its whole subtree, so "holds role R over
 * item X" is "one of R's organisations is on X's orgPath".
 */
export interface BankCaller {
  id: string;
  bankOrgs: Set<string>;
  authorOrgs: Set<string>;
  reviewerOrgs: Set<string>;
  adminOrgs: Set<string>;
  /** Every organisation at or above one where a bank role is held. */
  aboveBankOrgs: Set<string>;
  /** Where the caller reads keys (key-access.ts). */
  keyOrgs: Set<string>;
}

interface Owned {
  authorId: string;
  sharing: Sharing;
  ownerOrgId: string;
  orgPath: string[];
}

export interface ItemStats {
  difficulty?: number;
  discrimination?: number;
  pointBiserial?: number;
  n?: number;
  /** Where the figures came from: the exam and its title, and when they were written back. */
  examId?: string;
  examTitle?: string;
  updatedAt?: string;
}

/** What the API answers for one item revision; the content fields are those of docs/item-types.md. */
export type ItemView = Record<string, unknown> & {
  id: string;
  revision: number;
  status: ItemStatus;
  ownerOrgId: string;
  /** Author of this revision. */
  authorId: string;
  /** When this revision was written. */
  createdAt: string;
  /** Who created the item (revision 1). */
  createdBy: string;
  latestRevision: number;
  approvedRevision: number | null;
  keyIncluded: boolean;
  stats?: ItemStats;
};

export interface SearchQuery {
  subject?: string;
  grade?: number;
  topic?: string;
  cognitiveLevel?: number;
  type?: ItemType;
  status?: ItemStatus;
  tag?: string;
  q?: string;
  stimulusId?: string;
  /** @defaultValue 50 */
  limit?: number;
  cursor?: string;
}

export interface SearchOptions {
  /** Use the Redis index when it is ready. @defaultValue true (false: the database path, for comparison) */
  useIndex?: boolean;
}

export interface ItemErrorBody {
  code: string;
  message: string;
  details: ErrorDetail[];
}

export type BulkResult = { index: number; id: string; revision: number } | { index: number; error: ItemErrorBody };

export type StimulusView = Omit<Stimulus, 'createdAt' | 'orgPath'> & {
  createdAt: string;
  revision: number;
  updatedAt?: string;
  items: { id: string; revision: number; status: ItemStatus; type: ItemType; stimulusOrder?: number }[];
};

/** The review workflow (draft → in_review → approved → retired, and back to draft from review); anything else is `409 invalid_transition`. */
const TRANSITIONS: Record<ItemStatus, readonly ItemStatus[]> = {
  draft: ['in_review'],
  in_review: ['approved', 'draft'],
  approved: ['retired'],
  retired: [],
};

/** Fields of an item answer that are the server's, not content: a GET body can be PUT back as it is. */
const SERVER_FIELDS = ['id', 'revision', 'status', 'authorId', 'createdAt', 'createdBy', 'latestRevision', 'approvedRevision', 'keyIncluded', 'stats', 'orgPath', 'statusLog', 'lastReview'];

const HEAD_LIST_PROJECTION = { tokens: 0 } as const;

function intersects(path: readonly string[], orgs: Set<string>): boolean {
  return path.some((o) => orgs.has(o));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

function errorBody(err: AppError): ItemErrorBody {
  return { code: err.code, message: err.message, details: err.details ?? [] };
}

function statsView(stats: ItemStatistics): ItemStats {
  const { updatedAt, ...figures } = stats;
  return { ...figures, ...(updatedAt ? { updatedAt: new Date(updatedAt).toISOString() } : {}) };
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{24}$/.test(id)) {
    throw new ValidationFailed('The cursor is not one this list handed out', [
      { instancePath: '/cursor', keyword: 'cursor', message: 'must be a nextCursor value from an earlier page', in: 'querystring' },
    ]);
  }
  return id;
}

/**
 * The shared question bank: items with immutable revisions, the four-eyes
 * review workflow, sharing down the organisation tree, search, stimuli.
 * Has no HTTP in it; the routes, workers and form assembly share it.
 */
export class BankService implements BankReader {
  constructor(
    private readonly models: BankModels,
    private readonly access: Access,
    private readonly orgs: OrgService,
    /**
     * The Redis search index (search-index.ts). Every head write keeps it up
     * to date; search and assembly use it when it is ready and fall back to
     * the database otherwise. Without it everything reads the database.
     */
    readonly index?: SearchIndex,
  ) {}

  /** After a head write: index the head as the database now holds it (one `_id` read). */
  private async reindex(id: string, nonce: string | undefined): Promise<void> {
    if (!this.index) return;
    const head = await this.models.Item.findById(id, INDEX_PROJECTION).lean<IndexedHead>();
    await this.index.put(head ? [head] : [], nonce, head ? [] : [id]);
  }

  // ---------------------------------------------------------------- callers

  /** Resolves the caller's bank roles; anyone without one is refused outright. */
  async caller(principal: Pick<Principal, 'id' | 'roles'>): Promise<BankCaller> {
    const bankOrgs = this.access.grantOrgs(principal, BANK_ROLES);
    if (bankOrgs.length === 0) throw new Forbidden('The question bank is open to authors, reviewers, exam managers and administrators only');
    const aboveBankOrgs = new Set<string>();
    for (const org of bankOrgs) for (const o of (await this.orgs.pathOf(org)) ?? []) aboveBankOrgs.add(o);
    return {
      id: principal.id,
      bankOrgs: new Set(bankOrgs),
      authorOrgs: new Set(this.access.grantOrgs(principal, 'author')),
      reviewerOrgs: new Set(this.access.grantOrgs(principal, 'reviewer')),
      adminOrgs: new Set(this.access.grantOrgs(principal, 'admin')),
      aboveBankOrgs,
      keyOrgs: keyOrgs(principal),
    };
  }

  /**
   * Sharing rules, the one place they are decided:
   * - `private`: its creator only;
   * - `org`: bank roles held at the owner organisation or above it;
   * - `subtree`: as `org`, plus bank roles held anywhere below the owner;
   * - `national`: every bank role.
   * The creator always sees their own items.
   */
  canSee(c: BankCaller, x: Owned): boolean {
    if (x.authorId === c.id) return true;
    switch (x.sharing) {
      case 'national':
        return true;
      case 'subtree':
        return intersects(x.orgPath, c.bankOrgs) || c.aboveBankOrgs.has(x.ownerOrgId);
      case 'org':
        return intersects(x.orgPath, c.bankOrgs);
      default:
        return false;
    }
  }

  /** {@link canSee} as a MongoDB filter, for lists and search. */
  visibilityFilter(c: BankCaller): QueryFilter<ItemHead> {
    return {
      $or: [
        { authorId: c.id },
        { sharing: 'national' },
        { sharing: { $in: ['org', 'subtree'] }, orgPath: { $in: [...c.bankOrgs] } },
        { sharing: 'subtree', ownerOrgId: { $in: [...c.aboveBankOrgs] } },
      ],
    };
  }

  private mayAuthor(c: BankCaller, x: { orgPath: string[] }): boolean {
    return intersects(x.orgPath, c.authorOrgs);
  }

  private mayReview(c: BankCaller, x: { orgPath: string[] }): boolean {
    return intersects(x.orgPath, c.reviewerOrgs);
  }

  /** The key is for those who may write or review the item, not for every reader (key-access.ts). */
  private mayReadKey(c: BankCaller, x: { orgPath: string[] }): boolean {
    return mayReadKey(c.keyOrgs, x);
  }

  /** The organisation that will own a new item or stimulus, and the caller's right to write there. */
  private async resolveOwner(c: BankCaller, ownerOrgId: string | undefined): Promise<{ ownerOrgId: string; orgPath: string[] }> {
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    let orgId = ownerOrgId;
    if (orgId === undefined) {
      if (c.authorOrgs.size > 1) {
        throw new ValidationFailed('Say which organisation owns the item', [
          { instancePath: '/ownerOrgId', keyword: 'required', message: 'is required when you are an author at several organisations', params: { missingProperty: 'ownerOrgId' } },
        ]);
      }
      orgId = [...c.authorOrgs][0]!;
    }
    const orgPath = await this.orgs.pathOf(orgId);
    if (!orgPath) {
      throw new ValidationFailed('Unknown owner organisation', [{ instancePath: '/ownerOrgId', keyword: 'knownId', message: 'names no organisation' }]);
    }
    if (!intersects(orgPath, c.authorOrgs)) throw new Forbidden('You are not an author at that organisation or above it');
    return { ownerOrgId: orgId, orgPath };
  }

  /** A stimulus reference must name a passage the author can see. */
  private async checkStimulusRef(c: BankCaller, stimulusId: string | undefined): Promise<void> {
    if (stimulusId === undefined) return;
    const stimulus = await this.models.Stimulus.findById(stimulusId).lean();
    if (!stimulus || !this.canSee(c, stimulus)) {
      throw new ValidationFailed('Unknown stimulus', [{ instancePath: '/stimulusId', keyword: 'knownId', message: 'names no stimulus you can see' }]);
    }
  }

  // ------------------------------------------------------------------ views

  private view(c: BankCaller, head: ItemHead, rev: RevisionDoc, state: RevisionState): ItemView {
    const withKey = this.mayReadKey(c, head);
    const content = contentOf(rev as unknown as Record<string, unknown>);
    return {
      ...(withKey ? content : withoutKey(content)),
      id: head._id,
      revision: rev.revision,
      status: state.status,
      ownerOrgId: head.ownerOrgId,
      authorId: rev.authorId,
      createdAt: new Date(rev.createdAt).toISOString(),
      createdBy: head.authorId,
      latestRevision: head.revision,
      approvedRevision: head.approved?.revision ?? null,
      keyIncluded: withKey,
      ...(head.stats ? { stats: statsView(head.stats) } : {}),
      // Review comments are between authors and reviewers, like the key.
      ...(withKey ? reviewFields(head, state) : {}),
    };
  }

  private async visibleHead(c: BankCaller, id: string): Promise<ItemHead> {
    const head = await this.models.Item.findById(id).lean<ItemHead>();
    // An item the caller may not see is answered exactly like one that does not exist.
    if (!head || !this.canSee(c, head)) throw new NotFound('Item');
    return head;
  }

  /** Revision documents by `_id` (null: skip), from the index's cache where it has them. */
  private async revisionsById(revIds: (string | null)[]): Promise<(RevisionDoc | null)[]> {
    const wanted = revIds.filter((id): id is string => id !== null);
    const cached = this.index ? await this.index.cachedRevisions(wanted) : wanted.map(() => null);
    const byId = new Map<string, RevisionDoc | null>(wanted.map((id, i) => [id, cached[i] ?? null]));
    const missing = wanted.filter((id) => !byId.get(id));
    const read = await mapLimit(missing, READ_CONCURRENCY, (id) => this.models.ItemRevision.findById(id).lean<RevisionDoc>());
    missing.forEach((id, i) => byId.set(id, read[i] ?? null));
    await this.index?.cacheRevisions(read.filter((r): r is RevisionDoc => r !== null));
    return revIds.map((id) => (id === null ? null : byId.get(id) ?? null));
  }

  private async revisionDoc(itemId: string, revision: number): Promise<RevisionDoc | null> {
    return this.models.ItemRevision.findById(revisionId(itemId, revision)).lean<RevisionDoc>();
  }

  // ------------------------------------------------------------------ build

  /** The classification fields of a revision as the head stores them (`$set`) and clears them (`$unset`). */
  private headFields(item: ItemContent & { stimulusOrder?: number }) {
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

  private newDocs(authorId: string, owner: { ownerOrgId: string; orgPath: string[] }, input: ItemInput, now: Date) {
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
      ...this.headFields(content).set,
      approved: null,
    };
    return { head, rev, state };
  }

  private invalid(details: Detail[]): ValidationFailed {
    return new ValidationFailed('The item is not valid', details);
  }

  // ------------------------------------------------------------ write paths

  /** POST /api/items: a new item, revision 1, draft. */
  async create(principal: Principal, input: unknown): Promise<ItemView> {
    const c = await this.caller(principal);
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    const checked = checkItem(input);
    if (!checked.ok) throw this.invalid(checked.details);
    const owner = await this.resolveOwner(c, checked.value.ownerOrgId);
    await this.checkStimulusRef(c, checked.value.stimulusId);
    const { head, rev, state } = this.newDocs(c.id, owner, checked.value, new Date());
    // The revision first: a head is only ever written once its content is stored.
    await this.models.ItemRevision.collection.insertOne(rev as never);
    const nonce = await this.index?.begin([head._id]);
    try {
      await this.models.Item.collection.insertOne(head as never);
    } catch (err) {
      await this.models.ItemRevision.deleteOne({ _id: rev._id }).catch(() => {});
      throw err;
    }
    await this.index?.put([head], nonce);
    await this.index?.cacheRevisions([rev]);
    return this.view(c, head, rev, state);
  }

  /**
   * POST /api/items/bulk: up to 1,000 items. Each item is checked on its own and
   * answers with its id or its error; the valid ones are written in two
   * unordered insertMany calls (revisions, then heads), so one bad item never
   * stops the others and none is left half-stored.
   */
  async bulkCreate(principal: Principal, inputs: unknown[]): Promise<BulkResult[]> {
    const c = await this.caller(principal);
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    const results = new Array<BulkResult>(inputs.length);
    const owners = new Map<string, Promise<{ ownerOrgId: string; orgPath: string[] }>>();
    const stimuli = new Map<string, Promise<void>>();
    const ready: { index: number; head: ItemHead; rev: RevisionDoc }[] = [];
    const now = new Date();

    for (const [index, input] of inputs.entries()) {
      const checked = checkItem(input);
      if (!checked.ok) {
        results[index] = { index, error: errorBody(this.invalid(checked.details)) };
        continue;
      }
      try {
        const ownerKey = checked.value.ownerOrgId ?? '';
        let owner = owners.get(ownerKey);
        if (!owner) owners.set(ownerKey, (owner = this.resolveOwner(c, checked.value.ownerOrgId)));
        const stimulusId = checked.value.stimulusId;
        if (stimulusId !== undefined) {
          let ref = stimuli.get(stimulusId);
          if (!ref) stimuli.set(stimulusId, (ref = this.checkStimulusRef(c, stimulusId)));
          await ref;
        }
        const { head, rev } = this.newDocs(c.id, await owner, checked.value, now);
        ready.push({ index, head, rev });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        results[index] = { index, error: errorBody(err) };
      }
    }

    const stored = await this.insertEach(this.models.ItemRevision, ready.map((r) => r.rev));
    const withContent = ready.filter((_, i) => stored[i]);
    let headed: boolean[];
    const nonce = await this.index?.begin(withContent.map((r) => r.head._id));
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
    if (this.index && nonce !== undefined) {
      await this.index.put(withContent.filter((_, i) => headed[i]).map((r) => r.head), nonce);
      await this.index.cacheRevisions(withContent.filter((_, i) => headed[i]).map((r) => r.rev));
      await this.index.end(withContent.filter((_, i) => !headed[i]).map((r) => r.head._id), nonce);
    }
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
    const c = await this.caller(principal);
    let head = await this.visibleHead(c, id);
    if (!this.mayAuthor(c, head)) throw new Forbidden('Only authors of the owning organisation or above may edit this item');
    const base = body.revision;
    if (typeof base !== 'number' || !Number.isInteger(base)) {
      throw new ValidationFailed('Say which revision the edit is based on', [
        { instancePath: '/revision', keyword: 'required', message: 'must be the revision number the edit is based on', params: { missingProperty: 'revision' } },
      ]);
    }
    if (base !== head.revision) throw this.conflict(base, head.revision);

    const content: Record<string, unknown> = { ...body };
    for (const f of SERVER_FIELDS) delete content[f];
    if (content.ownerOrgId !== undefined && content.ownerOrgId !== head.ownerOrgId) {
      throw this.invalid([{ instancePath: '/ownerOrgId', keyword: 'const', message: 'cannot change; an item stays with the organisation that owns it' }]);
    }
    delete content.ownerOrgId;
    const checked = checkItem(content);
    if (!checked.ok) throw this.invalid(checked.details);
    await this.checkStimulusRef(c, checked.value.stimulusId);

    const now = new Date();
    const revision = base + 1;
    const rev = { ...checked.value, _id: revisionId(id, revision), itemId: id, revision, ownerOrgId: head.ownerOrgId, orgPath: head.orgPath, authorId: c.id, createdAt: now } as RevisionDoc;
    await this.insertRevision(rev, base);

    const state: RevisionState = { revision, status: 'draft', authorId: c.id, createdAt: now };
    const { set, unset } = this.headFields(checked.value);
    const nonce = await this.index?.begin([id]);
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
        throw this.conflict(base, fresh?.revision ?? base);
      }
      head = fresh;
    }
    await this.reindex(id, nonce);
    await this.index?.cacheRevisions([rev]);
    const stored = { ...head, ...set, revision, status: 'draft' as const, revs: [...head.revs, state] };
    return this.view(c, stored, rev, state);
  }

  private conflict(base: number, latest: number): Conflict {
    return new Conflict('revision_conflict', `The edit is based on revision ${base} but the latest is ${latest}; reload and apply the change again`, [
      { instancePath: '/revision', basedOn: base, latestRevision: latest },
    ]);
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
    const [existing, head] = await Promise.all([this.revisionDoc(rev.itemId, rev.revision), this.models.Item.findById(rev.itemId).lean<ItemHead>()]);
    const orphan = existing && head && head.revision === base && Date.now() - new Date(existing.createdAt).getTime() > ORPHAN_AGE_MS;
    if (!orphan) throw this.conflict(base, head?.revision ?? rev.revision);
    await this.models.ItemRevision.deleteOne({ _id: rev._id });
    try {
      await this.models.ItemRevision.collection.insertOne(rev as never);
    } catch (err) {
      if (isDuplicateKey(err)) throw this.conflict(base, rev.revision);
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
    const c = await this.caller(principal);
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

      const rev = await this.revisionDoc(id, r);
      if (!rev) throw new NotFound('Revision');
      const now = new Date();
      const event: StatusEvent = { from, to, at: now, by: c.id, ...(note ? { comment: note } : {}) };
      const next: RevisionState = { ...state, status: to, statusChangedAt: now, statusChangedBy: c.id, log: [...(state.log ?? []), event] };
      const set: Partial<ItemHead> = { revs: head.revs.map((s) => (s.revision === r ? next : s)), seq: head.seq + 1, updatedAt: now };
      if (r === head.revision) set.status = to;
      if (to === 'approved' && (!head.approved || head.approved.revision < r)) set.approved = approvedSummary(rev);
      if (to !== 'approved' && head.approved?.revision === r) set.approved = null;
      const nonce = await this.index?.begin([id]);
      const res = await this.models.Item.updateOne({ _id: id, seq: head.seq }, { $set: set });
      if (res.matchedCount === 1) {
        await this.reindex(id, nonce);
        return this.view(c, { ...head, ...set }, rev, next);
      }
      if (nonce !== undefined) await this.index?.end([id], nonce);
      // Someone else changed the item in between: decide again on what it is now.
    }
    throw new Conflict('revision_conflict', 'The item kept changing while the status was being set; reload and try again');
  }

  private assertMayTransition(c: BankCaller, head: ItemHead, state: RevisionState, from: ItemStatus, to: ItemStatus): void {
    if (from === 'draft') {
      if (!this.mayAuthor(c, head)) throw new Forbidden('Only an author of the owning organisation submits an item for review');
      return;
    }
    if (from === 'in_review') {
      if (!this.mayReview(c, head)) throw new Forbidden('Only a reviewer of the owning organisation or above reviews this item');
      if (state.authorId === c.id) throw new Forbidden('The author of a revision cannot review it; another reviewer must (four-eyes rule)');
      return;
    }
    if (!this.mayReview(c, head) && !intersects(head.orgPath, c.adminOrgs)) {
      throw new Forbidden('Only a reviewer or an administrator of the owning organisation retires an item');
    }
  }

  /**
   * Records item-analysis figures on the item itself. No new revision and no
   * review: statistics describe the candidates, not the content. Only the
   * explicit, audited write-back of an analysis calls this
   * (analysis-service.ts); `examId` and `examTitle` tell everyone who sees
   * the item where they came from. From then on {@link approvedPool}
   * reports `stats.difficulty` as the item's difficulty.
   * Returns false when there is no such item.
   */
  async setStatistics(itemId: string, stats: Omit<ItemStatistics, 'updatedAt'>): Promise<boolean> {
    if (stats.difficulty !== undefined && !(stats.difficulty >= 0 && stats.difficulty <= 1)) {
      throw new ValidationFailed('Difficulty is a share between 0 and 1', [{ instancePath: '/difficulty', keyword: 'maximum', message: 'must be between 0 and 1' }]);
    }
    // Only `stats` is written: workflow updates `$set` their own fields, so neither can undo the other.
    const nonce = await this.index?.begin([itemId]);
    const res = await this.models.Item.updateOne({ _id: itemId }, { $set: { stats: { ...stats, updatedAt: new Date() } } });
    if (res.matchedCount === 1) await this.reindex(itemId, nonce);
    else if (nonce !== undefined) await this.index?.end([itemId], nonce);
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
    const c = await this.caller(principal);
    const head = await this.models.Item.findById(id).lean<ItemHead>();
    if (!head) throw new NotFound('Item');
    const r = revision ?? head.revision;
    const state = head.revs.find((s) => s.revision === r);
    const rev = state ? await this.revisionDoc(id, r) : null;
    // A revision the caller may not see is answered like one that does not exist (and the item too, when that is hidden).
    if (!state || !rev || !this.canSeeRevision(c, head, rev)) throw new NotFound(this.canSee(c, head) ? 'Revision' : 'Item');
    return this.view(c, head, rev, state);
  }

  /** {@link canSee} with the revision's own sharing; its writer sees it too. */
  private canSeeRevision(c: BankCaller, head: ItemHead, rev: RevisionDoc): boolean {
    return rev.authorId === c.id || this.canSee(c, { authorId: head.authorId, sharing: rev.sharing ?? 'org', ownerOrgId: head.ownerOrgId, orgPath: head.orgPath });
  }

  /** The index keys of a search: the same conditions as {@link searchFilter}, as sets of ids. */
  indexQuery(c: BankCaller, query: Omit<SearchQuery, 'limit' | 'cursor'>): IndexQuery {
    const facets: string[] = [];
    if (query.subject !== undefined) facets.push(keyOf.subject(query.subject.normalize('NFC')));
    if (query.grade !== undefined) facets.push(keyOf.grade(query.grade));
    if (query.topic !== undefined) facets.push(keyOf.topic(query.topic));
    if (query.cognitiveLevel !== undefined) facets.push(keyOf.level(query.cognitiveLevel));
    if (query.type !== undefined) facets.push(keyOf.type(query.type));
    if (query.status !== undefined) facets.push(keyOf.status(query.status));
    if (query.tag !== undefined) facets.push(keyOf.tag(query.tag.normalize('NFC')));
    if (query.stimulusId !== undefined) facets.push(keyOf.stimulus(query.stimulusId));
    if (query.q !== undefined) for (const token of queryTokens(query.q)) facets.push(keyOf.token(token));
    const visible = [keyOf.creator(c.id), keyOf.national, ...[...c.bankOrgs].map(keyOf.onPath), ...[...c.aboveBankOrgs].map(keyOf.subtreeOf)];
    return { facets, visible };
  }

  /** The MongoDB filter of a search: what {@link search} runs (and what the benchmark sends straight to the database). */
  searchFilter(c: BankCaller, query: Omit<SearchQuery, 'limit'>): QueryFilter<ItemHead> {
    // Plain equalities stay top-level keys: query planners, and FerretDB's PostgreSQL pushdown, see them there.
    const filter: Record<string, unknown> = { ...this.visibilityFilter(c) };
    if (query.subject !== undefined) filter.subject = query.subject.normalize('NFC');
    if (query.grade !== undefined) filter.grade = query.grade;
    if (query.topic !== undefined) filter.topic = query.topic;
    if (query.cognitiveLevel !== undefined) filter.cognitiveLevel = query.cognitiveLevel;
    if (query.type !== undefined) filter.type = query.type;
    if (query.status !== undefined) filter.status = query.status;
    if (query.tag !== undefined) filter.tags = query.tag.normalize('NFC');
    if (query.stimulusId !== undefined) filter.stimulusId = query.stimulusId;
    if (query.q !== undefined) {
      const tokens = queryTokens(query.q);
      if (tokens.length) filter.tokens = { $all: tokens };
    }
    if (query.cursor !== undefined) filter._id = { $gt: decodeCursor(query.cursor) };
    return filter as QueryFilter<ItemHead>;
  }

  /**
   * GET /api/items: the latest revision of every visible item matching the
   * filters, in `_id` order (creation order), `limit` at a time. The cursor is
   * the last `_id` served, so items created or changed meanwhile never make a
   * page skip or repeat one.
   */
  async search(principal: Principal, query: SearchQuery, options: SearchOptions = {}): Promise<{ items: ItemView[]; nextCursor: string | null }> {
    const c = await this.caller(principal);
    const limit = query.limit ?? DEFAULT_PAGE;
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE)) {
      throw new ValidationFailed('limit is out of range', [{ instancePath: '/limit', keyword: 'maximum', message: `must be between 1 and ${MAX_PAGE}`, in: 'querystring' }]);
    }
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const ids = this.index && options.useIndex !== false ? await this.index.search(this.indexQuery(c, query), after, limit + 1) : null;
    if (ids) {
      // The index chooses the ids and answers with the heads as its last write
      // left them (the database's, milliseconds behind at most); revisions
      // never change, so they come from its cache. Only what it lacks is read
      // from the database, by `_id`. Visibility is checked again on what is shown.
      const pageIds = ids.slice(0, limit);
      const snapshots = (await this.index!.heads(pageIds)) ?? pageIds.map(() => null);
      const heads = await mapLimit(pageIds.map((id, i) => ({ id, snapshot: snapshots[i] ?? null })), READ_CONCURRENCY, async ({ id, snapshot }) =>
        snapshot ?? this.models.Item.findById(id, HEAD_LIST_PROJECTION).lean<ItemHead>(),
      );
      const revs = await this.revisionsById(heads.map((h) => (h ? revisionId(h._id, h.revision) : null)));
      const items: ItemView[] = [];
      heads.forEach((head, i) => {
        const rev = revs[i];
        const state = head?.revs.find((s) => s.revision === head.revision);
        if (head && rev && state && this.canSee(c, head)) items.push(this.view(c, head, rev, state));
      });
      return { items, nextCursor: ids.length > limit ? encodeCursor(ids[limit - 1]!) : null };
    }
    const filter = this.searchFilter(c, query);
    const heads = await this.models.Item.find(filter, HEAD_LIST_PROJECTION).sort({ _id: 1 }).limit(limit + 1).lean<ItemHead[]>();
    const page = heads.slice(0, limit);
    const revs = await mapLimit(page, READ_CONCURRENCY, (h) => this.revisionDoc(h._id, h.revision));
    const items: ItemView[] = [];
    page.forEach((head, i) => {
      const rev = revs[i];
      const state = head.revs.find((s) => s.revision === head.revision);
      if (rev && state) items.push(this.view(c, head, rev, state));
    });
    const nextCursor = heads.length > limit ? encodeCursor(page[page.length - 1]!._id) : null;
    return { items, nextCursor };
  }

  // ---------------------------------------------------------- BankReader

  /**
   * The latest approved revision of every item organisation `orgId` may use
   * for the cell: its own items shared `org` or wider, `subtree` items of its
   * ancestors, and `national` items; never `private` ones. Sorted by itemId,
   * key included. `difficulty` is item analysis' figure when there is one.
   * The ids come from {@link approvedPools}; the revisions are `_id` reads.
   */
  async approvedPool(filter: {
    orgId: string;
    subject: string;
    grade: number;
    type?: ItemType;
    topic: string;
    cognitiveLevel: CognitiveLevel;
  }): Promise<ItemRevision[]> {
    const [cards] = await this.approvedPools(filter.orgId, filter.subject, filter.grade, [
      { topic: filter.topic, cognitiveLevel: filter.cognitiveLevel, ...(filter.type ? { type: filter.type } : {}) },
    ]);
    const revs = await this.revisionsById(cards!.map((card) => revisionId(card.itemId, card.revision)));
    const pool = cards!.map((card, i) => {
      const rev = revs[i];
      if (!rev) return null;
      const item = toItemRevision(rev, 'approved');
      if (card.difficulty !== undefined) item.difficulty = card.difficulty;
      return item;
    });
    return pool.filter((x): x is ItemRevision => x !== null);
  }

  /**
   * The approved pools of many cells of one subject and grade, as the draw
   * takes them (PoolItem: ids, options' ids, stimulus, points, difficulty;
   * no stems, no keys): `result[i]` is the pool of `cells[i]`, sorted by item
   * id, with the visibility rule of {@link approvedPool}. Served by the search
   * index without touching the database; without a ready index, one database
   * query for all cells (on FerretDB 1.24 a scan of every head, so one instead of one per cell).
   */
  async approvedPools(orgId: string, subject: string, grade: number, cells: PoolCell[]): Promise<PoolItem[][]> {
    const path = await this.orgs.pathOf(orgId);
    if (!path || cells.length === 0) return cells.map(() => []);
    const indexed = this.index ? await this.index.pools(orgId, path, subject, grade, cells) : null;
    if (indexed) return indexed;
    const heads = await this.models.Item.find(
      {
        'approved.subject': subject,
        'approved.grade': grade,
        $and: [
          { $or: cells.map((c) => ({ 'approved.topic': c.topic, 'approved.cognitiveLevel': c.cognitiveLevel, ...(c.type ? { 'approved.type': c.type } : {}) })) },
          {
            $or: [
              { 'approved.sharing': 'national' },
              { 'approved.sharing': 'subtree', ownerOrgId: { $in: path } },
              { 'approved.sharing': 'org', ownerOrgId: orgId },
            ],
          },
        ],
      },
      { approved: 1, stats: 1, ownerOrgId: 1 },
    )
      .sort({ _id: 1 })
      .lean<Pick<ItemHead, '_id' | 'approved' | 'stats' | 'ownerOrgId'>[]>();
    const items = await mapLimit(heads, READ_CONCURRENCY, async (h) => {
      const a = h.approved!;
      let draw = a.draw;
      if (!draw) {
        // Approved before heads kept what the draw needs: read it from the revision.
        const rev = await this.revisionDoc(h._id, a.revision);
        if (!rev) return null;
        draw = drawFieldsOf(rev as unknown as RevisionDoc & Record<string, unknown>);
      }
      if (!usableBy(orgId, path, a.sharing, h.ownerOrgId)) return null;
      return { summary: a, item: poolItemOf(h._id, { r: a.revision, sh: a.sharing, o: h.ownerOrgId, y: a.type, ...draw }, h.stats?.difficulty) };
    });
    const found = items.filter((x): x is NonNullable<typeof x> => x !== null);
    return cells.map((c) =>
      found.filter(({ summary: s }) => s.topic === c.topic && s.cognitiveLevel === c.cognitiveLevel && (!c.type || s.type === c.type)).map((x) => x.item),
    );
  }

  /** Exact pinned revisions, key included, in the order asked; pairs that do not exist are absent. */
  async revisions(pins: { itemId: string; revision: number }[]): Promise<ItemRevision[]> {
    const itemIds = [...new Set(pins.map((p) => p.itemId))];
    const heads = new Map<string, ItemHead | null>();
    await mapLimit(itemIds, READ_CONCURRENCY, async (id) => heads.set(id, await this.models.Item.findById(id, { revs: 1 }).lean<ItemHead>()));
    const found = await mapLimit(pins, READ_CONCURRENCY, async (pin) => {
      const state = heads.get(pin.itemId)?.revs.find((s) => s.revision === pin.revision);
      const rev = state ? await this.revisionDoc(pin.itemId, pin.revision) : null;
      return rev && state ? toItemRevision(rev, state.status) : null;
    });
    return found.filter((x): x is ItemRevision => x !== null);
  }

  // --------------------------------------------------------------- stimuli

  /** POST /api/stimuli: a shared passage, owned like an item, `org`-shared unless said otherwise. */
  async createStimulus(principal: Principal, input: unknown): Promise<StimulusView> {
    const c = await this.caller(principal);
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    const checked = checkStimulus(input);
    if (!checked.ok) throw new ValidationFailed('The stimulus is not valid', checked.details);
    const { ownerOrgId: wanted, sharing, ...rest } = checked.value;
    const owner = await this.resolveOwner(c, wanted);
    const doc: StimulusDoc = { ...rest, _id: newId(), sharing: sharing ?? 'org', ownerOrgId: owner.ownerOrgId, orgPath: owner.orgPath, authorId: c.id, createdAt: new Date(), revision: 1 };
    await this.models.Stimulus.collection.insertOne(doc as never);
    await keepRevision(this.models, doc);
    return stimulusView(doc, []);
  }

  /** GET /api/stimuli/:id[?revision=N]: the passage (latest or that revision) and the items attached to it that the caller may see, in authored order. */
  async getStimulus(principal: Principal, id: string, revision?: number): Promise<StimulusView> {
    const c = await this.caller(principal);
    const head = await this.models.Stimulus.findById(id).lean<StimulusDoc>();
    if (!head || !this.canSee(c, head)) throw new NotFound('Stimulus');
    let doc = head;
    if (revision !== undefined && revision !== (head.revision ?? 1)) {
      const rev = await readRevision(this.models, id, revision, head);
      if (!rev) throw new NotFound('Revision');
      const { _id: _revisionId, stimulusId: _stimulusId, revision: number, authorId, createdAt, ...content } = rev;
      // Shown as it was then, on the head's bookkeeping: owner, first author and creation stay the passage's.
      doc = { ...content, _id: id, ownerOrgId: head.ownerOrgId, orgPath: head.orgPath, authorId: head.authorId, createdAt: head.createdAt, revision: number, updatedAt: createdAt, updatedBy: authorId };
    }
    const heads = await this.models.Item.find({ stimulusId: id }, { authorId: 1, sharing: 1, ownerOrgId: 1, orgPath: 1, revision: 1, status: 1, type: 1, stimulusOrder: 1 }).lean<ItemHead[]>();
    const items = heads
      .filter((h) => this.canSee(c, h))
      .sort((a, b) => (a.stimulusOrder ?? Number.MAX_SAFE_INTEGER) - (b.stimulusOrder ?? Number.MAX_SAFE_INTEGER) || (a._id < b._id ? -1 : 1))
      .map((h) => ({ id: h._id, revision: h.revision, status: h.status, type: h.type, ...(h.stimulusOrder !== undefined ? { stimulusOrder: h.stimulusOrder } : {}) }));
    return stimulusView(doc, items);
  }
}

/** A workflow step as the API answers it. */
export interface StatusEventView {
  from: ItemStatus;
  to: ItemStatus;
  at: string;
  by: string;
  comment?: string;
}

function eventView(e: StatusEvent): StatusEventView {
  return { from: e.from, to: e.to, at: new Date(e.at).toISOString(), by: e.by, ...(e.comment ? { comment: e.comment } : {}) };
}

/**
 * `statusLog`: the steps of the revision shown; `lastReview`: the newest
 * reviewer decision (approve or send back) on any revision of the item, so a
 * rewritten revision still carries the reason its predecessor was sent back.
 */
function reviewFields(head: ItemHead, state: RevisionState): { statusLog: StatusEventView[]; lastReview?: StatusEventView & { revision: number } } {
  let last: (StatusEvent & { revision: number }) | undefined;
  for (const r of head.revs ?? []) {
    for (const e of r.log ?? []) {
      if (e.from !== 'in_review') continue;
      if (!last || new Date(e.at).getTime() >= new Date(last.at).getTime()) last = { ...e, revision: r.revision };
    }
  }
  return {
    statusLog: (state.log ?? []).map(eventView),
    ...(last ? { lastReview: { ...eventView(last), revision: last.revision } } : {}),
  };
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

function toItemRevision(rev: RevisionDoc, status: ItemStatus): ItemRevision {
  const { _id, ...rest } = rev;
  return { ...rest, status, createdAt: new Date(rev.createdAt) } as ItemRevision;
}

function stimulusView(doc: StimulusDoc, items: StimulusView['items']): StimulusView {
  const { _id, orgPath: _path, createdAt, updatedAt, updatedBy: _by, revision, ...rest } = doc;
  // `revision` goes back with a PUT (stimulus-service.ts); passages never edited are at 1.
  return { ...rest, id: _id, createdAt: new Date(createdAt).toISOString(), revision: revision ?? 1, ...(updatedAt ? { updatedAt: new Date(updatedAt).toISOString() } : {}), items };
}
