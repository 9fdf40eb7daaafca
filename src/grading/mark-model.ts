import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../ids.js';

export const MARK_KINDS = ['graded', 'pushed', 'failed'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/**
 * The push state of results, in the main database, written by inserts only.
 * One document records one event for a set of (attempt, version) pairs —
 * `graded` when grading stores those versions, `pushed` when the sector
 * database holds them, `failed` when their push gave up after the last
 * retry. An attempt counts as pushed when its current (highest graded)
 * version is pushed, failed when that version failed and was not pushed
 * since, and pending otherwise (see `markLevels`).
 *
 * A set per batch rather than a document per attempt because on FerretDB
 * every document costs a fixed share of CPU to write and to read back:
 * marking 100,000 results graded and pushed is 400 small inserts, and
 * counting them (GET /api/exams/:id/sector-sync) reads 400 documents, not
 * 200,000. The same event recorded twice (a retried job) is harmless: only
 * the highest version of each kind counts.
 */
export interface SectorMark {
  _id: string;
  examId: string;
  kind: MarkKind;
  at: Date;
  /** The attempts of this event, with `versions` at the same index (arrays of scalars: cheap on FerretDB). */
  attemptIds: string[];
  versions: number[];
  error?: string;
}

/** A mark as older builds wrote it: one document per (attempt, version, event); still counted. */
interface SingleMark {
  _id: string;
  examId: string;
  kind: MarkKind;
  attemptId: string;
  version: number;
}

/** The mark of one event for these results. */
export function markOf(kind: MarkKind, examId: string, results: readonly { _id: string; version: number }[], at: Date, error?: string): SectorMark {
  const mark: SectorMark = { _id: `${kind}:${newId()}`, examId, kind, at, attemptIds: results.map((r) => r._id), versions: results.map((r) => r.version) };
  if (error !== undefined) mark.error = error;
  return mark;
}

/** One mark per exam of the results (a batch almost always holds one exam). */
export function marksOf(kind: MarkKind, results: readonly { _id: string; examId: string; version: number }[], at: Date, error?: string): SectorMark[] {
  const byExam = new Map<string, { _id: string; version: number }[]>();
  for (const r of results) {
    const list = byExam.get(r.examId) ?? [];
    list.push(r);
    byExam.set(r.examId, list);
  }
  return [...byExam].map(([examId, list]) => markOf(kind, examId, list, at, error));
}

/** The highest version of each kind of mark, per attempt. */
export interface MarkLevel {
  graded: number;
  pushed: number;
  failed: number;
}

/** Mark levels of every attempt of the exam that has any mark: one query on the small marks collection. */
export async function markLevels(SectorMark: SectorMarkModel, examId: string): Promise<Map<string, MarkLevel>> {
  const marks = await SectorMark.find({ examId }, { kind: 1, attemptIds: 1, versions: 1, attemptId: 1, version: 1 }).lean<(Partial<SectorMark> & Partial<SingleMark> & { kind: MarkKind })[]>();
  const per = new Map<string, MarkLevel>();
  const raise = (attemptId: string, kind: MarkKind, version: number) => {
    let level = per.get(attemptId);
    if (!level) per.set(attemptId, (level = { graded: 0, pushed: 0, failed: 0 }));
    if (version > level[kind]) level[kind] = version;
  };
  for (const m of marks) {
    if (Array.isArray(m.attemptIds) && Array.isArray(m.versions)) m.attemptIds.forEach((id, i) => raise(id, m.kind, Number(m.versions![i])));
    else if (typeof m.attemptId === 'string' && typeof m.version === 'number') raise(m.attemptId, m.kind, m.version);
  }
  return per;
}

/** Where one attempt stands with the sector database, from its mark levels; null when it was never graded. */
export function pushState(level: MarkLevel): 'pushed' | 'pending' | 'failed' | null {
  if (level.graded === 0) return null;
  return level.pushed >= level.graded ? 'pushed' : level.failed >= level.graded ? 'failed' : 'pending';
}

const markSchema = new Schema<SectorMark>(
  {
    _id: { type: String, required: true },
    examId: { type: String, required: true },
    kind: { type: String, enum: MARK_KINDS, required: true },
    at: { type: Date, required: true },
    attemptIds: { type: [String], default: [] },
    versions: { type: [Number], default: [] },
    error: { type: String },
  },
  { versionKey: false },
);
markSchema.index({ examId: 1 });

export type SectorMarkModel = Model<SectorMark>;

export function createSectorMarkModel(conn: Connection): SectorMarkModel {
  return (conn.models.SectorMark as SectorMarkModel | undefined) ?? conn.model<SectorMark>('SectorMark', markSchema, 'sector_marks');
}
