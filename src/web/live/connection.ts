/**
 * The exam socket: joins, keeps the connection alive, reconnects by itself
 * with backoff, and sends every frame through the outbox so nothing is lost
 * while it is down. After each (re)join the server's `state` tells which
 * frames it already applied (`lastSeq`); the rest are sent again in order.
 */
import type { Outbox } from './outbox.js';
import {
  parseServerMessage,
  type EndReason,
  type FrameBody,
  type ItemMessage,
  type NackMessage,
  type ProtocolError,
  type SeqFrame,
  type ServerMessage,
  type StateMessage,
  type SubmittedMessage,
  type TimeMessage,
} from './protocol.js';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting';

export interface LiveHandlers {
  /** After every join: render or refresh. The outbox is already reconciled with `lastSeq`. */
  onState(state: StateMessage): void;
  onAck(seq: number, frame: SeqFrame | undefined): void;
  onNack(message: NackMessage, frame: SeqFrame | undefined): void;
  onTime(message: TimeMessage): void;
  /** Adaptive exams: the next item (after the ack of the previous answer). */
  onItem?(message: ItemMessage): void;
  onSubmitted(message: SubmittedMessage): void;
  /** The server ended the session; the connection has stopped. */
  onEnded(reason: EndReason): void;
  onStatus(status: ConnectionStatus): void;
  /** The server refused this session for good (bad token, unknown exam); the connection has stopped. */
  onFatal(error: ProtocolError): void;
}

export interface LiveConnectionOptions {
  url: string;
  token: string;
  examId: string;
  outbox: Outbox;
  handlers: LiveHandlers;
  /** First reconnect delay in ms; it doubles per failed try. @defaultValue 500 */
  minDelayMs?: number;
  /** Longest reconnect delay in ms. @defaultValue 10000 */
  maxDelayMs?: number;
  /** Keep-alive ping interval in ms. @defaultValue 15000 */
  pingIntervalMs?: number;
  /** A socket that stays silent this long past a ping is treated as dead, in ms. @defaultValue 10000 */
  silenceTimeoutMs?: number;
}

/** `ws(s)://<this host>/ws`. */
export function liveUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** Close codes in 4400..4499 mean "do not come back with the same join". */
const FATAL_CLOSE: Record<number, string> = { 4401: 'unauthenticated', 4403: 'forbidden', 4404: 'not_found' };
const FATAL_ERRORS = new Set(['unauthenticated', 'forbidden', 'not_found']);
/** Longest wait before reconnecting after a `reconnect` (drain) message, in ms. */
const DRAIN_JITTER_MS = 250;

export class LiveConnection {
  private socket: WebSocket | null = null;
  /** A `state` arrived on the current socket: frames may flow. */
  private synced = false;
  /** A `state` arrived at least once: the outbox's seq counter is above the server's lastSeq. */
  private everSynced = false;
  /** Frames produced before the first state; they get their seq once the counter is known. */
  private readonly early: FrameBody[] = [];
  private failures = 0;
  /** A `reconnect` message came: the next reconnect skips the backoff. */
  private drained = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private lastError: ProtocolError | null = null;
  private readonly opts: Required<LiveConnectionOptions>;

  constructor(options: LiveConnectionOptions) {
    this.opts = { minDelayMs: 500, maxDelayMs: 10_000, pingIntervalMs: 15_000, silenceTimeoutMs: 10_000, ...options };
  }

  start(): void {
    window.addEventListener('online', this.onOnline);
    this.open();
  }

