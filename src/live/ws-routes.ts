/**
 * WebSocket `/ws`: the transport around {@link LiveSession}. Reads frames
 * (size limit, flood limit, JSON, shape), runs the join, keeps the socket
 * alive with pings, and maps sessions to sockets on this process.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { SocketIdentity } from '../auth/auth-service.js';
import { AppError, RateLimited } from '../errors.js';
import { JoinRefused, type LiveService } from './live-service.js';
import type { PresenceMessage } from './presence.js';
import { CLOSE, MAX_FRAME_BYTES, parseClientFrame, TokenBucket, type ClientFrame, type ServerMessage } from './protocol.js';
import { LiveSession, type SessionTransport } from './session.js';

/** The join must arrive within this many ms of the upgrade. */
export const JOIN_TIMEOUT_MS = 5000;
/** Heartbeat ticks per interval (see LiveSockets.slots). */
const HEARTBEAT_SLOTS = 20;
/** Refused frames in a row (over the rate limit) before the socket is closed. */
const FLOOD_CLOSE_AFTER = 500;

export interface LiveSocketsOptions {
  live: LiveService;
  /** Interval of WebSocket pings; a socket that answered neither of the last two is dropped. */
  heartbeatMs: number;
  /** See SessionOptions.fallbackMs. */
  fallbackMs: number;
  /** How often open sockets are checked against revocations (a missed pub/sub notice), in ms. @defaultValue 30000 */
  revocationCheckMs?: number;
}

/** A revocation notice on the Redis revocation channel (src/users/revocations.ts). */
export interface RevocationNotice {
  userId: string;
  /** One token (logout); absent: every token issued before `at`. */
  jti?: string;
  at: number;
}

interface Conn {
  ws: WebSocket;
  slot: number;
  /** Pings sent since the socket was last heard from. */
  missed: number;
  bucket: TokenBucket;
  refusedInRow: number;
  state: 'waiting' | 'joining' | 'joined' | 'closed';
  session: LiveSession | null;
  joinTimer: NodeJS.Timeout | null;
  /** The token the socket joined with, for revocation. */
  auth: SocketIdentity | null;
}

/**
 * The sockets of this process and the session of each attempt held here.
 * One per app; the live plugin closes it.
 */
export class LiveSockets {
  readonly processId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly conns = new Set<Conn>();
  private readonly sessions = new Map<string, LiveSession>();
  private heartbeat: NodeJS.Timeout | null = null;
  private revocationTimer: NodeJS.Timeout | null = null;
  private revocationCheck: Promise<void> | null = null;
  /**
   * Sockets in heartbeat slots: each tick pings one slot, so 5,000 sockets
   * cost 250 small pings at a time instead of one long pause every interval.
   */
  private readonly slots: Set<Conn>[] = Array.from({ length: HEARTBEAT_SLOTS }, () => new Set());
  private slot = 0;
  private counter = 0;
  private accepted = 0;
  private lastGen = 0;
  /** Breaks ties between processes joining in the same millisecond. */
  private readonly salt = randomInt(1000);
  private closing = false;

  constructor(
    private readonly app: FastifyInstance,
    private readonly opts: LiveSocketsOptions,
  ) {}

  get size(): number {
    return this.conns.size;
  }

  start(): void {
    this.heartbeat = setInterval(() => this.sweep(), Math.max(1, Math.floor(this.opts.heartbeatMs / HEARTBEAT_SLOTS)));
    this.revocationTimer = setInterval(() => {
      this.revocationCheck ??= this.checkRevocations().finally(() => (this.revocationCheck = null));
    }, this.opts.revocationCheckMs ?? 30_000);
  }

  /** A revocation announced through Redis: that user's sockets (joined with a token issued before it) end at once. */
  onRevocation(notice: RevocationNotice): void {
    for (const c of this.conns) {
      const a = c.auth;
      if (!a || a.userId !== notice.userId) continue;
      if (notice.jti ? a.jti === notice.jti : a.iatMs < notice.at) this.endRevoked(c);
    }
  }

  /** The periodic check: every joined socket's token against the users and the logout list. */
  async checkRevocations(): Promise<void> {
    const open = [...this.conns].filter((c) => c.auth && (c.state === 'joined' || c.state === 'joining'));
    if (open.length === 0) return;
    let revoked: Set<string>;
    try {
      revoked = await this.app.auth.revokedAmong(open.map((c) => c.auth!));
    } catch (err) {
      // MongoDB or Redis away: the next round checks again; pub/sub notices still apply meanwhile.
      this.app.log.warn({ err }, 'live: revocation check failed');
      return;
    }
    for (const c of open) if (revoked.has(c.auth!.jti)) this.endRevoked(c);
  }

  private endRevoked(c: Conn): void {
    if (c.state === 'closed') return;
    if (c.session) c.session.revoke();
    else this.refuse(c, CLOSE.unauthenticated, 'unauthenticated', 'Session revoked');
  }

  /** A notice from another process (or this one) through Redis. */
  onPresence(msg: PresenceMessage): void {
    this.sessions.get(msg.attemptId)?.notify(msg);
  }

