import { Schema, type Connection, type Model } from 'mongoose';
import type { ResultStatus } from '../grading/result-model.js';

/** What `source` says on every record this engine writes. */
export const SECTOR_SOURCE = 'exam-engine';

/**
 * One graded attempt in the sector database (docs/architecture.md, "Sector
 * database"): collection `exam_results`, keyed by the attempt id.
 * Only a newer `version` replaces an older one.
 */
export interface SectorRecord {
  /** The attempt id. */
  _id: string;
  studentId: string | null;
  schoolOrgId: string;
  /** Ancestor organisation ids, root first, ending with schoolOrgId. */
  orgPath: string[];
  examId: string;
  examTitle: string;
  subject: string;
  grade: number;
  formCode: string;
  score: number;
  maxScore: number;
  score10: number;
  status: ResultStatus;
  gradedAt: Date;
  version: number;
  source: string;
}

const sectorSchema = new Schema<SectorRecord>(
  {
    _id: { type: String, required: true },
    studentId: { type: String, default: null },
    schoolOrgId: { type: String, required: true },
    orgPath: { type: [String], required: true },
    examId: { type: String, required: true },
    examTitle: { type: String, required: true },
    subject: { type: String, required: true },
    grade: { type: Number, required: true },
    formCode: { type: String, required: true },
    score: { type: Number, required: true },
    maxScore: { type: Number, required: true },
    score10: { type: Number, required: true },
    status: { type: String, required: true },
    gradedAt: { type: Date, required: true },
    version: { type: Number, required: true },
    source: { type: String, required: true },
  },
  { versionKey: false },
);
// Readers of the sector database look results up by exam, by school subtree and by student.
sectorSchema.index({ examId: 1 });
sectorSchema.index({ orgPath: 1 });
sectorSchema.index({ studentId: 1 });

export type SectorModel = Model<SectorRecord>;

/** The model on the sector database connection (never the main one). */
export function createSectorModel(conn: Connection): SectorModel {
  return conn.model<SectorRecord>('SectorResult', sectorSchema, 'exam_results');
}
