/**
 * A stand-in for the API and the live exam socket, speaking the API's
 * protocol, for browser tests of the web client that must not depend on the
 * real server (MongoDB, Redis, workers). It serves the built client through
 * the real web plugin, so headers and client routes are the production ones.
 *
 * Its clock runs `skewMs` away from the machine's, so a countdown that read
 * the device clock instead of `serverNow` would show the wrong time.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import webPlugin from '../../src/plugins/web.js';

export interface FakeItem {
  itemId: string;
  type: string;
  number?: number;
  stem: string;
  [field: string]: unknown;
}

/** A frame as the fake server received it. */
export interface ReceivedFrame {
  type: string;
  seq?: number;
  itemId?: string;
  response?: unknown;
  flagged?: boolean;
  kind?: string;
  token?: string;
  examId?: string;
  /** Which join (1-based) the socket belonged to. */
  join: number;
}

export interface FakeLiveOptions {
  /** Folder of the built client (buildWebClient). */
  webRoot: string;
  items: FakeItem[];
  /** Exam duration from the start. @defaultValue 10 minutes */
  durationMs?: number;
  /** How far the server's clock is from the machine's. @defaultValue about +3 years */
  skewMs?: number;
  /** Shared passages sent in `state` (items name them by `stimulusId`). */
  stimuli?: { id: string; title?: string; content: string }[];
}

export const CANDIDATE = { id: 'u-candidate-1', username: 'hs001', password: 'mat-khau-dung', displayName: 'Nguyễn Văn An' };
export const EXAM_ID = 'exam-1';
export const TOKEN = 'token-of-hs001';

interface Conn {
  socket: WebSocket;
  join: number;
  held: ReceivedFrame[];
}

export class FakeLiveServer extends EventEmitter {
  app!: FastifyInstance;
  port = 0;
  readonly items: FakeItem[];
  answers: Record<string, unknown> = {};
  flags = new Set<string>();
  events: string[] = [];
  lastSeq = 0;
  attemptId = 'attempt-1';
  submitted = false;
  endsAtMs: number;
  readonly skewMs: number;
  /** While true, frames are received but neither applied nor acknowledged (not durable yet). */
  holdAcks = false;
  /** Refuses a frame: return the nack error, or null to accept. */
  nackFor: (frame: ReceivedFrame) => { code: string; message: string } | null = () => null;
  readonly frames: ReceivedFrame[] = [];
  joins = 0;
  /**
   * What GET /api/attempts/:id/result answers, by attempt id: a result (200)
   * or a refusal (403 with `error.details[0].reason`, as the real server
   * gives). Unknown attempts are 404.
   */
  results = new Map<string, { status: number; body: unknown }>();
  /** How often each attempt's result was asked for. */
  resultRequests = new Map<string, number>();
  exams: Record<string, unknown>[] = [
    {
      id: EXAM_ID,
      title: 'Toán 12 – Kiểm tra <b>giữa kỳ</b> I',
      opensAt: '2025-01-01T00:00:00Z',
      closesAt: '2035-01-01T00:00:00Z',
      durationMinutes: 10,
      status: 'not_started',
      attemptId: 'attempt-1',
    },
    { id: 'exam-0', title: 'Ngữ văn 12 – Đề cũ', opensAt: '2024-01-01T00:00:00Z', closesAt: '2024-01-02T00:00:00Z', durationMinutes: 90, status: 'submitted', attemptId: 'attempt-0' },
    { id: 'exam-2', title: 'Tiếng Anh 12', opensAt: '2035-01-01T00:00:00Z', closesAt: '2035-01-02T00:00:00Z', durationMinutes: 60, status: 'upcoming' },
  ];
  /** When set, every login is refused as locked for this many seconds (429, as the real lockout answers). */
  lockedForSeconds: number | null = null;
  readonly stimuli: { id: string; title?: string; content: string }[] | undefined;
  private current: Conn | null = null;
  private readonly webRoot: string;

