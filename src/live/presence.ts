/**
 * What API processes tell each other through Redis, and the live view of an
 * exam that proctors read. Nothing here is needed for an answer to be stored
 * or acknowledged: with Redis away, sockets keep saving to MongoDB and only
 * cross-process notices and the monitor's live columns wait for it.
 *
 * Keys (all under REDIS_KEY_PREFIX):
 * - channel `<prefix>live` — {@link PresenceMessage}s to every API process;
 * - hash `live:mon:<examId>` — candidateId → {@link LiveEntry}, written by the
 *   process that holds the candidate's socket (buffered, written within 200 ms);
 * - hash `live:sub:<examId>` — candidateId → {@link SubmittedEntry}, written
 *   only when an attempt is handed in, so a late live write cannot undo it;
 * - string `live:st:<attemptId>` — `<n>|<state JSON>`: the attempt's live state
 *   as the fold of its log up to entry n (see replay.ts), so a resume needs no
 *   read of the log. Never newer than the log (written after the write it
 *   reflects); an older one is caught by the join's own write (see
 *   LiveService.join), so it is a cache in the strict sense.
 */
import type { Redis } from 'ioredis';
import type { EventCounts, SubmitReason } from '../attempts/attempt-model.js';

export type PresenceMessage =
  /** A newer connection (generation `gen`) took the attempt over: close older sockets. */
  | { t: 'replaced'; attemptId: string; gen: number }
  /** The deadline moved. */
  | { t: 'time'; attemptId: string; endsAt: string }
  /** The attempt was handed in (by the candidate elsewhere, or at the deadline). */
  | { t: 'submitted'; attemptId: string; at: string; reason: SubmitReason };

export interface LiveEntry {
  connected: boolean;
  answered: number;
  lastSeq: number;
  lastSeenAt: string | null;
  events: EventCounts;
  /** Connections that joined so far (the first one and every reload or reconnect). */
  joins?: number;
  /** The process holding the socket. */
  owner: string;
  /** When the holder last confirmed the socket (ms since epoch). */
  hb: number;
  /** Generation of the connection: an entry is only replaced by one of the same or a newer connection. */
  gen: number;
}

export interface SubmittedEntry {
  at: string;
  reason: SubmitReason;
  answered: number;
  events: EventCounts;
  joins?: number;
}

