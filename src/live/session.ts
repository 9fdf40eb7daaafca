/**
 * One candidate socket after a successful join: checks each frame, hands
 * accepted ones to the group commit, and acknowledges a frame only once the
 * log entry carrying it is stored. No Fastify and no ws in here: the socket
 * is a {@link SessionTransport}, so the rules can be exercised directly.
 *
 * Ordering: a session has at most one log entry in flight. Frames arriving
 * meanwhile wait and go, in seq order, into the next entry, which is formed
 * when the group commit flushes — so frames of one attempt in one batch are
 * one entry, applied atomically and in order.
 */
import type { CandidateItem, FormDelivery } from '../exams/candidate-form.js';
import { validateResponse } from '../grading/responses.js';
import type { SubmitReason } from '../attempts/attempt-model.js';
import type { CommitOutcome } from '../attempts/group-commit.js';
import { CHECKPOINT_EVERY, STATE_CACHE_EVERY, type LiveService } from './live-service.js';
import type { LogEntry, LogFrame } from '../attempts/log-model.js';
import type { PresenceMessage } from './presence.js';
import { CLOSE, type EndReason, type SeqFrame, type ServerMessage } from './protocol.js';
import { applyEntry, endsAtOf, type AttemptInfo, type LiveState } from '../attempts/replay.js';
import { AdaptiveAttempt } from './adaptive-session.js';

export interface SessionTransport {
  send(msg: ServerMessage): void;
  /** Sends an already serialised message (a Buffer holds its UTF-8 text; it still goes as a text frame). */
  sendRaw(text: string | Buffer): void;
  close(code: number, reason: string): void;
}

export interface SessionOptions {
  /** After the deadline, how long to wait for the deadline job before submitting from here, in ms. */
  fallbackMs: number;
  /** Give up and close (the client reconnects) after durable writes failed this long, in ms. @defaultValue 30000 */
  failTimeoutMs?: number;
  /** Largest total response size in one log entry, in bytes. @defaultValue 4 MiB */
  maxEntryBytes?: number;
  onAck?: (latencySeconds: number, answers: number) => void;
  /** Called once when the session is over (ended, replaced or the socket closed). */
  onDone?: (session: LiveSession) => void;
}

interface Pending {
  frame: LogFrame;
  /** The client's seq, acknowledged once stored; 0 for a frame the server adds (an adaptive test's hand-in), never acknowledged. */
  seq: number;
  /** Frames the server stores in the same entry right after this one (the hand-in when this answer ends an adaptive test). */
  extra?: LogFrame[];
  /** performance.now() when the frame arrived. */
  rx: number;
  bytes: number;
}

const serialisedItems = new WeakMap<readonly CandidateItem[], Buffer>();

/**
 * The items of a form as UTF-8 JSON, encoded once: they are the bulk of every
 * `state`, and encoding them per join (then measuring the bytes for the frame
 * header) was an eighth of the API's CPU in a join storm.
 */
function itemsJson(items: readonly CandidateItem[]): Buffer {
  let json = serialisedItems.get(items);
  if (json === undefined) {
    json = Buffer.from(JSON.stringify(items), 'utf8');
    serialisedItems.set(items, json);
  }
  return json;
}

const ITEMS_PLACEHOLDER = '"items":[]';

/** `{"type":"ack","seq":n}` without a JSON.stringify per acknowledged frame (seq is a safe integer). */
function ackText(seq: number): string {
  return `{"type":"ack","seq":${seq}}`;
}

