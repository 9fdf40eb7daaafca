import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt cost per kind of account. Staff accounts use N=2^15 (~80 ms here).
 * Candidate accounts use N=2^10 (~2.5 ms): a school's 5,000-row roster must
 * hash within one request and a whole exam site logs in at once on two cores;
 * those passwords are exam-day codes handed out on paper, and the per-account
 * lockout stops online guessing. The parameters are stored in every hash, so
 * either cost can change without a migration (old hashes keep verifying).
 * A wrong password costs the same for every account (checkLoginPassword).
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

/** One stand-in hash per cost, made on first use, for the refusals below. */
const standIns = new Map<CostKind, Promise<string>>();

function standIn(kind: CostKind): Promise<string> {
  let hash = standIns.get(kind);
  if (!hash) standIns.set(kind, (hash = hashPassword('not-a-real-password', kind)));
  return hash;
}

function hasCost(stored: string, kind: CostKind): boolean {
  const [, N, r, p] = stored.split('$').map(Number);
  const cost = COST[kind];
  return N === cost.N && r === cost.r && p === cost.p;
}

/**
 * A login's password check. Every refusal does the same work: one scrypt at
 * each cost of {@link COST}, the account's own hash standing for its cost and
 * stand-ins for the others (for all of them when the username is unknown), so
 * that neither time nor load tells a candidate's account from a staff
 * member's, a deactivated one or a username nobody has. The right password of
 * an active account answers after its own hash alone: candidates' logins stay cheap.
 */
export async function checkLoginPassword(password: string, stored: string | null, active: boolean): Promise<boolean> {
  const right = stored !== null && (await verifyPassword(password, stored));
  if (right && active) return true;
  for (const kind of Object.keys(COST) as CostKind[]) {
    if (stored === null || !hasCost(stored, kind)) await verifyPassword(password, await standIn(kind));
  }
  return false;
}
