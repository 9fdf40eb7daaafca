import type { Redis } from 'ioredis';
import { InvalidCredentials, RateLimited, Unauthenticated } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import type { User, UserModel } from '../users/user-model.js';
import { userView, type UserService, type UserView } from '../users/user-service.js';
import { LoginLockout, waitText, type LockoutLimits } from './lockout.js';
import { checkLoginPassword } from '../users/passwords.js';
import type { TokenService } from './tokens.js';
import { UserReader } from './user-reader.js';
import { nativeOf, readMany } from '../infra/store.js';
import type { LoginEvent } from './login-audit.js';

/** Where a login came from: the address its lockout counts against, and the request for its audit records. */
export interface LoginOrigin {
  ip: string;
  requestId?: string;
}

/** What a socket join needs of a token: whose it is, and which it is. */
export interface SocketIdentity {
  userId: string;
  jti: string;
  iatMs: number;
}

/** How long a user's status stays in the Redis status cache, in s (a change replaces it at once). */
export const USER_STATUS_TTL_S = 600;
/** Least time between two whole-roster status reads of one roster in one process, in ms. */
const WARM_AGAIN_MS = 60_000;
const CHANGED = 'changed';

/** The users a socket join may belong to (an exam's roster), read only when the cache misses. */
export interface Roster {
  key: string;
  ids: () => Promise<readonly string[] | null>;
}

type StatusFields = Pick<User, '_id' | 'active' | 'tokensValidAfter'>;

/** Login, logout and turning a bearer token into a {@link Principal}. */
export class AuthService {
  /** Token checks read their user through this: a bounded number at once under load (a join storm). */
  private readonly reader: UserReader;
  /** Roster status reads in flight, by roster key (see `warm`). */
  private readonly warming = new Map<string, { read: Promise<Map<string, UserStatus>> }>();
  /** When each roster was last read whole, by roster key. */
  private readonly warmedAt = new Map<string, number>();
  /** Wrong-password locks, per account and address. */
  readonly lockout: LoginLockout;

  constructor(
    private readonly User: UserModel,
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly redis: Redis,
    private readonly limits: LockoutLimits,
    /** Records failed logins and lockouts (see login-audit.ts). */
    private readonly recordEvent: (origin: LoginOrigin, event: LoginEvent) => Promise<void> = async () => undefined,
  ) {
    this.reader = new UserReader(User);
    this.lockout = new LoginLockout(redis, limits);
  }

  /** Logs in from `address` (the client's); wrong passwords lock that address out of the account (see LoginLockout). */
  async login(username: string, password: string, origin: LoginOrigin): Promise<{ token: string; user: UserView }> {
    const key = username.toLowerCase();
    const address = origin.ip;
    const lock = await this.lockout.check(key, address);
    if (lock) {
      const seconds = Math.ceil(lock.remainingMs / 1000);
      throw new RateLimited(`Too many wrong passwords for this account; try again in ${waitText(seconds)}, or ask a proctor to unlock it`, seconds);
    }
    const user = await this.users.findByUsername(username);
    const ok = await checkLoginPassword(password, user?.passwordHash ?? null, user?.active ?? false);
    if (!ok || !user) {
      const { lockedUntilMs, failures } = await this.lockout.failed(key, address, user?._id ?? null);
      const who = user ? { _id: user._id, roles: user.roles } : null;
      await this.recordEvent(origin, { kind: 'login_failed', username, user: who, failures });
      if (lockedUntilMs !== null) await this.recordEvent(origin, { kind: 'lockout', username, user: who, failures, lockSeconds: this.limits.lockSeconds });
      throw new InvalidCredentials();
    }
    await this.lockout.succeeded(key, address);
    const { token } = this.tokens.issue(user._id);
    // The socket join that usually follows a login finds the status here instead of reading the user again.
    await this.rememberStatus(user);
    return { token, user: userView(user) };
  }

  /**
   * The token check of a socket join, which needs the user's id and whether
   * the token still holds, not the roles: the user's status (active, tokens
   * valid after) comes from a Redis cache that login fills and every change of
   * it replaces with a tombstone (`userChanged`), else from the database. A
   * join storm of thousands thus reads no user document. A status the change
   * could not replace (Redis away at that moment) lives at most
   * USER_STATUS_TTL_S, and the periodic socket check (`revokedAmong`,
   * database) ends such a socket at its next round anyway.
   */
  async checkSocketToken(token: string, roster?: Roster): Promise<SocketIdentity> {
    const claims = await this.tokens.check(token);
    const iatMs = claims.iatMs ?? claims.iat * 1000;
    let status = await this.cachedStatus(claims.sub);
    // A failed roster read leaves each join to read its own user.
    if (!status && roster) status = (await this.warm(roster)?.catch(() => null))?.get(claims.sub) ?? null;
    if (!status) {
      const user = await this.reader.read(claims.sub);
      if (!user) throw new Unauthenticated('Account is not active');
      status = await this.rememberStatus(user);
    }
    if (!status.active) throw new Unauthenticated('Account is not active');
    if (status.validAfterMs && iatMs < status.validAfterMs) throw new Unauthenticated('Token revoked');
    return { userId: claims.sub, jti: claims.jti, iatMs };
  }

