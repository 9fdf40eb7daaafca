import type { StimulusSummary, StimulusView } from '../contracts/items.js';
import type { QueryFilter } from 'mongoose';
import { Conflict, Forbidden, NotFound, ValidationFailed } from '../errors.js';
import { newId } from '../ids.js';
import type { Principal } from '../orgs/access.js';
import { searchKey } from '../text/fold.js';
import type { BankAccess, BankCaller, Owner } from './bank-access.js';
import type { ContentMedia } from './content-media.js';
import type { BankModels, ItemHead, StimulusDoc } from './item-model.js';
import { checkStimulus, type StimulusInput } from './item-schemas.js';
import { decodeCursor, DEFAULT_PAGE, encodeCursor } from './paging.js';
import { keepRevision, readRevision } from './stimulus-revisions.js';

// A passage as the API answers it: the shared contract, dates as ISO strings.
export type { StimulusSummary, StimulusView } from '../contracts/items.js';

export interface StimulusQuery {
  subject?: string;
  grade?: number;
  topic?: string;
  tag?: string;
  /** Words of the title, all of them, in any order; case and Vietnamese diacritics do not matter. */
  q?: string;
  /** @defaultValue 50 */
  limit?: number;
  cursor?: string;
}

/** Fields of a passage answer that are the server's: a GET body can be PUT back as it is. */
const SERVER_FIELDS = ['id', 'revision', 'authorId', 'createdAt', 'updatedAt', 'updatedBy', 'items', 'orgPath'];

/** How many passages a title search reads at most for one page; the rest waits for the next cursor. */
const MAX_SCANNED = 5000;

export function stimulusSummary(doc: StimulusDoc): StimulusSummary {
  const { _id, orgPath: _path, createdAt, updatedAt, updatedBy: _by, revision, ...rest } = doc;
  return {
    ...rest,
    id: _id,
    createdAt: new Date(createdAt).toISOString(),
    revision: revision ?? 1,
    ...(updatedAt ? { updatedAt: new Date(updatedAt).toISOString() } : {}),
  };
}

function stimulusView(doc: StimulusDoc, items: StimulusView['items']): StimulusView {
  // `revision` goes back with a PUT; passages never edited are at 1.
  return { ...stimulusSummary(doc), items };
}

/**
 * Shared passages ("ngữ liệu"): writing, reading, listing and editing them.
 * Owned and shared like items, by the same rules (bank-access.ts).
 */
export class StimulusService {
  constructor(
    private readonly models: BankModels,
    private readonly access: BankAccess,
    /** The media library: `data:` images move into it before a revision is stored (content-media.ts). */
    private readonly media?: ContentMedia,
  ) {}

  /** The passage as it is stored: its inline images moved to the media library, which records what it shows. */
  private async withMedia(principal: Principal, doc: StimulusDoc): Promise<StimulusDoc> {
    if (!this.media) return doc;
    return this.media.attach(principal, { ownerOrgId: doc.ownerOrgId, orgPath: doc.orgPath }, { kind: 'stimulus', id: doc._id, revision: doc.revision ?? 1 }, doc);
  }

  /**
   * What {@link create} would store for this input, without writing: the
   * sanitised passage and its owner, or the error create would throw.
   */
  async check(principal: Principal, input: unknown): Promise<StimulusInput & { ownerOrgId: string }> {
    const c = await this.access.caller(principal);
    const { value, owner } = await this.checked(c, input);
    return { ...value, ownerOrgId: owner.ownerOrgId };
  }

  private async checked(c: BankCaller, input: unknown): Promise<{ value: StimulusInput; owner: Owner }> {
    if (c.authorOrgs.size === 0) throw new Forbidden('Only authors write to the question bank');
    const checked = checkStimulus(input);
    if (!checked.ok) throw new ValidationFailed('The stimulus is not valid', checked.details);
    return { value: checked.value, owner: await this.access.resolveOwner(c, checked.value.ownerOrgId) };
  }

  /** POST /api/stimuli: a shared passage, owned like an item, `org`-shared unless said otherwise. */
  async create(principal: Principal, input: unknown): Promise<StimulusView> {
    const c = await this.access.caller(principal);
    const { value, owner } = await this.checked(c, input);
    const { ownerOrgId: _wanted, sharing, ...rest } = value;
    const doc = await this.withMedia(principal, { ...rest, _id: newId(), sharing: sharing ?? 'org', ownerOrgId: owner.ownerOrgId, orgPath: owner.orgPath, authorId: c.id, createdAt: new Date(), revision: 1 });
    await this.models.Stimulus.collection.insertOne(doc as never);
    await keepRevision(this.models, doc);
    return stimulusView(doc, []);
  }

  /** GET /api/stimuli/:id[?revision=N]: the passage (latest or that revision) and the items attached to it that the caller may see, in authored order. */
  async get(principal: Principal, id: string, revision?: number): Promise<StimulusView> {
    const c = await this.access.caller(principal);
    const head = await this.models.Stimulus.findById(id).lean<StimulusDoc>();
    if (!head || !this.access.canSee(c, head)) throw new NotFound('Stimulus');
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
      .filter((h) => this.access.canSee(c, h))
      .sort((a, b) => (a.stimulusOrder ?? Number.MAX_SAFE_INTEGER) - (b.stimulusOrder ?? Number.MAX_SAFE_INTEGER) || (a._id < b._id ? -1 : 1))
      .map((h) => ({ id: h._id, revision: h.revision, status: h.status, type: h.type, ...(h.stimulusOrder !== undefined ? { stimulusOrder: h.stimulusOrder } : {}) }));
    return stimulusView(doc, items);
  }