/** Longest single timer; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LiveSession {
  readonly attemptId: string;
  private readonly state: LiveState;
  private endsAt: Date;
  private pending: Pending[] = [];
  private inflight: Pending[] | null = null;
  private readonly seqsWaiting = new Set<number>();
  private maxSeq: number;
  private submitQueued = false;
  private done = false;
  /** Set when the session must end once the entry in flight is settled. */
  private endAfterFlight: { reason: EndReason; submitted?: { at: string } } | null = null;
  private checkpointN: number;
  /** Log position of the state last handed to the Redis cache. */
  private cachedN: number;
  private failingSince: number | null = null;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  /** An adaptive exam's attempt: the engine's state derived from the answers (adaptive-session.ts); null for a fixed form. */
  private readonly adaptive: AdaptiveAttempt | null;

  constructor(
    private readonly service: LiveService,
    private readonly transport: SessionTransport,
    readonly info: AttemptInfo,
    state: LiveState,
    checkpointN: number,
    private readonly form: FormDelivery,
    /** Connection id: `<process>:<n>`. */
    readonly conn: string,
    readonly gen: number,
    private readonly opts: SessionOptions,
  ) {
    this.attemptId = info.attemptId;
    this.state = state;
    this.endsAt = endsAtOf(info, state);
    this.maxSeq = state.lastSeq;
    this.checkpointN = checkpointN;
    this.cachedN = state.n;
    this.adaptive = form.adaptive ? new AdaptiveAttempt(form, info.attemptId, state.answers) : null;
  }

  get closed(): boolean {
    return this.done;
  }

  /** Sends `state` and arms the deadline fallback. */
  start(): void {
    if (this.adaptive) return this.startAdaptive();
    const msg = this.stateMessage([], this.form.stimuli, () => true);
    // The items of a form are the same for all its candidates: serialise them once.
    const text = JSON.stringify(msg);
    const at = text.indexOf(ITEMS_PLACEHOLDER) + ITEMS_PLACEHOLDER.length - 2;
    this.transport.sendRaw(Buffer.concat([Buffer.from(text.slice(0, at), 'utf8'), itemsJson(this.form.items), Buffer.from(text.slice(at + 2), 'utf8')]));
    this.armDeadline();
    this.publishLive(true);
    this.cache();
  }

  /**
   * An adaptive attempt's `state`: only the items already given and the
   * current one, never the pool. A test whose stopping rule was met without
   * its hand-in being stored (a pool exhausted) is handed in now.
   */
  private startAdaptive(): void {
    const a = this.adaptive!;
    const view = a.view();
    this.transport.send({ ...this.stateMessage(view.items, view.stimuli, (id) => a.presented(id)), adaptive: view.summary });
    this.armDeadline();
    this.publishLive(true);
    this.cache();
    if (a.finished && !this.state.submitted) this.handInFinished();
  }

  /**
   * The one `state` message of both modes: the items and passages the
   * candidate may see, and what was stored of theirs (answers, flags, plays),
   * flags and plays kept to the items `shown` (an adaptive test's given ones).
   */
  private stateMessage(items: readonly unknown[], stimuli: readonly unknown[], shown: (authoredId: string) => boolean): Extract<ServerMessage, { type: 'state' }> {
    const s = this.state;
    const plays = [...s.plays].filter(([id]) => shown(id));
    return {
      type: 'state',
      attemptId: this.attemptId,
      formCode: this.info.formCode,
      items,
      // Stored in authored ids; the candidate knows only the form's delivered ones.
      answers: this.form.ids.answersToDelivered(s.answers),
      flags: [...s.flags].filter(shown),
      lastSeq: s.lastSeq,
      endsAt: this.endsAt.toISOString(),
      serverNow: new Date().toISOString(),
      ...(stimuli.length ? { stimuli } : {}),
      // The recordings' plays: the limit survives a reconnect.
      ...(plays.length ? { plays: Object.fromEntries(plays) } : {}),
    };
  }

  /** The stopping rule ended the test: store the hand-in (no client seq, nothing to acknowledge). */
  private handInFinished(): void {
    if (this.submitQueued || this.state.submitted) return;
    this.submitQueued = true;
    this.pending.push({ frame: { type: 'submit', reason: 'completed', at: new Date() }, seq: 0, rx: performance.now(), bytes: 64 });
    this.kick();
  }

  // ------------------------------------------------------------ frames

  handle(frame: SeqFrame, rx: number): void {
    if (this.done) return;
    const seq = frame.seq;
    if (seq <= this.state.lastSeq) {
      // Already stored (a resend after a lost ack): acknowledge again, apply nothing.
      this.transport.sendRaw(ackText(seq));
      return;
    }
    if (this.seqsWaiting.has(seq)) return; // its ack comes with its entry
    if (seq <= this.maxSeq) return this.nack(seq, 'validation_failed', 'seq must rise with every frame; this one was already refused');
    this.maxSeq = seq;
    if (this.endAfterFlight?.reason === 'time_up') return this.nack(seq, 'time_up', 'The time is up');
    if (this.submitQueued || this.state.submitted || this.endAfterFlight) return this.nack(seq, 'already_submitted', 'The attempt has been handed in');
    if (Date.now() >= this.endsAt.getTime()) return this.nack(seq, 'time_up', 'The time is up');
    const at = new Date();
    let logFrame: Pending['frame'];
    let bytes = 64;
    let extra: LogFrame[] | undefined;
    if (this.adaptive && (frame.type === 'answer' || frame.type === 'flag' || frame.type === 'play')) {
      // Before anything reads the pool: an item not given yet is unknown, whether or not it is in the pool.
      const refused = this.adaptive.refuse(frame.type, frame.itemId);
      if (refused) return this.nack(seq, refused.code, refused.message);
    }
    switch (frame.type) {
      case 'answer': {
        const item = this.form.content.get(frame.itemId);
        if (!item) return this.nack(seq, 'unknown_item', 'That item is not on your form');
        // Into authored ids before anything else looks at it: the log, grading and analysis never see a delivered id.
        const authored = this.form.ids.toAuthored(frame.itemId, frame.response);
        if (!authored.ok) return this.nack(seq, 'validation_failed', authored.message);
        const response = authored.response;
        const check = validateResponse(item, response);
        if (!check.ok) return this.nack(seq, 'validation_failed', check.message);
        if (this.adaptive) {
          if (response === null) return this.nack(seq, 'validation_failed', 'An item of an adaptive test needs an answer');
          // The answer closes the item. If it meets the stopping rule, the hand-in goes into the same log entry.
          if (this.adaptive.answer(response)) {
            this.submitQueued = true;
            extra = [{ type: 'submit', reason: 'completed', at }];
          }
        }
        logFrame = { type: 'answer', seq, itemId: frame.itemId, response, at };
        bytes += typeof response === 'string' ? response.length * 3 : JSON.stringify(response).length;
        break;
      }
      case 'flag':
        if (!this.form.content.has(frame.itemId)) return this.nack(seq, 'unknown_item', 'That item is not on your form');
        logFrame = { type: 'flag', seq, itemId: frame.itemId, flagged: frame.flagged, at };
        break;
      case 'event':
        logFrame = { type: 'event', seq, kind: frame.kind, at };
        break;
      case 'play': {
        const item = this.form.content.get(frame.itemId);
        if (!item) return this.nack(seq, 'unknown_item', 'That item is not on your form');
        if (!item.audio) return this.nack(seq, 'validation_failed', 'That item has no recording');
        // Plays stored, and plays on their way to the log: a burst of frames cannot get past the limit.
        const max = item.audio.maxPlays;
        if (max !== undefined && (this.state.plays.get(frame.itemId) ?? 0) + this.playsQueued(frame.itemId) >= max) {
          return this.nack(seq, 'play_limit', `The recording may be played ${max} times; none is left`);
        }
        logFrame = { type: 'play', seq, itemId: frame.itemId, at };
        break;
      }
      case 'submit':
        this.submitQueued = true;
        logFrame = { type: 'submit', seq, reason: 'candidate', at };
        break;
    }
    this.pending.push({ frame: logFrame, seq, rx, bytes, ...(extra ? { extra } : {}) });
    this.seqsWaiting.add(seq);
    this.kick();
  }

  /** Plays of an item's recording accepted but not yet stored (waiting, or in the entry in flight). */
  private playsQueued(itemId: string): number {
    let n = 0;
    for (const p of [...this.pending, ...(this.inflight ?? [])]) if (p.frame.type === 'play' && p.frame.itemId === itemId) n++;
    return n;
  }

  private nack(seq: number, code: string, message: string): void {
    this.transport.send({ type: 'nack', seq, error: { code, message } });
  }

  private kick(): void {
    if (this.inflight || this.pending.length === 0 || this.retryTimer || this.done) return;
    this.inflight = [];
    void this.service.log.committer.commit(() => this.buildEntry()).then(
      (result) => this.settle(result),
      () => this.settle(null),
    );
  }

  /** Runs when the group commit forms its batch: takes every frame that arrived until now. */
  private buildEntry(): LogEntry | null {
    if (this.done && this.pending.length === 0) return null;
    const limit = this.opts.maxEntryBytes ?? 4 * 1024 * 1024;
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || bytes + this.pending[count]!.bytes <= limit)) bytes += this.pending[count++]!.bytes;
    const taken = this.pending.splice(0, count);
    this.inflight = taken;
    if (taken.length === 0) return null;
    return this.service.attempts.entry(this.info, this.state.n + 1, this.conn, this.gen, taken.flatMap((p) => (p.extra ? [p.frame, ...p.extra] : [p.frame])));
  }

  private settle(result: { outcome: CommitOutcome; doc: LogEntry } | null): void {
    const taken = this.inflight ?? [];
    if (!result) {
      this.inflight = null;
      if (taken.length) this.requeue(taken);
      this.afterFlight();
      return;
    }
    switch (result.outcome) {
      case 'ok':
        this.inflight = null;
        this.failures = 0;
        this.failingSince = null;
        this.committed(result.doc, taken);
        this.afterFlight();
        return;
      case 'duplicate':
        void this.resolveConflict(taken).catch(() => {
          this.inflight = null;
          this.requeue(taken);
          this.failed();
          this.afterFlight();
        });
        return;
      case 'failed':
        this.inflight = null;
        this.requeue(taken);
        this.failed();
        this.afterFlight();
        return;
    }
  }

  /** Our entry is stored: apply it, then acknowledge each of its frames. */
  private committed(entry: LogEntry, taken: readonly Pending[]): void {
    applyEntry(this.state, entry);
    const now = performance.now();
    for (const p of taken) {
      if (p.seq === 0) continue;
      this.seqsWaiting.delete(p.seq);
      if (!this.done) this.transport.sendRaw(ackText(p.seq));
      this.opts.onAck?.((now - p.rx) / 1000, p.frame.type === 'answer' ? 1 : 0);
    }
    // Adaptive: the answer is stored; only now is the next item chosen and sent.
    if (this.adaptive?.stored(entry) && !this.state.submitted && !this.done) {
      const next = this.adaptive.nextMessage();
      if (next) this.transport.send(next);
      else this.handInFinished();
    }
    if (this.state.submitted) {
      void this.finishSubmit();
      return;
    }
    if (this.state.n - this.checkpointN >= CHECKPOINT_EVERY) {
      this.service.attempts.checkpoint(this.attemptId, this.state);
      this.checkpointN = this.state.n;
    }
    // The cache may lag the log by a few entries: a join finds out through its fence and reads the rest (LiveService.join).
    // Encoding the whole state after every answer was a tenth of the API's CPU per answer.
    if (this.state.n - this.cachedN >= STATE_CACHE_EVERY) this.cache();
    if (!this.done) this.publishLive(true);
  }

  private cache(now = false): void {
    this.cachedN = this.state.n;
    void this.service.cacheState(this.info, this.state, this.checkpointN, now);
  }

  private requeue(taken: readonly Pending[]): void {
    this.pending = [...taken, ...this.pending];
  }

  /** Writes keep failing: retry with backoff, and after a while hand the client over to a reconnect. */
  private failed(): void {
    this.failures++;
    this.failingSince ??= Date.now();
    if (Date.now() - this.failingSince > (this.opts.failTimeoutMs ?? 30_000)) {
      this.transport.send({ type: 'error', error: { code: 'unavailable', message: 'Answers cannot be stored right now; reconnecting' } });
      this.finish(CLOSE.serverError, 'storage unavailable');
      return;
    }
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
  }

  /**
   * Another writer holds the position we tried: read what is there and act
   * on it. Our own earlier try (a write whose answer was lost) counts as
   * stored; a newer join means this socket is replaced; a hand-in ends it;
   * an extension moves the deadline; then the frames go again.
   */
  private async resolveConflict(taken: Pending[]): Promise<void> {
    const entries = await this.service.log.readAfter(this.attemptId, this.state.n);
    if (entries.length === 0) throw new Error('duplicate key but no entry');
    let retry = taken;
    for (const e of entries) {
      if (e.conn === this.conn) {
        const stored = new Set(e.frames.flatMap((f) => ('seq' in f && typeof f.seq === 'number' ? [f.seq] : [])));
        const ours = (p: Pending) => (p.seq === 0 ? e.frames.some((f) => f.type === p.frame.type) : stored.has(p.seq));
        this.committed(e, retry.filter(ours));
        retry = retry.filter((p) => !ours(p));
        continue;
      }
      const endsBefore = endsAtOf(this.info, this.state).getTime();
      applyEntry(this.state, e);
      if (this.state.gen > this.gen) {
        this.inflight = null;
        this.end('replaced');
        return;
      }
      if (this.state.submitted) {
        const reason = this.state.submitted.reason;
        this.inflight = null;
        for (const p of [...retry, ...this.pending]) if (p.seq > 0) this.nack(p.seq, reason === 'time_up' ? 'time_up' : 'already_submitted', reason === 'time_up' ? 'The time is up' : 'The attempt has been handed in');
        this.pending = [];
        this.endSubmitted(this.state.submitted.at.toISOString(), reason);
        return;
      }
      const endsAfter = endsAtOf(this.info, this.state).getTime();
      if (endsAfter !== endsBefore) this.moveDeadline(new Date(endsAfter));
    }
    this.inflight = null;
    this.requeue(retry);
    this.afterFlight();
  }

  private afterFlight(): void {
    if (this.endAfterFlight && !this.inflight) {
      const { reason, submitted } = this.endAfterFlight;
      this.endAfterFlight = null;
      if (submitted) this.transport.send({ type: 'submitted', attemptId: this.attemptId, at: submitted.at });
      this.end(reason);
      return;
    }
    this.kick();
  }

  private async finishSubmit(): Promise<void> {
    const sub = this.state.submitted!;
    await this.service.attempts.finalize(this.info, this.state);
    this.endSubmitted(sub.at.toISOString(), sub.reason);
  }

  private endSubmitted(at: string, reason: SubmitReason): void {
    if (this.done) return;
    this.transport.send({ type: 'submitted', attemptId: this.attemptId, at });
    this.end(reason === 'time_up' ? 'time_up' : 'submitted');
  }

  // ------------------------------------------------------------ time

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const due = this.endsAt.getTime() + this.opts.fallbackMs;
    this.deadlineTimer = setTimeout(() => void this.deadlineFallback(), Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())));
  }

  /**
   * The deadline job should have handed the attempt in by now (its notice
   * ends this socket). It has not — no worker running, or Redis away — so
   * hand it in from here with the same code the job runs.
   */
  private async deadlineFallback(): Promise<void> {
    this.deadlineTimer = null;
    if (this.done) return;
    if (Date.now() < this.endsAt.getTime() + this.opts.fallbackMs) return this.armDeadline();
    try {
      const r = await this.service.attempts.autoSubmit(this.attemptId);
      if (r.status === 'submitted' || r.status === 'already_submitted') this.onSubmitted(r.at.toISOString(), 'time_up');
      else if (r.status === 'not_due') this.moveDeadline(r.endsAt);
    } catch {
      if (!this.done) this.deadlineTimer = setTimeout(() => void this.deadlineFallback(), 5000);
    }
  }

  private moveDeadline(endsAt: Date): void {
    if (endsAt.getTime() === this.endsAt.getTime()) return;
    this.endsAt = endsAt;
    this.armDeadline();
    if (!this.done) this.transport.send({ type: 'time', endsAt: endsAt.toISOString(), serverNow: new Date().toISOString() });
  }

  // ------------------------------------------------------------ notices from other processes

  notify(msg: PresenceMessage): void {
    if (this.done) return;
    switch (msg.t) {
      case 'replaced':
        if (msg.gen > this.gen) this.end('replaced');
        return;
      case 'time': {
        const endsAt = new Date(msg.endsAt);
        if (endsAt.getTime() > this.endsAt.getTime()) this.moveDeadline(endsAt);
        return;
      }
      case 'submitted':
        this.onSubmitted(msg.at, msg.reason);
        return;
    }
  }

  private onSubmitted(at: string, reason: SubmitReason): void {
    if (this.done) return;
    // Let the entry in flight settle first: if it was stored before the hand-in, its acks are true.
    this.endAfterFlight = { reason: reason === 'time_up' ? 'time_up' : 'submitted', submitted: { at } };
    if (!this.inflight) this.afterFlight();
  }

  // ------------------------------------------------------------ end

  /** Sends `ended` and closes. */
  end(reason: EndReason): void {
    if (this.done) return;
    this.transport.send({ type: 'ended', reason });
    this.finish(CLOSE.normal, reason, reason !== 'replaced');
  }

  /**
   * The user's session was revoked: `ended` with reason `closed` (one of the
   * protocol's reasons) and cause `revoked`, then close 4401, which clients treat as
   * final (a rejoin with the same token is refused anyway).
   */
  revoke(): void {
    if (this.done) return;
    this.transport.send({ type: 'ended', reason: 'closed', cause: 'revoked' });
    this.finish(CLOSE.unauthenticated, 'revoked');
  }

  /** The socket is gone (closed by the client, the network or the server). Frames not yet stored are dropped, never acknowledged. */
  detach(): void {
    this.finish(null, 'detached', true);
  }

  private finish(code: number | null, reason: string, publish = true): void {
    if (this.done) return;
    this.done = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.retryTimer = null;
    this.deadlineTimer = null;
    this.pending = [];
    if (publish && !this.state.submitted) this.publishLive(false);
    // A reconnect may come at once (to any process): leave the freshest state behind.
    if (!this.state.submitted) this.cache(true);
    if (code !== null) this.transport.close(code, reason);
    this.opts.onDone?.(this);
  }

  /** The heartbeat sweep: refresh this candidate's live entry. */
  heartbeat(): void {
    if (!this.done) this.publishLive(true);
  }

  private publishLive(connected: boolean): void {
    const s = this.state;
    this.service.presence.setLive(this.info.examId, this.info.candidateId, {
      connected,
      answered: s.answers.size,
      lastSeq: s.lastSeq,
      lastSeenAt: (s.lastFrameAt ?? new Date()).toISOString(),
      events: s.eventCounts,
      joins: s.joins,
      owner: this.conn,
      hb: Date.now(),
      gen: this.gen,
    });
  }
}
