import type { Redis } from 'ioredis';

export interface LockoutLimits {
  /** Wrong passwords for one account from one address before that address is locked out of it. @defaultValue 5 */
  maxFailures: number;
  /** Wrong passwords for one account from all addresses together before the whole account is locked. @defaultValue 20 */
  maxFailuresTotal: number;
  /** How long a lock lasts, in seconds. @defaultValue 900 */
  lockSeconds: number;
}

/** A lock in force: until when (ms since the epoch) and how long that is from now. */
export interface Lock {
  untilMs: number;
  remainingMs: number;
}

// Redis time, so that every API process agrees on when a lock ends.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the account's hash; ARGV[1] the address. Returns the ms until the later of the address's and the account's lock, or 0. */
const CHECK = `${NOW}
local v = redis.call('HMGET', KEYS[1], 'u:' .. ARGV[1], 'u:*')
local u = math.max(tonumber(v[1] or 0), tonumber(v[2] or 0))
if u > now then return {u, u - now} end
return {0, 0}`;

/**
 * KEYS[1] the account's hash, KEYS[2] (only for an existing account) its lock
 * marker; ARGV: address, lock ms, per-address limit, total limit. Counts the
 * failure; at a limit, locks (and starts that counter again). Returns the end
 * of the lock it set (or 0), and the address's and the account's failure counts.
 */
const FAIL = `${NOW}
local lockMs = tonumber(ARGV[2])
local n = redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[1], 1)
local total = redis.call('HINCRBY', KEYS[1], 'n:*', 1)
local untilMs = 0
if n >= tonumber(ARGV[3]) then
  untilMs = now + lockMs
  redis.call('HSET', KEYS[1], 'u:' .. ARGV[1], untilMs, 'n:' .. ARGV[1], 0)
end
if total >= tonumber(ARGV[4]) then
  untilMs = now + lockMs
  redis.call('HSET', KEYS[1], 'u:*', untilMs, 'n:*', 0)
end
redis.call('PEXPIRE', KEYS[1], lockMs)
if untilMs > 0 and #KEYS > 1 then redis.call('SET', KEYS[2], untilMs, 'PX', lockMs) end
return {untilMs, n, total}`;

/**
 * Wrong-password lockout, in Redis. Failures count per account and address:
 * a stranger elsewhere cannot lock a candidate out of the school's address,
 * and each address gets `maxFailures` guesses per lock period. All addresses
 * together get `maxFailuresTotal`, after which the account is locked for
 * every address, so guessing from many addresses stays bounded too. A lock
 * lasts `lockSeconds`; counters live until `lockSeconds` pass without a
 * failure. A proctor can lift a lock at once (`unlock`).
 *
 * Keys: `login:fails:<username>` (a hash: `n:<address>` and `n:*` count,
 * `u:<address>` and `u:*` hold lock ends) for any username, known or not, so
 * that locking does not tell them apart; and `login:locked:<userId>` (the
 * latest lock's end) for existing accounts, which the monitor reads.
 */
export class LoginLockout {
  constructor(
    private readonly redis: Redis,
    private readonly limits: LockoutLimits,
  ) {}

  /** The lock that keeps this address out of this account, if any. */
  async check(usernameKey: string, address: string): Promise<Lock | null> {
    const [untilMs, remainingMs] = (await this.redis.eval(CHECK, 1, failsKey(usernameKey), address)) as [number, number];
    return remainingMs > 0 ? { untilMs, remainingMs } : null;
  }

  /** Counts a wrong password: the end of the lock it caused (ms) or null, and the failures so far from this address and from all. */
  async failed(usernameKey: string, address: string, userId: string | null): Promise<{ lockedUntilMs: number | null; failures: number; failuresTotal: number }> {
    const keys = userId ? [failsKey(usernameKey), lockedKey(userId)] : [failsKey(usernameKey)];
    const { maxFailures, maxFailuresTotal, lockSeconds } = this.limits;
    const [untilMs, failures, failuresTotal] = (await this.redis.eval(FAIL, keys.length, ...keys, address, lockSeconds * 1000, maxFailures, maxFailuresTotal)) as [number, number, number];
    return { lockedUntilMs: untilMs > 0 ? untilMs : null, failures, failuresTotal };
  }

  /** A right password: this address starts counting again (the account's total does not). */
  async succeeded(usernameKey: string, address: string): Promise<void> {
    await this.redis.hdel(failsKey(usernameKey), `n:${address}`);
  }

  /** Lifts every lock of the account and forgets its failures. Returns when the latest lock would have ended, if one was in force. */
  async unlock(usernameKey: string, userId: string): Promise<Date | null> {
    const [[, marker]] = (await this.redis.multi().get(lockedKey(userId)).del(failsKey(usernameKey), lockedKey(userId)).exec()) as [[Error | null, string | null]];
    const untilMs = Number(marker);
    return marker && untilMs > Date.now() ? new Date(untilMs) : null;
  }

  /** Of these users, those locked out (from any address), with when their latest lock ends. */
  async lockedUntil(userIds: readonly string[]): Promise<Map<string, Date>> {
    const out = new Map<string, Date>();
    if (userIds.length === 0) return out;
    const values = await this.redis.mget(userIds.map(lockedKey));
    const now = Date.now();
    userIds.forEach((id, i) => {
      const untilMs = Number(values[i]);
      if (values[i] && untilMs > now) out.set(id, new Date(untilMs));
    });
    return out;
  }
}

function failsKey(usernameKey: string): string {
  return `login:fails:${usernameKey}`;
}

function lockedKey(userId: string): string {
  return `login:locked:${userId}`;
}

/** "14 min 59 s", "15 min", "40 s": a wait as people read it. */
export function waitText(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return [m > 0 ? `${m} min` : '', s > 0 || m === 0 ? `${s} s` : ''].filter(Boolean).join(' ');
}
