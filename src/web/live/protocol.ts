/**
 * The frames of the live exam WebSocket `/ws` (docs/architecture.md, "The live exam socket"), as the
 * browser sees them.
 */
import type { CandidateItem, ItemResponse } from '../items/types.js';

export type EventKind = 'blur' | 'focus' | 'fullscreen_exit' | 'paste' | 'offline';

/** A client frame before it gets its `seq`. */
export type FrameBody =
  | { type: 'answer'; itemId: string; response: ItemResponse | null }
  | { type: 'flag'; itemId: string; flagged: boolean }
  | { type: 'event'; kind: EventKind }
  /** Start of the item's recording: counted by the server before playback starts. */
  | { type: 'play'; itemId: string }
  | { type: 'submit' };

/** A client frame as sent and as kept in the outbox. */
export type SeqFrame = FrameBody & { seq: number };

export interface ProtocolError {
  code: string;
  message: string;
}

export interface StateMessage {
  type: 'state';
  attemptId: string;
  formCode: string;
  items: CandidateItem[];
  answers: Record<string, ItemResponse | null>;
  flags: string[];
  lastSeq: number;
  endsAt: string;
  serverNow: string;
  /**
   * The shared passages of the form's items (an item names its passage by
   * `stimulusId`), as the form pinned them: the text only, never a key. Absent
   * when no item has one.
   */
  stimuli?: CandidateStimulus[];
  /** Plays of each item's recording so far, by item id. Absent when none. */
  plays?: Record<string, number>;
  /** Adaptive exams only: `items` then holds the items given so far, the current one last. */
  adaptive?: AdaptiveSummary;
}

/** Where a candidate stands in an adaptive exam. */
export interface AdaptiveSummary {
  /** The item awaiting an answer; null once the test has ended. */
  current: string | null;
  /** Items given so far, the current one included. */
  given: number;
  maxItems: number;
}

/** Adaptive exams: the next item, sent after the ack of the answer to the previous one. */
export interface ItemMessage {
  type: 'item';
  item: CandidateItem;
  position: number;
  stimuli?: CandidateStimulus[];
  adaptive: AdaptiveSummary;
}

/** A shared passage ("đoạn văn / ngữ liệu") as a candidate receives it. */
export interface CandidateStimulus {
  id: string;
  title?: string;
  /** HTML subset with maths, like a stem. */
  content: string;
}
export interface AckMessage {
  type: 'ack';
  seq: number;
}
export interface NackMessage {
  type: 'nack';
  seq: number;
  error: ProtocolError;
}
export interface TimeMessage {
  type: 'time';
  endsAt: string;
  serverNow: string;
}
export interface SubmittedMessage {
  type: 'submitted';
  attemptId: string;
  at: string;
}
export type EndReason = 'time_up' | 'submitted' | 'replaced' | 'closed';
export interface EndedMessage {
  type: 'ended';
  reason: EndReason;
  /** `revoked`: the user's session ended (logout elsewhere, password change, deactivation). */
  cause?: 'revoked';
}
export interface ErrorMessage {
  type: 'error';
  error: ProtocolError;
}
export interface PongMessage {
  type: 'pong';
}
/** The server is shutting down (a rolling restart): reconnect at once, to another process. */
export interface ReconnectMessage {
  type: 'reconnect';
  reason: 'draining';
}

export type ServerMessage = StateMessage | AckMessage | NackMessage | TimeMessage | SubmittedMessage | EndedMessage | ErrorMessage | PongMessage | ReconnectMessage | ItemMessage;

const SERVER_TYPES = new Set(['state', 'ack', 'nack', 'time', 'submitted', 'ended', 'error', 'pong', 'reconnect', 'item']);

/** Parses a server frame; anything unknown or malformed is null (and ignored). */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && SERVER_TYPES.has(type) ? (value as ServerMessage) : null;
}
