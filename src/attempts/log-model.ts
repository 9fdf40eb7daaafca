import { Schema, type Connection, type Model } from 'mongoose';
import type { EventKind, SubmitReason } from './attempt-model.js';

/** A client frame as stored: what was sent, with the time the server received it. */
export type LogFrame =
  | { type: 'answer'; seq: number; itemId: string; response: unknown; at: Date }
  | { type: 'flag'; seq: number; itemId: string; flagged: boolean; at: Date }
  | { type: 'event'; seq: number; kind: EventKind; at: Date }
  /** The candidate started the recording of an item (stored before playback starts; the count limits further plays). */
  | { type: 'play'; seq: number; itemId: string; at: Date }
  | { type: 'submit'; seq?: number; reason: SubmitReason; at: Date }
  /** A connection took the attempt over; every older connection is replaced from here on. */
  | { type: 'join'; gen: number; at: Date }
  /** Extra time granted by a proctor or exam manager. */
  | { type: 'extend'; extraMinutes: number; by: string; at: Date };

/**
 * One entry of an attempt's append-only log: the response history, integrity
 * events, joins, extensions and the hand-in, in the order they took effect.
 *
 * Entries are numbered densely from 1 and `_id` is `<attemptId>:<n>` (n
 * zero-padded), so:
 * - writing entry n+1 is a compare-and-set: of two writers racing for the
 *   same position, exactly one insert succeeds and the other gets a duplicate
 *   key and must read what won before trying again (this is how a replaced
 *   tab, an extension and the deadline job are ordered without transactions);
 * - resuming reads entries n+1, n+2, ... by `_id` until one is missing;
 * - a retried write of the same entry is idempotent.
 *
 * One entry carries every frame of one attempt that one group commit wrote,
 * in seq order, so the frames of a batch apply atomically.
 */
export interface LogEntry {
  _id: string;
  attemptId: string;
  examId: string;
  n: number;
  /** The connection (or `system:<who>`) that wrote it. */
  conn: string;
  /** Generation of that connection: a later join has a higher one; 0 for system writes. */
  gen: number;
  at: Date;
  frames: LogFrame[];
}

export function logEntryId(attemptId: string, n: number): string {
  return `${attemptId}:${String(n).padStart(7, '0')}`;
}

const logSchema = new Schema<LogEntry>(
  {
    _id: { type: String, required: true },
    attemptId: { type: String, required: true },
    examId: { type: String, required: true },
    n: { type: Number, required: true },
    conn: { type: String, required: true },
    gen: { type: Number, required: true },
    at: { type: Date, required: true },
    frames: { type: Schema.Types.Mixed, required: true },
  },
  // Entries are written with the driver (group commit) and never updated.
  { versionKey: false, minimize: false },
);

export type AttemptLogModel = Model<LogEntry>;

export function createAttemptLogModel(conn: Connection): AttemptLogModel {
  return conn.model<LogEntry>('AttemptLog', logSchema, 'attempt_log');
}
