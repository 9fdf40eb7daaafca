/**
 * Frames the server has not acknowledged yet, kept in localStorage so that
 * neither a dropped connection nor a page reload loses an answer. The seq
 * counter lives here too: it keeps rising across reloads of the same attempt.
 *
 * Frames leave the outbox on `ack` (durably stored) or `nack` (refused: a
 * resend cannot help). After a reconnect the server's `lastSeq` says what it
 * already applied; those frames are dropped and the rest are sent again in
 * order.
 */
import type { FrameBody, SeqFrame } from './protocol.js';

interface Stored {
  v: 1;
  attemptId: string | null;
  nextSeq: number;
  frames: SeqFrame[];
}

function defaultStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function isStored(value: unknown): value is Stored {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<Stored>;
  return v.v === 1 && Number.isInteger(v.nextSeq) && Array.isArray(v.frames) && v.frames.every((f) => f && typeof f === 'object' && Number.isInteger(f.seq));
}

export class Outbox {
  private data: Stored = { v: 1, attemptId: null, nextSeq: 1, frames: [] };
  /** Seqs pushed but not yet handed to any socket (only these may be coalesced). */
  private readonly unsent = new Set<number>();
  /** False after localStorage refused a write (full or blocked): frames then live in memory only. */
  persisted = true;

  /** The storage key of one candidate's attempt at one exam (one attempt per candidate and exam). */
  static keyFor(userId: string, examId: string): string {
    return `exam-engine:outbox:${userId}:${examId}`;
  }

  constructor(
    readonly key: string,
    private readonly storage: Storage | null = defaultStorage(),
  ) {
    try {
      const raw = storage?.getItem(key);
      const value: unknown = raw ? JSON.parse(raw) : null;
      if (isStored(value)) this.data = value;
    } catch {
      // Unreadable: start empty rather than fail the exam page.
    }
  }

  get nextSeq(): number {
    return this.data.nextSeq;
  }

  get attemptId(): string | null {
    return this.data.attemptId;
  }

  /** Unacknowledged frames, oldest first. */
  pending(): readonly SeqFrame[] {
    return this.data.frames;
  }

  /**
   * Gives `body` the next seq and stores it. An answer replacing the answer
   * to the same item at the tail, not yet sent, takes over that frame's seq
   * instead: typing offline must not fill localStorage with every keystroke.
   */
  push(body: FrameBody): SeqFrame {
    const tail = this.data.frames.at(-1);
    if (body.type === 'answer' && tail?.type === 'answer' && tail.itemId === body.itemId && this.unsent.has(tail.seq)) {
      tail.response = body.response;
      this.save();
      return tail;
    }
    const frame = { ...body, seq: this.data.nextSeq++ } as SeqFrame;
    this.data.frames.push(frame);
    this.unsent.add(frame.seq);
    this.save();
    return frame;
  }

  /** Marks a frame as handed to a socket: from now on only the server's answer removes it. */
  markSent(seq: number): void {
    this.unsent.delete(seq);
  }

  /** Removes frame `seq` (after its ack or nack) and returns it. */
  remove(seq: number): SeqFrame | undefined {
    const index = this.data.frames.findIndex((f) => f.seq === seq);
    if (index < 0) return undefined;
    const [frame] = this.data.frames.splice(index, 1);
    this.unsent.delete(seq);
    this.save();
    return frame;
  }

  /**
   * Applies a `state`: frames at or below `lastSeq` are already applied;
   * the counter continues above it. Frames of another attempt are discarded.
   */
  reconcile(lastSeq: number, attemptId: string): void {
    if (this.data.attemptId !== null && this.data.attemptId !== attemptId) this.data.frames = [];
    this.data.attemptId = attemptId;
    const applied = Number.isFinite(lastSeq) ? lastSeq : 0;
    this.data.frames = this.data.frames.filter((f) => f.seq > applied);
    this.data.nextSeq = Math.max(this.data.nextSeq, applied + 1);
    this.save();
  }

  /** Drops every frame (the attempt is over) and says how many there were. */
  clear(): number {
    const count = this.data.frames.length;
    this.data.frames = [];
    this.unsent.clear();
    this.save();
    return count;
  }

  private save(): void {
    if (!this.storage) {
      this.persisted = false;
      return;
    }
    try {
      this.storage.setItem(this.key, JSON.stringify(this.data));
      this.persisted = true;
    } catch {
      this.persisted = false;
    }
  }
}
