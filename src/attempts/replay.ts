/**
 * The live state of an attempt as a pure fold over its log: a checkpoint plus
 * the entries after it. Every process (API sessions, the deadline worker,
 * extensions) computes state the same way from the same entries.
 */
import { emptyCheckpoint, type Attempt, type Checkpoint, type EventCounts, type SubmitReason } from './attempt-model.js';
import type { LogEntry } from './log-model.js';

export interface LiveState {
  /** Position of the last entry applied. */
  n: number;
  /** Highest client seq applied. */
  lastSeq: number;
  /** Latest response per item (a `null` response clears the item). */
  answers: Map<string, unknown>;
  flags: Set<string>;
  eventCounts: EventCounts;
  extraMinutes: number;
  /** Highest join generation seen: the connection that owns the attempt now. */
  gen: number;
  /** Join entries applied: the first connection and every reload or reconnect after it. */
  joins: number;
  /** Times each item's recording was started, by item id. */
  plays: Map<string, number>;
  submitted: { at: Date; reason: SubmitReason; n: number } | null;
  /** Time of the last client frame applied. */
  lastFrameAt: Date | null;
}

export function stateFromCheckpoint(cp: Checkpoint | undefined | null): LiveState {
  const c = cp ?? emptyCheckpoint();
  return {
    n: c.n,
    lastSeq: c.lastSeq,
    answers: new Map(Object.entries(c.answers ?? {})),
    flags: new Set(c.flags ?? []),
    eventCounts: { ...(c.eventCounts ?? {}) },
    extraMinutes: c.extraMinutes ?? 0,
    gen: 0,
    joins: c.joins ?? 0,
    plays: new Map(Object.entries(c.plays ?? {})),
    submitted: null,
    lastFrameAt: null,
  };
}

export function toCheckpoint(state: LiveState): Checkpoint {
  return {
    n: state.n,
    lastSeq: state.lastSeq,
    answers: Object.fromEntries(state.answers),
    flags: [...state.flags],
    eventCounts: { ...state.eventCounts },
    extraMinutes: state.extraMinutes,
    joins: state.joins,
    ...(state.plays.size ? { plays: Object.fromEntries(state.plays) } : {}),
  };
}

/**
 * Applies one entry. Entries must come in log order (n = state.n + 1).
 * Nothing after a submit changes the state: a writer always reads the entry
 * before the one it writes, so none should exist, and the hand-in is final.
 */
export function applyEntry(state: LiveState, entry: Pick<LogEntry, 'n' | 'frames' | 'gen'>): void {
  state.n = entry.n;
  // Any entry of a connection shows that connection had joined: the highest generation owns the attempt.
  state.gen = Math.max(state.gen, entry.gen);
  if (state.submitted) return;
  for (const f of entry.frames) {
    switch (f.type) {
      case 'answer':
        if (f.response === null) state.answers.delete(f.itemId);
        else state.answers.set(f.itemId, f.response);
        break;
      case 'flag':
        if (f.flagged) state.flags.add(f.itemId);
        else state.flags.delete(f.itemId);
        break;
      case 'event':
        state.eventCounts[f.kind] = (state.eventCounts[f.kind] ?? 0) + 1;
        break;
      case 'play':
        state.plays.set(f.itemId, (state.plays.get(f.itemId) ?? 0) + 1);
        break;
      case 'submit':
        state.submitted = { at: new Date(f.at), reason: f.reason, n: entry.n };
        break;
      case 'join':
        state.gen = Math.max(state.gen, f.gen);
        state.joins++;
        break;
      case 'extend':
        state.extraMinutes += f.extraMinutes;
        break;
    }
    if ('seq' in f && typeof f.seq === 'number') {
      state.lastSeq = Math.max(state.lastSeq, f.seq);
      state.lastFrameAt = new Date(f.at);
    }
    if (state.submitted) return;
  }
}

/** The deadline of an attempt: min(startedAt + durationMinutes + extensions, closesAt). */
export function computeEndsAt(startedAt: Date, durationMinutes: number, extraMinutes: number, closesAt: Date): Date {
  return new Date(Math.min(startedAt.getTime() + (durationMinutes + extraMinutes) * 60_000, closesAt.getTime()));
}

/** The facts of an attempt that never change once it exists (what a session and a hand-in need). */
export interface AttemptInfo {
  attemptId: string;
  examId: string;
  candidateId: string;
  formCode: string;
  startedAt: Date;
  durationMinutes: number;
  closesAt: Date;
}

export function infoOf(doc: Pick<Attempt, '_id' | 'examId' | 'candidateId' | 'formCode' | 'startedAt' | 'durationMinutes' | 'closesAt'>): AttemptInfo {
  return {
    attemptId: doc._id,
    examId: doc.examId,
    candidateId: doc.candidateId,
    formCode: doc.formCode,
    startedAt: new Date(doc.startedAt),
    durationMinutes: doc.durationMinutes,
    closesAt: new Date(doc.closesAt),
  };
}

/** The attempt's deadline in this state (extensions included). */
export function endsAtOf(info: Pick<AttemptInfo, 'startedAt' | 'durationMinutes' | 'closesAt'>, state: Pick<LiveState, 'extraMinutes'>): Date {
  return computeEndsAt(info.startedAt, info.durationMinutes, state.extraMinutes, info.closesAt);
}
