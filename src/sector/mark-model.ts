import { Schema, type Connection, type Model } from 'mongoose';

export const MARK_KINDS = ['graded', 'pushed', 'failed'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/**
 * The push state of results, in the main database: one small document per
 * (attempt, version, event), written by inserts only —
 * `graded` when grading stores that version, `pushed` when the sector
 * database holds it, `failed` when its push gave up after the last retry.
 * An attempt counts as pushed when its current (highest graded) version is
 * pushed, failed when that version failed and was not pushed since, and
 * pending otherwise.
 *
 * Inserts rather than a state field on the result because on FerretDB each
 * update statement costs a transaction of its own and a batch of inserts
 * costs one: marking 100,000 results pushed is 200 inserts, not 100,000 updates.
 */
export interface SectorMark {
  /** `${attemptId}:${version}:${kind}` — a second identical mark is a duplicate key, not a second row. */
  _id: string;
  examId: string;
  attemptId: string;
  version: number;
  kind: MarkKind;
  at: Date;
  error?: string;
}

export function markId(attemptId: string, version: number, kind: MarkKind): string {
  return `${attemptId}:${version}:${kind}`;
}

const markSchema = new Schema<SectorMark>(
  {
    _id: { type: String, required: true },
    examId: { type: String, required: true },
    attemptId: { type: String, required: true },
    version: { type: Number, required: true },
    kind: { type: String, enum: MARK_KINDS, required: true },
    at: { type: Date, required: true },
    error: { type: String },
  },
  { versionKey: false },
);
markSchema.index({ examId: 1 });

export type SectorMarkModel = Model<SectorMark>;

export function createSectorMarkModel(conn: Connection): SectorMarkModel {
  return (conn.models.SectorMark as SectorMarkModel | undefined) ?? conn.model<SectorMark>('SectorMark', markSchema, 'sector_marks');
}
