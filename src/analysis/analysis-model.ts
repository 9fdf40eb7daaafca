import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The cached item analysis of one exam (collection `analyses`, `_id` = exam
 * id). It is valid while the exam's grades still have the fingerprint it was
 * computed from (see AnalysisService.fingerprint); reading it is one
 * primary-key read, the lookup FerretDB serves from an index.
 */
export interface StoredAnalysis {
  /** The exam id. */
  _id: string;
  fingerprint: string;
  computedAt: Date;
  durationMs: number;
  /**
   * The report as JSON text. Option ids become object keys in the report, and
   * an id may be any string an author typed (a dot, a leading `$`), which is
   * not a safe field name in a stored document.
   */
  report: string;
}

const analysisSchema = new Schema<StoredAnalysis>(
  {
    _id: { type: String, required: true },
    fingerprint: { type: String, required: true },
    computedAt: { type: Date, required: true },
    durationMs: { type: Number, required: true },
    report: { type: String, required: true },
  },
  { versionKey: false },
);

export type AnalysisModel = Model<StoredAnalysis>;

export function createAnalysisModel(conn: Connection): AnalysisModel {
  return conn.model<StoredAnalysis>('Analysis', analysisSchema, 'analyses');
}