  /** A newer connection than any before it, on any process (see LogFrame 'join'). */
  private nextGen(): number {
    this.lastGen = Math.max(this.lastGen + 1, Date.now() * 1000 + this.salt);
    return this.lastGen;
  }

  accept(ws: WebSocket): void {
    if (this.closing) {
      ws.close(CLOSE.goingAway, 'server shutting down');
      return;
    }
    const c: Conn = { ws, slot: this.accepted++ % HEARTBEAT_SLOTS, missed: 0, bucket: new TokenBucket(), refusedInRow: 0, state: 'waiting', session: null, joinTimer: null, auth: null };
    this.conns.add(c);
    this.slots[c.slot]!.add(c);
    this.app.metrics.openSockets.inc();
    c.joinTimer = setTimeout(() => {
      c.joinTimer = null;
      if (c.state === 'waiting') this.refuse(c, CLOSE.unauthenticated, 'unauthenticated', 'No join within 5 seconds');
    }, JOIN_TIMEOUT_MS);
    ws.on('pong', () => {
      c.missed = 0;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(c, data, isBinary));
    ws.on('close', () => this.onClose(c));
    ws.on('error', () => {
      // 'close' follows; a broken socket touches nobody else.
    });
  }

  private send(c: Conn, msg: ServerMessage): void {
    this.sendRaw(c, JSON.stringify(msg));
  }

  private sendRaw(c: Conn, text: string | Buffer): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (typeof text === 'string') c.ws.send(text);
    else c.ws.send(text, { binary: false });
  }

  private refuse(c: Conn, closeCode: number, code: string, message: string): void {
    this.send(c, { type: 'error', error: { code, message } });
    c.state = 'closed';
    c.ws.close(closeCode, code);
  }

  private onMessage(c: Conn, data: RawData, isBinary: boolean): void {
    if (c.state === 'closed') return;
    const rx = performance.now();
    c.missed = 0;
    if (!c.bucket.take(rx)) {
      if (++c.refusedInRow >= FLOOD_CLOSE_AFTER) return this.refuse(c, CLOSE.flood, 'rate_limited', 'Too many frames');
      const seq = peekSeq(data);
      const error = { code: 'rate_limited', message: 'Too many frames; slow down' };
      return this.send(c, seq === undefined ? { type: 'error', error } : { type: 'nack', seq, error });
    }
    c.refusedInRow = 0;
    const size = byteLength(data);
    if (size > MAX_FRAME_BYTES) {
      return this.send(c, { type: 'error', error: { code: 'payload_too_large', message: `Frames are at most ${MAX_FRAME_BYTES} bytes` } });
    }
    if (isBinary) return this.send(c, { type: 'error', error: { code: 'bad_request', message: 'Frames are JSON text' } });
    const parsed = parseClientFrame(rawText(data));
    if (!parsed.ok) {
      if (c.state === 'waiting') return this.refuse(c, CLOSE.badJoin, parsed.error.code, `The first frame must be a join: ${parsed.error.message}`);
      return this.send(c, parsed.seq === undefined ? { type: 'error', error: parsed.error } : { type: 'nack', seq: parsed.seq, error: parsed.error });
    }
    const frame = parsed.frame;
    if (frame.type === 'ping') return this.send(c, { type: 'pong' });
    if (c.state === 'waiting') {
      if (frame.type !== 'join') return this.refuse(c, CLOSE.badJoin, 'bad_request', 'The first frame must be a join');
      void this.join(c, frame);
      return;
    }
    if (frame.type === 'join') return this.send(c, { type: 'error', error: { code: 'bad_request', message: 'Already joined' } });
    if (c.state !== 'joined' || !c.session) {
      return this.send(c, { type: 'nack', seq: frame.seq, error: { code: 'not_joined', message: 'Wait for the state message before sending frames' } });
    }
    c.session.handle(frame, rx);
  }

