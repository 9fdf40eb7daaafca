import type { Redis } from 'ioredis';
import { InvalidCredentials, RateLimited, Unauthenticated } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import type { UserModel } from '../users/user-model.js';
import { userView, type UserService, type UserView } from '../users/user-service.js';
import { burnPasswordCheck, verifyPassword } from './passwords.js';
import type { TokenService } from './tokens.js';

export interface LoginLimits {
  /** Wrong passwords before the account is locked. @defaultValue 5 */
  maxFailures: number;
  /** Lock duration in seconds. @defaultValue 900 */
  lockSeconds: number;
}

/** Login, logout and turning a bearer token into a {@link Principal}. */
export class AuthService {
  constructor(
    private readonly User: UserModel,
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly redis: Redis,
    private readonly limits: LoginLimits,
  ) {}

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
    const user = await this.User.findById(claims.sub).lean();
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
    };
    if (user.studentId) principal.studentId = user.studentId;
    return principal;
  }

  async logout(principal: Principal): Promise<void> {
    await this.tokens.revoke(principal);
  }
}
