import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { Redis } from 'ioredis';
import { Unauthenticated } from '../errors.js';

export interface TokenClaims {
  sub: string;
  jti: string;
  iat: number;
  /** Issue time in milliseconds: revocation by time must not round to a whole second. */
  iatMs?: number;
  exp: number;
}

/**
 * Bearer tokens: HS256 JWTs with an expiry, revocable at once through Redis
 * (every API process checks the same revocation keys).
 */
export class TokenService {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => TokenClaims;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly redis: Redis,
  ) {
    this.sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: ttlSeconds * 1000 });
    this.verify = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['sub', 'jti', 'exp'] });
  }

  issue(userId: string): { token: string; jti: string } {
    const jti = randomUUID();
    return { token: this.sign({ sub: userId, jti, iatMs: Date.now() }), jti };
  }

  /** Checks signature, expiry and revocation; throws Unauthenticated. */
  async check(token: string): Promise<TokenClaims> {
    let claims: TokenClaims;
    try {
      claims = this.verify(token);
    } catch (err) {
      const expired = (err as { code?: string }).code === 'FAST_JWT_EXPIRED';
      throw new Unauthenticated(expired ? 'Token expired' : 'Invalid token');
    }
    if (await this.redis.exists(`revoked:${claims.jti}`)) throw new Unauthenticated('Token revoked');
    return claims;
  }

  /** Which of these token ids were revoked (logged out). */
  async revokedJtis(jtis: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(jtis)];
    if (unique.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const jti of unique) pipeline.exists(`revoked:${jti}`);
    const replies = (await pipeline.exec()) ?? [];
    const out = new Set<string>();
    replies.forEach(([err, n], i) => {
      if (err) throw err;
      if (n === 1) out.add(unique[i]!);
    });
    return out;
  }

  async revoke(claims: Pick<TokenClaims, 'jti' | 'exp'>): Promise<void> {
    const ttl = Math.max(1, claims.exp - Math.floor(Date.now() / 1000));
    await this.redis.set(`revoked:${claims.jti}`, '1', 'EX', ttl);
  }

  get lifetimeSeconds(): number {
    return this.ttlSeconds;
  }
}