  /** GET /api/stimuli: the passages the caller may see, in creation order, `limit` at a time. */
  async list(principal: Principal, query: StimulusQuery): Promise<{ stimuli: StimulusSummary[]; nextCursor: string | null }> {
    const c = await this.access.caller(principal);
    const limit = query.limit ?? DEFAULT_PAGE;
    const filter: Record<string, unknown> = { ...this.access.visibilityFilter(c) };
    if (query.subject !== undefined) filter.subject = query.subject.normalize('NFC');
    if (query.grade !== undefined) filter.grade = query.grade;
    if (query.topic !== undefined) filter.topic = query.topic;
    if (query.tag !== undefined) filter.tags = query.tag.normalize('NFC');
    if (query.cursor !== undefined) filter._id = { $gt: decodeCursor(query.cursor) };
    // Every word typed must appear in the title, in any order: "thu do doan van" finds "Đoạn văn về Thủ đô".
    const wanted = query.q ? searchKey(query.q).split(/[^\p{L}\p{N}]+/u).filter(Boolean) : [];
    const found: StimulusDoc[] = [];
    let last: string | null = null;
    let scanned = 0;
    let more = false;
    // Titles are few words and passages few compared with items: the title match is done here, not indexed.
    const cursor = this.models.Stimulus.find(filter as QueryFilter<StimulusDoc>).sort({ _id: 1 }).lean<StimulusDoc>().cursor();
    try {
      for await (const doc of cursor) {
        scanned++;
        if (found.length === limit) {
          more = true;
          break;
        }
        last = doc._id;
        const title = wanted.length ? searchKey(doc.title) : '';
        if (wanted.every((w) => title.includes(w))) found.push(doc);
        if (scanned >= MAX_SCANNED) {
          more = true;
          break;
        }
      }
    } finally {
      await cursor.close();
    }
    return { stimuli: found.map(stimulusSummary), nextCursor: more && last ? encodeCursor(last) : null };
  }

  /**
   * PUT /api/stimuli/:id: the whole passage again, with the `revision` it was
   * based on; stored as the next revision, the earlier ones kept. Once an
   * item using the passage is approved the passage is part of reviewed
   * content and stays as it is (409 stimulus_in_use): write a new passage.
   * Forms pin the revision they were assembled with, so an edit after the
   * item is retired never changes a paper already assembled.
   */
  async update(principal: Principal, id: string, body: Record<string, unknown>): Promise<StimulusSummary> {
    const c = await this.access.caller(principal);
    const doc = await this.models.Stimulus.findById(id).lean<StimulusDoc>();
    if (!doc || !this.access.canSee(c, doc)) throw new NotFound('Stimulus');
    if (!this.access.mayAuthor(c, doc)) throw new Forbidden('Only authors of the owning organisation or above may edit this passage');
    const base = body.revision;
    if (typeof base !== 'number' || !Number.isInteger(base)) {
      throw new ValidationFailed('Say which revision of the passage the edit is based on', [
        { instancePath: '/revision', keyword: 'required', message: 'must be the revision number the edit is based on', params: { missingProperty: 'revision' } },
      ]);
    }
    const current = doc.revision ?? 1;
    if (base !== current) {
      throw new Conflict('revision_conflict', `The edit is based on revision ${base} but the passage is at revision ${current}; reload and apply the change again`, [
        { instancePath: '/revision', basedOn: base, latestRevision: current },
      ]);
    }
    const content: Record<string, unknown> = { ...body };
    for (const f of SERVER_FIELDS) delete content[f];
    if (content.ownerOrgId !== undefined && content.ownerOrgId !== doc.ownerOrgId) {
      throw new ValidationFailed('The passage is not valid', [{ instancePath: '/ownerOrgId', keyword: 'const', message: 'cannot change; a passage stays with the organisation that owns it' }]);
    }
    delete content.ownerOrgId;
    const checked = checkStimulus(content);
    if (!checked.ok) throw new ValidationFailed('The passage is not valid', checked.details);
    const inUse = await this.models.Item.findOne({ stimulusId: id, approved: { $ne: null } }, { _id: 1 }).lean<Pick<ItemHead, '_id'>>();
    if (inUse) {
      throw new Conflict('stimulus_in_use', 'An approved item uses this passage, so it can no longer change; write a new passage instead', [{ itemId: inUse._id }]);
    }
    const { sharing, ...rest } = checked.value;
    const now = new Date();
    const next = await this.withMedia(principal, {
      _id: doc._id,
      ...rest,
      sharing: sharing ?? doc.sharing,
      ownerOrgId: doc.ownerOrgId,
      orgPath: doc.orgPath,
      authorId: doc.authorId,
      createdAt: doc.createdAt,
      revision: current + 1,
      updatedAt: now,
      updatedBy: c.id,
    });
    // The revision being replaced is saved first, so a crash between the steps never loses it.
    await keepRevision(this.models, doc);
    // The whole document is replaced on the condition that nobody else wrote in between.
    const res = await this.models.Stimulus.collection.replaceOne({ _id: id, ...(doc.revision === undefined ? { revision: { $exists: false } } : { revision: current }) } as never, next as never);
    if (res.matchedCount !== 1) throw new Conflict('revision_conflict', 'Someone else changed the passage meanwhile; reload and apply the change again');
    // Until this is written the head itself serves the new revision (readRevision).
    await keepRevision(this.models, next);
    return stimulusSummary(next);
  }

}
