/**
 * A candidate's socket for tests: sends frames, and waits for the server's
 * messages as they arrive (each wait fails after a timeout instead of hanging).
 * Every message received is kept, so a test can walk all of them.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';

export type Msg = { type: string; [k: string]: unknown };

export class TestSocket {
  /** Every message received, in order. */
  readonly received: Msg[] = [];
  /** Raw text of every message received. */
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private isClosed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      this.received.push(JSON.parse(text) as Msg);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => {});
  }

  static open(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, options);
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  /** Opens and joins; resolves with the `state` message (or whatever came instead). */
  static async join(url: string, token: string, examId: string): Promise<{ socket: TestSocket; first: Msg }> {
    const socket = await TestSocket.open(url);
    socket.send({ type: 'join', token, examId });
    return { socket, first: await socket.next() };
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next message not yet consumed that matches `pred` (earlier ones are skipped). */
  async next(pred: (m: Msg) => boolean = () => true, timeoutMs = 15_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.received.length) {
        const m = this.received[this.cursor++]!;
        if (pred(m)) return m;
      }
      if (this.isClosed) throw new Error(`socket closed while waiting; received ${JSON.stringify(this.received.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; received ${JSON.stringify(this.received.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the ack or nack of `seq`. */
  reply(seq: number, timeoutMs?: number): Promise<Msg> {
    return this.next((m) => (m.type === 'ack' || m.type === 'nack') && m.seq === seq, timeoutMs);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Listens on a free port and returns the WebSocket URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return `ws://127.0.0.1:${port}/ws`;
}

/** Every key name anywhere in a JSON value (objects inside arrays included). */
export function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysDeep(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysDeep(v, out);
    }
  }
  return out;
}