  private async join(c: Conn, frame: Extract<ClientFrame, { type: 'join' }>): Promise<void> {
    c.state = 'joining';
    if (c.joinTimer) clearTimeout(c.joinTimer);
    c.joinTimer = null;
    let candidateId: string;
    try {
      const examId = frame.examId;
      const who = await this.app.auth.checkSocketToken(frame.token, { key: `exam:${examId}`, ids: () => this.opts.live.roster(examId) });
      candidateId = who.userId;
      c.auth = who;
    } catch (err) {
      if (err instanceof AppError) return this.refuse(c, CLOSE.unauthenticated, 'unauthenticated', err.message);
      // Redis or MongoDB did not answer: not the client's fault, so a close it retries after.
      this.app.log.warn({ err }, 'live: token check failed');
      return this.refuse(c, CLOSE.serverError, 'unavailable', 'The token cannot be checked right now; try again');
    }
    if (c.state !== 'joining') return;
    const conn = `${this.processId}:${++this.counter}`;
    const gen = this.nextGen();
    let result: Awaited<ReturnType<typeof this.opts.live.join>>;
    try {
      result = await this.opts.live.join(candidateId, frame.examId, conn, gen);
    } catch (err) {
      if (c.state !== 'joining') return;
      if (err instanceof JoinRefused) return this.refuse(c, err.closeCode, err.code, err.message);
      this.app.log.warn({ err }, 'live: join failed');
      return this.refuse(c, CLOSE.serverError, 'unavailable', 'The exam cannot be joined right now; try again');
    }
    if (c.state !== 'joining') return; // the socket went away meanwhile; the join entry it left is harmless
    if (result.kind === 'submitted') {
      this.send(c, { type: 'submitted', attemptId: result.attemptId, at: result.at.toISOString() });
      this.send(c, { type: 'ended', reason: result.reason === 'time_up' ? 'time_up' : 'submitted' });
      c.state = 'closed';
      c.ws.close(CLOSE.normal, 'submitted');
      return;
    }
    if (result.kind === 'replaced') {
      this.send(c, { type: 'ended', reason: 'replaced' });
      c.state = 'closed';
      c.ws.close(CLOSE.normal, 'replaced');
      return;
    }
    const transport: SessionTransport = {
      send: (msg) => this.send(c, msg),
      sendRaw: (text) => this.sendRaw(c, text),
      close: (code, reason) => {
        c.state = 'closed';
        c.ws.close(code, reason);
      },
    };
    const metrics = this.app.metrics;
    const session = new LiveSession(this.opts.live, transport, result.info, result.state, result.checkpointN, result.delivery, conn, gen, {
      fallbackMs: this.opts.fallbackMs,
      onAck: (seconds, answers) => {
        if (answers > 0) {
          metrics.saves.inc(answers);
          metrics.ackLatency.observe(seconds);
        }
      },
      onDone: (s) => {
        if (this.sessions.get(s.attemptId) === s) this.sessions.delete(s.attemptId);
      },
    });
    c.session = session;
    c.state = 'joined';
    const older = this.sessions.get(session.attemptId);
    this.sessions.set(session.attemptId, session);
    if (older && older.gen < gen) older.end('replaced');
    session.start();
    // A fence at the log's first position means no connection ever held this attempt: nobody to tell.
    if (result.state.n > 1) void this.opts.live.presence.publish({ t: 'replaced', attemptId: session.attemptId, gen });
  }

  private onClose(c: Conn): void {
    if (!this.conns.delete(c)) return;
    this.slots[c.slot]!.delete(c);
    this.app.metrics.openSockets.dec();
    if (c.joinTimer) clearTimeout(c.joinTimer);
    c.joinTimer = null;
    c.state = 'closed';
    c.session?.detach();
  }

  /**
   * Pings every socket; one that answered neither of the last two pings is
   * dropped (two, so that a busy machine is not mistaken for a dead laptop).
   */
  private sweep(): void {
    this.slot = (this.slot + 1) % HEARTBEAT_SLOTS;
    for (const c of this.slots[this.slot]!) {
      if (c.missed >= 2) {
        c.ws.terminate();
        continue;
      }
      c.missed++;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
      }
      c.session?.heartbeat();
    }
  }

  /**
   * The drain: tells every candidate to reconnect elsewhere at once (a
   * `reconnect` message), then closes every socket with 1001. Answers already
   * received are in the group commit the composition root flushes next.
   */
  shutdown(): void {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.revocationTimer) clearInterval(this.revocationTimer);
    this.revocationTimer = null;
    for (const c of this.conns) {
      if (c.joinTimer) clearTimeout(c.joinTimer);
      c.joinTimer = null;
      c.session?.detach();
      c.state = 'closed';
      this.send(c, { type: 'reconnect', reason: 'draining' });
      c.ws.close(CLOSE.goingAway, 'server shutting down');
    }
  }

  /** Sockets that have not closed after shutdown() are cut. */
  terminateAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

/** The seq of a frame refused before parsing (rate limit), if it is cheap to find. */
function peekSeq(data: RawData): number | undefined {
  if (byteLength(data) > 4096) return undefined;
  const m = /"seq"\s*:\s*(\d{1,15})/.exec(rawText(data));
  return m ? Number(m[1]) : undefined;
}

/**
 * Route `/ws`, at most `maxPerAddress` open connections per client address
 * on this process: one more is refused with HTTP 429 before the handshake,
 * so one address cannot hold sockets (memory, heartbeats) without end. A
 * connection counts from its upgrade request until its TCP socket closes.
 */
export function wsRoutes(sockets: LiveSockets, maxPerAddress: number): FastifyPluginAsync {
  return async (app) => {
    const open = new Map<string, number>();
    const onRequest = async (request: FastifyRequest) => {
      if (!request.ws) return;
      const address = request.ip;
      const n = open.get(address) ?? 0;
      if (n >= maxPerAddress) throw new RateLimited(`At most ${maxPerAddress} exam connections from one address`, 5);
      open.set(address, n + 1);
      request.raw.socket.once('close', () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left > 0) open.set(address, left);
        else open.delete(address);
      });
    };
    app.get('/ws', { websocket: true, schema: { hide: true }, onRequest }, (socket) => {
      sockets.accept(socket);
    });
  };
}