/** HSET unless the stored entry belongs to a newer connection (higher `gen`). */
const SET_IF_NEWER = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local g = tonumber(string.match(cur, '"gen":(%d+)'))
  if g and g > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** SET unless the stored state is of a later log position (a replaced socket's last flush). */
const SET_STATE_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local n = tonumber(string.match(cur, '^(%d+)|'))
  if n and n > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1`;

/**
 * The two scripts as client commands: ioredis sends EVALSHA (the script's
 * text once per connection), so Redis neither receives nor hashes the Lua
 * source with every monitor write.
 */
const SCRIPTS = { liveSetIfNewer: SET_IF_NEWER, liveSetStateIfNewer: SET_STATE_IF_NEWER } as const;
type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (key: string, ...args: string[]) => unknown;
type WithScripts = Record<ScriptName, ScriptCall>;

function defineScripts(redis: Redis): void {
  for (const [name, lua] of Object.entries(SCRIPTS)) if (typeof (redis as unknown as Partial<WithScripts>)[name as ScriptName] !== 'function') redis.defineCommand(name, { numberOfKeys: 1, lua });
}

/** Monitor entries expire a day after their last write. */
const ENTRY_TTL_SECONDS = 24 * 3600;

export interface PresenceOptions {
  /** Commands and publishing; a client without keyPrefix (names are prefixed here). */
  redis: Redis;
  /** A dedicated connection for SUBSCRIBE; absent in workers, which only publish. */
  subscriber?: Redis;
  /** REDIS_KEY_PREFIX. */
  prefix: string;
  /** How often buffered entries are written, in ms; often, so each write is small. @defaultValue 200 */
  flushMs?: number;
  warn: (msg: string, err?: unknown) => void;
}

export class LivePresence {
  readonly channel: string;
  private readonly pending = new Map<string, { examId: string; candidateId: string; entry: LiveEntry }>();
  private readonly pendingStates = new Map<string, () => { n: number; json: string }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private handler: ((msg: PresenceMessage) => void) | null = null;

  constructor(private readonly opts: PresenceOptions) {
    this.channel = `${opts.prefix}live`;
    defineScripts(opts.redis);
  }

  private key(kind: 'mon' | 'sub' | 'st', id: string): string {
    return `${this.opts.prefix}live:${kind}:${id}`;
  }

  /** Subscribes and starts the write-behind of live entries. */
  async start(onMessage: (msg: PresenceMessage) => void): Promise<void> {
    this.handler = onMessage;
    const sub = this.opts.subscriber;
    if (sub) {
      sub.on('message', (channel: string, text: string) => {
        if (channel !== this.channel || !this.handler) return;
        let msg: PresenceMessage;
        try {
          msg = JSON.parse(text) as PresenceMessage;
        } catch {
          return;
        }
        this.handler(msg);
      });
      await sub.subscribe(this.channel);
    }
    this.flushTimer = setInterval(() => {
      // One write at a time keeps a candidate's entries in order.
      if (!this.flushing) this.flushing = this.flush().finally(() => (this.flushing = null));
    }, this.opts.flushMs ?? 200);
  }

  /**
   * Tells every process. Best effort by design: a notice lost while Redis is
   * away is made good by the attempt log (a replaced socket's next write
   * meets the newer join; a moved deadline is read at the next write).
   */
  async publish(msg: PresenceMessage): Promise<void> {
    try {
      await this.opts.redis.publish(this.channel, JSON.stringify(msg));
    } catch (err) {
      this.opts.warn('live: publish failed', err);
    }
  }

  /** Buffers the live entry of a candidate; written within a flush interval. */
  setLive(examId: string, candidateId: string, entry: LiveEntry): void {
    this.pending.set(`${examId}\u0000${candidateId}`, { examId, candidateId, entry });
  }

  /**
   * Marks the cached state of an attempt for writing at the next flush;
   * `snapshot` runs then, so many changes in between cost one encoding.
   */
  setState(attemptId: string, snapshot: () => { n: number; json: string }): void {
    this.pendingStates.set(attemptId, snapshot);
  }

  /** Writes the cached state now (the socket closed: a reconnect may come at once). */
  async setStateNow(attemptId: string, n: number, json: string): Promise<void> {
    this.pendingStates.delete(attemptId);
    try {
      await (this.opts.redis as unknown as WithScripts).liveSetStateIfNewer(this.key('st', attemptId), `${n}|${json}`, String(n), String(ENTRY_TTL_SECONDS));
    } catch (err) {
      this.opts.warn('live: state cache write failed', err);
    }
  }

  /** The cached state JSON of an attempt and its log position, or null (absent, or Redis away). */
  async getState(attemptId: string): Promise<{ n: number; json: string } | null> {
    try {
      const raw = await this.opts.redis.get(this.key('st', attemptId));
      if (!raw) return null;
      const bar = raw.indexOf('|');
      const n = Number(raw.slice(0, bar));
      return bar > 0 && Number.isSafeInteger(n) ? { n, json: raw.slice(bar + 1) } : null;
    } catch {
      return null;
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0 && this.pendingStates.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    const states = [...this.pendingStates];
    this.pendingStates.clear();
    const pipeline = this.opts.redis.pipeline();
    const scripts = pipeline as unknown as WithScripts;
    for (const [attemptId, snapshot] of states) {
      const { n, json } = snapshot();
      scripts.liveSetStateIfNewer(this.key('st', attemptId), `${n}|${json}`, String(n), String(ENTRY_TTL_SECONDS));
    }
    const exams = new Set<string>();
    for (const { examId, candidateId, entry } of batch) {
      // A replaced socket's last word must not overwrite its successor's entry (they may live on different processes).
      scripts.liveSetIfNewer(this.key('mon', examId), candidateId, JSON.stringify(entry), String(entry.gen));
      exams.add(examId);
    }
    for (const examId of exams) pipeline.expire(this.key('mon', examId), ENTRY_TTL_SECONDS);
    try {
      await pipeline.exec();
    } catch (err) {
      // Both are caches of what MongoDB holds; they are rewritten on the next change.
      this.opts.warn('live: monitor write failed', err);
    }
  }

  async setSubmitted(examId: string, candidateId: string, entry: SubmittedEntry): Promise<void> {
    try {
      await this.opts.redis
        .pipeline()
        .hset(this.key('sub', examId), candidateId, JSON.stringify(entry))
        .expire(this.key('sub', examId), ENTRY_TTL_SECONDS)
        .exec();
    } catch (err) {
      this.opts.warn('live: monitor write failed', err);
    }
  }

  /** The live and submitted entries of an exam; empty maps when Redis does not answer. */
  async read(examId: string): Promise<{ live: Map<string, LiveEntry>; submitted: Map<string, SubmittedEntry>; ok: boolean }> {
    try {
      const [live, submitted] = await Promise.all([this.opts.redis.hgetall(this.key('mon', examId)), this.opts.redis.hgetall(this.key('sub', examId))]);
      return { live: parseHash<LiveEntry>(live), submitted: parseHash<SubmittedEntry>(submitted), ok: true };
    } catch {
      return { live: new Map(), submitted: new Map(), ok: false };
    }
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    if (this.flushing) await this.flushing;
    await this.flush();
    this.handler = null;
    if (this.opts.subscriber) await this.opts.subscriber.unsubscribe(this.channel).catch(() => {});
  }
}

function parseHash<T>(hash: Record<string, string>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [k, v] of Object.entries(hash)) {
    try {
      out.set(k, JSON.parse(v) as T);
    } catch {
      // A malformed cache entry is treated as absent; MongoDB answers instead.
    }
  }
  return out;
}
