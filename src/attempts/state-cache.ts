/**
 * The live state of an attempt as cached in Redis (src/live/presence.ts, `live:st:`):
 * what a resume needs — the attempt's facts and the fold of its log up to
 * entry `n` — so that joining reads nothing from MongoDB in the usual case.
 */
import type { SubmitReason } from './attempt-model.js';
import type { AttemptInfo, LiveState } from './replay.js';

interface Encoded {
  v: 1;
  info: Omit<AttemptInfo, 'startedAt' | 'closesAt'> & { startedAt: string; closesAt: string };
  /** Log position of the snapshot on the attempt document (sessions write a new one every so often). */
  cpN: number;
  n: number;
  lastSeq: number;
  answers: Record<string, unknown>;
  flags: string[];
  eventCounts: LiveState['eventCounts'];
  extraMinutes: number;
  gen: number;
  /** Absent in states cached before joins were counted. */
  joins?: number;
  /** Absent when no recording was played. */
  plays?: Record<string, number>;
  submitted: { at: string; reason: SubmitReason; n: number } | null;
  lastFrameAt: string | null;
}

export function encodeState(info: AttemptInfo, state: LiveState, cpN: number): string {
  const e: Encoded = {
    v: 1,
    info: { ...info, startedAt: info.startedAt.toISOString(), closesAt: info.closesAt.toISOString() },
    cpN,
    n: state.n,
    lastSeq: state.lastSeq,
    answers: Object.fromEntries(state.answers),
    flags: [...state.flags],
    eventCounts: state.eventCounts,
    extraMinutes: state.extraMinutes,
    gen: state.gen,
    joins: state.joins,
    ...(state.plays.size ? { plays: Object.fromEntries(state.plays) } : {}),
    submitted: state.submitted ? { at: state.submitted.at.toISOString(), reason: state.submitted.reason, n: state.submitted.n } : null,
    lastFrameAt: state.lastFrameAt?.toISOString() ?? null,
  };
  return JSON.stringify(e);
}

/** The cached state, or null when the text is not one this version wrote. */
export function decodeState(json: string, n: number): { info: AttemptInfo; state: LiveState; cpN: number } | null {
  let e: Encoded;
  try {
    e = JSON.parse(json) as Encoded;
  } catch {
    return null;
  }
  if (e?.v !== 1 || e.n !== n || !e.info || typeof e.info.attemptId !== 'string') return null;
  return {
    info: { ...e.info, startedAt: new Date(e.info.startedAt), closesAt: new Date(e.info.closesAt) },
    cpN: e.cpN,
    state: {
      n: e.n,
      lastSeq: e.lastSeq,
      answers: new Map(Object.entries(e.answers)),
      flags: new Set(e.flags),
      eventCounts: { ...e.eventCounts },
      extraMinutes: e.extraMinutes,
      gen: e.gen,
      joins: e.joins ?? 0,
      plays: new Map(Object.entries(e.plays ?? {})),
      submitted: e.submitted ? { at: new Date(e.submitted.at), reason: e.submitted.reason, n: e.submitted.n } : null,
      lastFrameAt: e.lastFrameAt ? new Date(e.lastFrameAt) : null,
    },
  };
}
