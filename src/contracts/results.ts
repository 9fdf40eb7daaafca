/**
 * The results contract shared by the server and the browser: an exam's result
 * rows and its push counts to the sector database.
 * Browser-safe: no Node or server imports.
 */

/** `pending_manual`: an essay waits for a person. */
export const RESULT_STATUSES = ['graded', 'pending_manual'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

/** One graded attempt as GET /api/exams/:id/results answers it. */
export interface ResultRow {
  candidateId: string;
  studentId: string | null;
  displayName: string;
  attemptId: string;
  formCode: string;
  score: number;
  maxScore: number;
  score10: number;
  status: ResultStatus;
  gradedAt: string;
  version: number;
  /** Adaptive exams: the ability estimate θ (logits) and its standard error. */
  theta?: number;
  se?: number;
}

/** Push counts of one exam (GET /api/exams/:id/sector-sync). */
export interface SectorSync {
  pushed: number;
  pending: number;
  failed: number;
}
