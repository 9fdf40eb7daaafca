import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt cost per kind of account. Staff accounts use N=2^15 (~80 ms here).
 * Candidate accounts use N=2^10 (~2.5 ms): a school's 5,000-row roster must
 * hash within one request and a whole exam site logs in at once on two cores;
 * those passwords are exam-day codes handed out on paper, and the per-account
 * lockout stops online guessing. The parameters are stored in every hash, so
 * either cost can change without a migration (old hashes keep verifying).
 */
export const COST = {
  staff: { N: 2 ** 15, r: 8, p: 1 },
  candidate: { N: 2 ** 10, r: 8, p: 1 },
} as const;

export type CostKind = keyof typeof COST;

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...options, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string, kind: CostKind = 'staff'): Promise<string> {
  const { N, r, p } = COST[kind];
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await scryptAsync(password, salt, { N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real staff password, so that an unknown
 * username cannot be told from a wrong password by timing.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('not-a-real-password');
  await verifyPassword(password, await dummy);
}
