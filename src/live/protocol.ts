/**
 * The frames of WebSocket `/ws` (docs/architecture.md, "The live exam socket") as the server parses
 * and sends them, and the close codes it uses.
 */
import { EVENT_KINDS, type EventKind } from '../attempts/attempt-model.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../validation.js';

/** Largest frame the server reads; larger ones get an `error` frame and are dropped. */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * Close codes. 1xxx are WebSocket standard codes after which the client
 * reconnects; 44xx mean "do not come back with the same join" (the browser
 * client treats them as final).
 */
export const CLOSE = {
  /** After an `ended` frame (submitted, time_up, replaced, closed). */
  normal: 1000,
  /** The server process is shutting down: reconnect (to another process). */
  goingAway: 1001,
  /** A frame larger than the transport limit (ws closes by itself). */
  tooBig: 1009,
  /** Durable writes keep failing: reconnect and resume from the database. */
  serverError: 1011,
  /** The first frame was not a well-formed join. */
  badJoin: 4400,
  /** No join within 5 s, or the token is missing, expired, forged or revoked. */
  unauthenticated: 4401,
  /** The user is not a candidate of this exam. */
  forbidden: 4403,
  /** No such exam, or it is not published. */
  notFound: 4404,
  /** The exam window is not open (before opensAt, or at/after closesAt with no attempt). */
  notOpen: 4409,
  /** The socket kept sending far above the rate limit. */
  flood: 4429,
} as const;

export type ClientFrame =
  | { type: 'join'; token: string; examId: string }
  | { type: 'answer'; seq: number; itemId: string; response: unknown }
  | { type: 'flag'; seq: number; itemId: string; flagged: boolean }
  | { type: 'event'; seq: number; kind: EventKind }
  | { type: 'submit'; seq: number }
  /** Additive to API.md: the candidate starts the recording of an item (its `audio`); acknowledged before playback starts, refused past `maxPlays`. */
  | { type: 'play'; seq: number; itemId: string }
  | { type: 'ping' };

/** A frame that carries a seq and goes to the log. */
export type SeqFrame = Extract<ClientFrame, { seq: number }>;

export interface ProtocolError {
  code: string;
  message: string;
}

export type ServerMessage =
  | {
      type: 'state';
      attemptId: string;
      formCode: string;
      items: readonly unknown[];
      answers: Record<string, unknown>;
      flags: string[];
      lastSeq: number;
      endsAt: string;
      serverNow: string;
      /** Additive to API.md: the passages items name by `stimulusId`, `{id, title?, content}`, never a key. Absent when none. */
      stimuli?: readonly unknown[];
      /** Additive to API.md: how many times each item's recording was started (`play` frames stored), by item id. Absent when none. */
      plays?: Record<string, number>;
      /**
       * Additive to API.md, adaptive exams only: `{current, given, maxItems}`. `items` then
       * holds only the items given so far, the current one (awaiting its answer) last.
       */
      adaptive?: { current: string | null; given: number; maxItems: number };
    }
  /**
   * Additive to API.md, adaptive exams only: the next item, sent after the `ack` of the
   * answer to the previous one (chosen only once that answer was stored).
   */
  | { type: 'item'; item: unknown; position: number; stimuli?: readonly unknown[]; adaptive: { current: string | null; given: number; maxItems: number } }
  | { type: 'ack'; seq: number }
  | { type: 'nack'; seq: number; error: ProtocolError }
  | { type: 'time'; endsAt: string; serverNow: string }
  | { type: 'submitted'; attemptId: string; at: string }
  /** `cause: 'revoked'`: the user's session was revoked (logout, password change, role removal, deactivation). */
  | { type: 'ended'; reason: EndReason; cause?: 'revoked' }
  | { type: 'error'; error: ProtocolError }
  /**
   * Additive to API.md: this process is shutting down (a rolling restart).
   * The client reconnects at once, through the balancer, to another
   * process; the socket then closes with 1001.
   */
  | { type: 'reconnect'; reason: 'draining' }
  | { type: 'pong' };

export type EndReason = 'time_up' | 'submitted' | 'replaced' | 'closed';

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  /** `seq` is set when the frame had a usable one: the answer is a nack, else an error frame. */
  | { ok: false; seq?: number; error: ProtocolError };

const EVENT_KIND_SET: ReadonlySet<string> = new Set(EVENT_KINDS);
const ID_MAX = 64;

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

function bad(message: string, seq?: number, code = 'validation_failed'): ParseResult {
  return seq === undefined ? { ok: false, error: { code, message } } : { ok: false, seq, error: { code, message } };
}

/** Parses one text frame. Never throws. */
export function parseClientFrame(text: string): ParseResult {
  if (jsonTooDeep(text)) return bad(`Frames nest at most ${MAX_JSON_DEPTH} levels deep`, undefined, 'bad_request');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('The frame is not JSON', undefined, 'bad_request');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('A frame is a JSON object', undefined, 'bad_request');
  const v = value as Record<string, unknown>;
  const seq = isSeq(v.seq) ? v.seq : undefined;
  switch (v.type) {
    case 'join':
      if (typeof v.token !== 'string' || v.token.length === 0 || v.token.length > 4096) return bad('join needs a token');
      if (typeof v.examId !== 'string' || v.examId.length === 0 || v.examId.length > ID_MAX) return bad('join needs an examId');
      return { ok: true, frame: { type: 'join', token: v.token, examId: v.examId } };
    case 'ping':
      return { ok: true, frame: { type: 'ping' } };
    case 'answer':
    case 'flag':
    case 'event':
    case 'play':
    case 'submit': {
      if (seq === undefined) return bad('seq must be a positive integer');
      if (v.type === 'submit') return { ok: true, frame: { type: 'submit', seq } };
      if (v.type === 'event') {
        if (typeof v.kind !== 'string' || !EVENT_KIND_SET.has(v.kind)) return bad(`kind must be one of ${EVENT_KINDS.join(', ')}`, seq);
        return { ok: true, frame: { type: 'event', seq, kind: v.kind as EventKind } };
      }
      if (typeof v.itemId !== 'string' || v.itemId.length === 0 || v.itemId.length > ID_MAX) return bad('itemId must be a string', seq);
      if (v.type === 'play') return { ok: true, frame: { type: 'play', seq, itemId: v.itemId } };
      if (v.type === 'flag') {
        if (typeof v.flagged !== 'boolean') return bad('flagged must be true or false', seq);
        return { ok: true, frame: { type: 'flag', seq, itemId: v.itemId, flagged: v.flagged } };
      }
      return { ok: true, frame: { type: 'answer', seq, itemId: v.itemId, response: v.response } };
    }
    default:
      return bad(typeof v.type === 'string' ? `Unknown frame type "${v.type.slice(0, 40)}"` : 'A frame needs a type', seq, 'unknown_type');
  }
}

/**
 * Per-socket flood limit: a token bucket. The default lets a candidate burst
 * 50 frames (a reconnect flushing its outbox) and sustain 20 per second.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity = 50,
    private readonly perSecond = 20,
    now = performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  take(now = performance.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
