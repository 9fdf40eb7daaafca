import { Schema, type Connection, type Model } from 'mongoose';
import type { NewStimulus } from '../contracts/items.js';
import type { CognitiveLevel, ItemContent, ItemStatistics, ItemStatus, ItemType, Sharing } from './item-types.js';

/**
 * The bank in three collections:
 *
 * - `items`: one head per item. It holds what changes — the workflow status of
 *   every revision, which revision is the latest and which the latest
 *   approved — plus the latest revision's classification and search tokens,
 *   so that lists and search are one indexed `find`. Every workflow change is
 *   one conditional update of this document (`{_id, seq}`), so two reviewers
 *   or two editors can never interleave.
 * - `item_revisions`: the content of each revision, written once and never
 *   changed. `_id` is `${itemId}:${revision}`: the unique `_id` makes a second
 *   PUT on the same base revision fail, and an exam's pin `(itemId, revision)`
 *   is a point read, which FerretDB 1.24 serves from its primary key (it
 *   pushes no other filter down to SQLite).
 * - `stimuli`: shared passages, one head each holding the latest revision.
 * - `stimulus_revisions`: every revision of a passage, written once and never
 *   changed (`_id` `${stimulusId}:${revision}`); forms pin `(stimulusId,
 *   stimulusRevision)`, so an edit never changes a paper already assembled.
 */

/** Workflow state of one revision, kept on the head. */
export interface RevisionState {
  revision: number;
  status: ItemStatus;
  /** Who wrote this revision: the one person who may not approve it. */
  authorId: string;
  createdAt: Date;
  statusChangedAt?: Date;
  statusChangedBy?: string;
  /** Every workflow step this revision took, oldest first, with the comment given (a reviewer's reason for sending it back). */
  log?: StatusEvent[];
}

/** One workflow step of a revision: who moved it from what to what, when, and why. */
export interface StatusEvent {
  from: ItemStatus;
  to: ItemStatus;
  at: Date;
  by: string;
  comment?: string;
}

/** Classification of the latest approved revision: what form assembly filters on. */
export interface ApprovedSummary {
  revision: number;
  sharing: Sharing;
  type: ItemType;
  subject: string;
  grade: number;
  topic: string;
  cognitiveLevel: CognitiveLevel;
  /** What form assembly draws with (see search-index.ts); absent on heads approved before it was kept here. */
  draw?: DrawFields;
}

/**
 * The approved revision as form assembly needs it: no stem, no key. Kept on
 * the head so that assembly reads no revision documents (see PoolItem in
 * src/assembly/assembler.ts, which these fields must match).
 */
export interface DrawFields {
  points?: number;
  shuffleOptions?: boolean;
  /** The authored difficulty; item analysis' `stats.difficulty` wins over it. */
  difficulty?: number;
  stimulusId?: string;
  stimulusOrder?: number;
  options?: { id: string; fixed?: boolean }[];
  choices?: { id: string }[];
  elements?: { id: string }[];
}

export interface ItemHead {
  _id: string;
  ownerOrgId: string;
  /** Ancestors of the owner organisation, root first, ending with ownerOrgId. */
  orgPath: string[];
  /** Who created the item; `private` items are theirs alone. */
  authorId: string;
  createdAt: Date;
  updatedAt: Date;
  /** Bumped by every workflow change; the guard of conditional updates. */
  seq: number;
  /** The latest revision and its status. */
  revision: number;
  status: ItemStatus;
  revs: RevisionState[];
  // Classification of the latest revision, for lists and search.
  sharing: Sharing;
  type: ItemType;
  subject: string;
  grade: number;
  topic: string;
  cognitiveLevel: CognitiveLevel;
  tags: string[];
  language: 'vi' | 'en';
  stimulusId?: string;
  stimulusOrder?: number;
  /** Folded words of the latest revision's stem and options (see search-tokens.ts). */
  tokens: string[];
  approved: ApprovedSummary | null;
  stats?: ItemStatistics;
}

/** One stored revision: its content plus who wrote it when. The status lives on the head. */
export type RevisionDoc = ItemContent & {
  _id: string;
  itemId: string;
  revision: number;
  ownerOrgId: string;
  orgPath: string[];
  authorId: string;
  createdAt: Date;
  stimulusOrder?: number;
};

/** A stored passage: the contract's fields (NewStimulus) and what the bank keeps beside them. */
export interface StimulusDoc extends Omit<NewStimulus, 'sharing'> {
  _id: string;
  sharing: Sharing;
  ownerOrgId: string;
  orgPath: string[];
  authorId: string;
  createdAt: Date;
  /** Bumped by every PUT, the guard against two editors overwriting each other. Absent on passages stored before revisions were numbered (1). */
  revision?: number;
  updatedAt?: Date;
  updatedBy?: string;
}

