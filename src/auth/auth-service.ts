import type { Redis } from 'ioredis';
import { InvalidCredentials, RateLimited, Unauthenticated } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import type { UserModel } from '../users/user-model.js';
import { userView, type UserService, type UserView } from '../users/user-service.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import type { TokenService } from './tokens.js';
import { UserReader } from './user-reader.js';

export interface LoginLimits {
  /** Wrong passwords before the account is locked. @defaultValue 5 */
  maxFailures: number;
  /** Lock duration in seconds. @defaultValue 900 */
  lockSeconds: number;
}

/** Login, logout and turning a bearer token into a {@link Principal}. */
export class AuthService {
  /** Token checks read their user through this: batched under load (a join storm). */
  private readonly reader: UserReader;

  constructor(
    private readonly User: UserModel,
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly redis: Redis,
    private readonly limits: LoginLimits,
  ) {
    this.reader = new UserReader(User);
  }

  async login(username: string, password: string): Promise<{ token: string; user: UserView }> {
    const failKey = `login:fail:${username.toLowerCase()}`;
    const failures = Number(await this.redis.get(failKey));
    if (failures >= this.limits.maxFailures) {
      const ttl = await this.redis.ttl(failKey);
      throw new RateLimited('Too many wrong passwords for this account; try again later', ttl > 0 ? ttl : this.limits.lockSeconds);
    }
    const user = await this.users.findByUsername(username);
    let ok = false;
    if (user && user.active) ok = await verifyPassword(password, user.passwordHash);
    else await burnPasswordCheck(password);
    if (!ok) {
      const count = await this.redis.incr(failKey);
      if (count === 1 || count >= this.limits.maxFailures) await this.redis.expire(failKey, this.limits.lockSeconds);
      throw new InvalidCredentials();
    }
    await this.redis.del(failKey);
    const { token } = this.tokens.issue(user!._id);
    return { token, user: userView(user!) };
  }

  async authenticate(token: string): Promise<Principal> {
    const claims = await this.tokens.check(token);
    const user = await this.reader.read(claims.sub);
    if (!user || !user.active) throw new Unauthenticated('Account is not active');
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
   * in progress is not cut off by the token's lifetime. One user read and one
   * Redis round trip for the lot.
   */
  async revokedAmong(tokens: readonly { userId: string; jti: string; iatMs: number }[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (tokens.length === 0) return out;
    const userIds = [...new Set(tokens.map((t) => t.userId))];
    const users = new Map((await this.User.find({ _id: { $in: userIds } }, { active: 1, tokensValidAfter: 1 }).lean()).map((u) => [u._id, u]));
    const loggedOut = await this.tokens.revokedJtis(tokens.map((t) => t.jti));
    for (const t of tokens) {
      const u = users.get(t.userId);
      if (!u || !u.active || loggedOut.has(t.jti) || (u.tokensValidAfter && t.iatMs < u.tokensValidAfter.getTime())) out.add(t.jti);
    }
    return out;
  }
}