  constructor(options: FakeLiveOptions) {
    super();
    this.webRoot = options.webRoot;
    this.items = options.items;
    this.stimuli = options.stimuli;
    this.skewMs = options.skewMs ?? 3 * 365 * 24 * 3600_000 + 4321_000;
    this.endsAtMs = this.now() + (options.durationMs ?? 10 * 60_000);
    this.results.set('attempt-0', graded('attempt-0', { score: 7, maxScore: 10, score10: 7 }));
    this.results.set(this.attemptId, graded(this.attemptId, { score: 8.5, maxScore: 10, score10: 8.5, perItemFrom: '2035-01-01T00:00:00.000Z' }));
  }

  now(): number {
    return Date.now() + this.skewMs;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const app = Fastify({ logger: false });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url}`, details: [] } }),
    );
    await app.register(fastifyWebsocket);
    app.post<{ Body: { username?: string; password?: string } }>('/api/auth/login', async (request, reply) => {
      const { username, password } = request.body ?? {};
      if (this.lockedForSeconds) {
        const seconds = this.lockedForSeconds;
        return reply.code(429).send({ error: { code: 'rate_limited', message: 'Too many wrong passwords', details: [{ retryAfterSeconds: seconds }] } });
      }
      if (username !== CANDIDATE.username || password !== CANDIDATE.password) {
        return reply.code(401).send({ error: { code: 'invalid_credentials', message: 'Wrong username or password', details: [] } });
      }
      return { token: TOKEN, user: { id: CANDIDATE.id, username: CANDIDATE.username, displayName: CANDIDATE.displayName, roles: [{ role: 'candidate', orgId: 'o1' }] } };
    });
    app.post('/api/auth/logout', async (_request, reply) => reply.code(204).send());
    app.get('/api/my/exams', async (request, reply) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) {
        return reply.code(401).send({ error: { code: 'unauthenticated', message: 'No token', details: [] } });
      }
      return this.exams;
    });
    app.get<{ Params: { id: string } }>('/api/attempts/:id/result', async (request, reply) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`) {
        return reply.code(401).send({ error: { code: 'unauthenticated', message: 'No token', details: [] } });
      }
      const id = request.params.id;
      this.resultRequests.set(id, (this.resultRequests.get(id) ?? 0) + 1);
      const answer = this.results.get(id);
      if (!answer) return reply.code(404).send({ error: { code: 'not_found', message: 'Attempt not found', details: [] } });
      return reply.code(answer.status).send(answer.body);
    });
    app.get('/ws', { websocket: true }, (socket) => this.accept(socket));
    await app.register(webPlugin, { root: this.webRoot });
    await app.listen({ port, host: '127.0.0.1' });
    this.app = app;
    this.port = (app.server.address() as AddressInfo).port;
  }

  /** Stops the process-like server (every socket drops) and starts it again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    this.current = null;
    for (const client of this.app.websocketServer.clients) client.terminate();
    await this.app.close();
  }

  /** Drops the current socket without a closing handshake, as a crashed process would. */
  dropSocket(): void {
    this.current?.socket.terminate();
  }

  send(message: Record<string, unknown>): void {
    this.current?.socket.send(JSON.stringify(message));
  }

  /** Applies and acknowledges the frames held while `holdAcks` was on. */
  release(): void {
    this.holdAcks = false;
    const conn = this.current;
    if (!conn) return;
    for (const frame of conn.held.splice(0)) this.apply(conn, frame);
  }

  /** Resolves with the first received frame (from index `from`) matching `match`. */
  waitForFrame(match: (frame: ReceivedFrame) => boolean, from = 0, timeoutMs = 15_000): Promise<ReceivedFrame> {
    const found = this.frames.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('frame', onFrame);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(from))}`));
      }, timeoutMs);
      const onFrame = (frame: ReceivedFrame) => {
        if (!match(frame)) return;
        clearTimeout(timer);
        this.off('frame', onFrame);
        resolve(frame);
      };
      this.on('frame', onFrame);
    });
  }

  stateMessage(): Record<string, unknown> {
    return {
      type: 'state',
      attemptId: this.attemptId,
      formCode: '101',
      items: this.items,
      answers: this.answers,
      flags: [...this.flags],
      lastSeq: this.lastSeq,
      endsAt: new Date(this.endsAtMs).toISOString(),
      serverNow: new Date(this.now()).toISOString(),
      ...(this.stimuli ? { stimuli: this.stimuli } : {}),
    };
  }

  private accept(socket: WebSocket): void {
    let conn: Conn | null = null;
    const joinTimer = setTimeout(() => socket.close(4401, 'join first'), 5000);
    socket.on('close', () => {
      clearTimeout(joinTimer);
      if (conn && this.current === conn) this.current = null;
    });
    socket.on('message', (data) => {
      let frame: ReceivedFrame;
      try {
        frame = { ...(JSON.parse(String(data)) as Omit<ReceivedFrame, 'join'>), join: conn?.join ?? this.joins + 1 };
      } catch {
        socket.send(JSON.stringify({ type: 'error', error: { code: 'bad_request', message: 'not JSON' } }));
        return;
      }
      if (frame.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
        return;
      }
      this.frames.push(frame);
      this.emit('frame', frame);
      if (frame.type === 'join') {
        clearTimeout(joinTimer);
        if (frame.token !== TOKEN || frame.examId !== EXAM_ID) {
          socket.close(4401, 'unauthenticated');
          return;
        }
        this.joins++;
        // The newest connection of a candidate wins.
        if (this.current && this.current.socket !== socket) {
          this.current.socket.send(JSON.stringify({ type: 'ended', reason: 'replaced' }));
          this.current.socket.close(1000);
        }
        conn = { socket, join: this.joins, held: [] };
        this.current = conn;
        if (this.submitted) {
          socket.send(JSON.stringify({ type: 'ended', reason: 'submitted' }));
          socket.close(1000);
          return;
        }
        socket.send(JSON.stringify(this.stateMessage()));
        return;
      }
      if (!conn) return;
      // Frames apply in order: once one is held, the ones after it wait too.
      if (this.holdAcks || conn.held.length > 0) conn.held.push(frame);
      else this.apply(conn, frame);
    });
  }

  private apply(conn: Conn, frame: ReceivedFrame): void {
    const seq = frame.seq ?? 0;
    const reply = (message: Record<string, unknown>) => conn.socket.readyState === conn.socket.OPEN && conn.socket.send(JSON.stringify(message));
    if (seq <= this.lastSeq) return void reply({ type: 'ack', seq });
    const refused = this.nackFor(frame);
    if (refused) return void reply({ type: 'nack', seq, error: refused });
    this.lastSeq = seq;
    switch (frame.type) {
      case 'answer':
        if (frame.response === null) delete this.answers[frame.itemId!];
        else this.answers[frame.itemId!] = frame.response;
        break;
      case 'flag':
        if (frame.flagged) this.flags.add(frame.itemId!);
        else this.flags.delete(frame.itemId!);
        break;
      case 'event':
        this.events.push(frame.kind!);
        break;
      case 'submit':
        this.submitted = true;
        reply({ type: 'ack', seq });
        reply({ type: 'submitted', attemptId: this.attemptId, at: new Date(this.now()).toISOString() });
        reply({ type: 'ended', reason: 'submitted' });
        conn.socket.close(1000);
        return;
    }
    reply({ type: 'ack', seq });
    this.emit('applied', frame);
  }
}

/** A refusal of GET /api/attempts/:id/result as the real server words it. */
export function refusal(reason: 'not_shown' | 'after_close' | 'not_graded' | 'pending_manual', availableAt?: string): { status: number; body: unknown } {
  return { status: 403, body: { error: { code: 'forbidden', message: `refused: ${reason}`, details: [{ reason, ...(availableAt ? { availableAt } : {}) }] } } };
}

/** A graded result for GET /api/attempts/:id/result. */
export function graded(attemptId: string, fields: Record<string, unknown>): { status: number; body: unknown } {
  return {
    status: 200,
    body: { attemptId, examId: EXAM_ID, examTitle: 'x', candidateId: CANDIDATE.id, studentId: null, formCode: '101', status: 'graded', gradedAt: new Date().toISOString(), version: 1, scoreChanged: false, scoreChanges: [], ...fields },
  };
}