/** One revision of a passage as it read then; `authorId`/`createdAt` are this revision's writer and time. */
export type StimulusRevisionDoc = Omit<StimulusDoc, 'revision' | 'updatedAt' | 'updatedBy'> & {
  stimulusId: string;
  revision: number;
};

export const revisionId = (itemId: string, revision: number) => `${itemId}:${revision}`;

const statusEventSchema = new Schema<StatusEvent>(
  {
    from: { type: String, required: true },
    to: { type: String, required: true },
    at: { type: Date, required: true },
    by: { type: String, required: true },
    comment: String,
  },
  { _id: false },
);

const revisionStateSchema = new Schema<RevisionState>(
  {
    revision: { type: Number, required: true },
    status: { type: String, required: true },
    authorId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    statusChangedAt: Date,
    statusChangedBy: String,
    log: { type: [statusEventSchema], default: undefined },
  },
  { _id: false },
);

const itemSchema = new Schema<ItemHead>(
  {
    _id: { type: String, required: true },
    ownerOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true },
    authorId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    seq: { type: Number, required: true },
    revision: { type: Number, required: true },
    status: { type: String, required: true },
    revs: { type: [revisionStateSchema], default: [] },
    sharing: { type: String, required: true },
    type: { type: String, required: true },
    subject: { type: String, required: true },
    grade: { type: Number, required: true },
    topic: { type: String, required: true },
    cognitiveLevel: { type: Number, required: true },
    tags: { type: [String], default: [] },
    language: { type: String, required: true },
    stimulusId: String,
    stimulusOrder: Number,
    tokens: { type: [String], default: [] },
    approved: { type: Schema.Types.Mixed, default: null },
    stats: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);
// Few indexes on purpose: on FerretDB's SQLite backend each one costs every
// insert a JSON parse of the document, while only _id lookups use an index there.
// These serve MongoDB: q search, the filtered list, form assembly, a stimulus' items.
// Visibility is left to the filter: its $or of four branches narrows less than any of these.
itemSchema.index({ tokens: 1, _id: 1 });
itemSchema.index({ subject: 1, grade: 1, topic: 1, cognitiveLevel: 1, _id: 1 });
itemSchema.index({ 'approved.subject': 1, 'approved.grade': 1, 'approved.topic': 1, 'approved.cognitiveLevel': 1 });
itemSchema.index({ stimulusId: 1 }, { sparse: true });

// Content differs per item type and is validated by question-schemas/, not by mongoose.
const revisionSchema = new Schema<RevisionDoc>(
  {
    _id: { type: String, required: true },
    itemId: { type: String, required: true },
    revision: { type: Number, required: true },
    ownerOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true },
    authorId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: false },
);

const stimulusSchema = new Schema<StimulusDoc>(
  {
    _id: { type: String, required: true },
    title: { type: String, required: true },
    content: { type: String, required: true },
    subject: { type: String, required: true },
    grade: Number,
    topic: String,
    language: String,
    tags: [String],
    sharing: { type: String, required: true },
    ownerOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true },
    authorId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revision: Number,
    updatedAt: Date,
    updatedBy: String,
  },
  { versionKey: false },
);

// Content is the passage as stimulus.json validated it; only the bookkeeping is declared.
const stimulusRevisionSchema = new Schema<StimulusRevisionDoc>(
  {
    _id: { type: String, required: true },
    stimulusId: { type: String, required: true },
    revision: { type: Number, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: false },
);

export type ItemModel = Model<ItemHead>;
export type ItemRevisionModel = Model<RevisionDoc>;
export type StimulusModel = Model<StimulusDoc>;
export type StimulusRevisionModel = Model<StimulusRevisionDoc>;

export interface BankModels {
  Item: ItemModel;
  ItemRevision: ItemRevisionModel;
  Stimulus: StimulusModel;
  StimulusRevision: StimulusRevisionModel;
}

export function createBankModels(conn: Connection): BankModels {
  return {
    Item: conn.model<ItemHead>('Item', itemSchema, 'items'),
    ItemRevision: conn.model<RevisionDoc>('ItemRevision', revisionSchema, 'item_revisions'),
    Stimulus: conn.model<StimulusDoc>('Stimulus', stimulusSchema, 'stimuli'),
    StimulusRevision: conn.model<StimulusRevisionDoc>('StimulusRevision', stimulusRevisionSchema, 'stimulus_revisions'),
  };
}