  /** Closes for good; no handler is called afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopPing();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, 'client done');
  }

  /** Whether frames go out at once (otherwise they wait in the outbox). */
  get ready(): boolean {
    return this.synced && this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends a frame now, or as soon as the server is back. */
  send(body: FrameBody): void {
    if (this.stopped) return;
    if (!this.everSynced) {
      this.early.push(body);
      return;
    }
    const frame = this.opts.outbox.push(body);
    if (this.ready) this.transmit(frame);
  }

  private transmit(frame: SeqFrame): void {
    this.socket!.send(JSON.stringify(frame));
    this.opts.outbox.markSent(frame.seq);
  }

  private open(): void {
    if (this.stopped) return;
    this.retryTimer = null;
    this.opts.handlers.onStatus(this.everSynced || this.failures > 0 ? 'reconnecting' : 'connecting');
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.synced = false;
    socket.addEventListener('open', () => {
      if (socket !== this.socket) return;
      socket.send(JSON.stringify({ type: 'join', token: this.opts.token, examId: this.opts.examId }));
      this.startPing();
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (socket !== this.socket) return;
      this.lastHeard = performance.now();
      const message = parseServerMessage(event.data);
      if (message) this.handle(message);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.synced = false;
      this.stopPing();
      if (this.stopped) return;
      const fatal = FATAL_CLOSE[event.code] ?? (event.code >= 4400 && event.code < 4500 ? 'closed' : null);
      if (fatal) {
        const error = this.lastError ?? { code: fatal, message: event.reason || `Closed with code ${event.code}` };
        this.stop();
        this.opts.handlers.onFatal(error);
        return;
      }
      this.scheduleReconnect();
    });
  }

  private handle(message: ServerMessage): void {
    const { handlers, outbox } = this.opts;
    switch (message.type) {
      case 'state': {
        this.synced = true;
        this.failures = 0;
        this.lastError = null;
        outbox.reconcile(Number(message.lastSeq) || 0, String(message.attemptId));
        this.everSynced = true;
        for (const body of this.early.splice(0)) outbox.push(body);
        handlers.onState(message);
        if (this.stopped) return;
        handlers.onStatus('open');
        for (const frame of outbox.pending()) this.transmit(frame);
        return;
      }
      case 'ack':
        handlers.onAck(message.seq, outbox.remove(message.seq));
        return;
      case 'nack':
        handlers.onNack(message, outbox.remove(message.seq));
        return;
      case 'time':
        handlers.onTime(message);
        return;
      case 'item':
        handlers.onItem?.(message);
        return;
      case 'submitted':
        handlers.onSubmitted(message);
        return;
      case 'ended':
        this.stop();
        // A revoked session is a sign-out, not the end of the exam: back to the login.
        if (message.cause === 'revoked') handlers.onFatal({ code: 'unauthenticated', message: 'Your session has ended; sign in again' });
        else handlers.onEnded(message.reason);
        return;
      case 'error':
        this.lastError = message.error;
        if (message.error && FATAL_ERRORS.has(message.error.code)) {
          this.stop();
          handlers.onFatal(message.error);
        }
        return;
      case 'reconnect':
        // The process is draining: the close follows; reconnect without the backoff.
        this.drained = true;
        return;
      case 'pong':
        return;
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    if (this.drained) {
      // Told to go elsewhere: at once (a few hundred ms of jitter spread a whole room over the other processes).
      this.drained = false;
      this.failures = 0;
      this.opts.handlers.onStatus('reconnecting');
      this.retryTimer = setTimeout(() => this.open(), Math.random() * DRAIN_JITTER_MS);
      return;
    }
    const base = Math.min(this.opts.maxDelayMs, this.opts.minDelayMs * 2 ** this.failures);
    this.failures++;
    // Jitter spreads a whole exam room's reconnects after a server restart.
    const delay = base / 2 + Math.random() * (base / 2);
    this.opts.handlers.onStatus('reconnecting');
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private readonly onOnline = () => {
    if (this.stopped || this.socket || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.failures = 0;
    this.open();
  };

  private startPing(): void {
    this.stopPing();
    this.lastHeard = performance.now();
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      if (performance.now() - this.lastHeard > this.opts.pingIntervalMs + this.opts.silenceTimeoutMs) {
        // A half-open connection never fires close on its own: give up on it.
        this.socket = null;
        this.synced = false;
        this.stopPing();
        socket.close();
        this.scheduleReconnect();
        return;
      }
      socket.send(JSON.stringify({ type: 'ping' }));
    }, this.opts.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