  /**
   * Marks a user whose activity or token validity changed: the status cache
   * holds a tombstone instead of a status for USER_STATUS_TTL_S, so a read
   * that started before the change cannot put the old status back (statuses
   * are only ever written where no entry is), and checks read the database.
   */
  async userChanged(userId: string): Promise<void> {
    await this.redis.set(statusKey(userId), CHANGED, 'EX', USER_STATUS_TTL_S);
  }

  private async cachedStatus(userId: string): Promise<UserStatus | null> {
    try {
      const raw = await this.redis.get(statusKey(userId));
      return raw && raw !== CHANGED ? (JSON.parse(raw) as UserStatus) : null;
    } catch {
      // Redis away: the database answers instead.
      return null;
    }
  }

  private async rememberStatus(user: StatusFields): Promise<UserStatus> {
    const status = statusOf(user);
    try {
      await this.redis.set(statusKey(user._id), JSON.stringify(status), 'EX', USER_STATUS_TTL_S, 'NX');
    } catch {
      // Only a cache: the next check reads the database again.
    }
    return status;
  }

  /**
   * The first joins of an exam in a storm all miss the cache: rather than one
   * user read each, the statuses of the whole roster are read together (on
   * FerretDB one pass over the users, on MongoDB `$in` reads) and cached, and
   * every join waiting meanwhile takes its status from that read. At most one
   * such read per roster and process every WARM_AGAIN_MS (a Redis outage
   * must not turn every join into a roster read); otherwise null.
   */
  private warm(roster: Roster): Promise<Map<string, UserStatus>> | null {
    const running = this.warming.get(roster.key);
    if (running) return running.read;
    const last = this.warmedAt.get(roster.key);
    if (last !== undefined && Date.now() - last < WARM_AGAIN_MS) return null;
    this.warmedAt.set(roster.key, Date.now());
    if (this.warmedAt.size > 10_000) this.warmedAt.clear();
    const read = (async () => {
      const out = new Map<string, UserStatus>();
      const ids = await roster.ids();
      if (!ids?.length) return out;
      const users = await readMany(nativeOf<StatusFields>(this.User), ids, { active: 1, tokensValidAfter: 1 });
      const pipeline = this.redis.pipeline();
      for (const u of users.values()) {
        const status = statusOf(u);
        out.set(u._id, status);
        pipeline.set(statusKey(u._id), JSON.stringify(status), 'EX', USER_STATUS_TTL_S, 'NX');
      }
      await pipeline.exec().catch(() => undefined);
      return out;
    })().finally(() => this.warming.delete(roster.key));
    this.warming.set(roster.key, { read });
    return read;
  }

  async authenticate(token: string): Promise<Principal> {
    const claims = await this.tokens.check(token);
    const user = await this.reader.read(claims.sub);
    if (!user?.active) throw new Unauthenticated('Account is not active');
    if (user.tokensValidAfter && (claims.iatMs ?? claims.iat * 1000) < user.tokensValidAfter.getTime()) {
      throw new Unauthenticated('Token revoked');
    }
    const principal: Principal = {
      id: user._id,
      username: user.username,
      displayName: user.displayName,
      roles: user.roles.map((g) => ({ role: g.role, orgId: g.orgId })),
      jti: claims.jti,
      exp: claims.exp,
      iatMs: claims.iatMs ?? claims.iat * 1000,
    };
    if (user.studentId) principal.studentId = user.studentId;
    return principal;
  }

  async logout(principal: Principal): Promise<void> {
    await this.tokens.revoke(principal);
  }

  /**
   * Of these tokens (already accepted once), the ids of those no longer good:
   * logged out, or their user deactivated, gone, or revoked since they were
   * issued (password change, role removal). Expiry is not checked: an exam
   * in progress is not cut off by the token's lifetime. One batch of user
   * reads (`readMany`) and one Redis round trip for the lot.
   */
  async revokedAmong(tokens: readonly SocketIdentity[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (tokens.length === 0) return out;
    const userIds = [...new Set(tokens.map((t) => t.userId))];
    const users = await readMany(nativeOf<StatusFields>(this.User), userIds, { active: 1, tokensValidAfter: 1 });
    const loggedOut = await this.tokens.revokedJtis(tokens.map((t) => t.jti));
    for (const t of tokens) {
      const u = users.get(t.userId);
      if (!u?.active || loggedOut.has(t.jti) || (u.tokensValidAfter && t.iatMs < u.tokensValidAfter.getTime())) out.add(t.jti);
    }
    return out;
  }
}

interface UserStatus {
  active: boolean;
  /** Tokens issued before this instant (ms) are revoked; 0 for none. */
  validAfterMs: number;
}

function statusOf(user: StatusFields): UserStatus {
  return { active: user.active, validAfterMs: user.tokensValidAfter ? new Date(user.tokensValidAfter).getTime() : 0 };
}

function statusKey(userId: string): string {
  return `auth:status:${userId}`;
}
