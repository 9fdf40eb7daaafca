import { createHash, createHmac } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { ValidationFailed } from '../errors.js';
import type { AuditModel, AuditRecord } from './audit-model.js';
import type { ChainHead, ChainHeads } from './chain-heads.js';

/** Who did it, from where: taken from the request by the routes. */
export interface AuditContext {
  actorId: string | null;
  actorRole?: string;
  actorOrgId?: string;
  requestId?: string;
  ip?: string;
  /**
   * When the route does not say which grant it used: the roles the action
   * needs and the caller's grants. The record names the first grant among
   * them held at the chain's organisation or above.
   */
  acting?: { roles: readonly string[]; grants: readonly { role: string; orgId: string }[] };
}

export interface AuditEntry {
  /** The organisation whose chain records it (the owner of the changed thing). */
  orgId: string;
  action: string;
  target: string;
  summary?: Record<string, unknown>;
}

export const GENESIS = '0'.repeat(64);

/** How records are sealed now; records without `alg` are the unkeyed SHA-256 kind written before. */
export const KEYED = 'hmac-sha256';

/**
 * The hash of a record over its canonical JSON, without the hash itself:
 * HMAC-SHA256 under the audit key for keyed records, plain SHA-256 for the
 * unkeyed records of earlier versions (which anyone could recompute).
 */
export function recordHash(record: Omit<AuditRecord, 'hash'>, key: string): string {
  const { _id, chain, seq, at, actorId, actorRole, actorOrgId, action, target, orgPath, summary, requestId, ip, prevHash, alg } = record;
  const canonical = stringify({ _id, chain, seq, at: at.toISOString(), actorId, actorRole, actorOrgId, action, target, orgPath, summary, requestId, ip, prevHash, alg }) ?? '';
  return alg === KEYED ? createHmac('sha256', key).update(canonical).digest('hex') : createHash('sha256').update(canonical).digest('hex');
}

/** What `verify` found; the optional fields appear only when they say something. */
export interface ChainCheck {
  /** Every record holds, none is missing, and the chain reaches its head. */
  ok: boolean;
  /** Records read. */
  checked: number;
  /** `<chain>:<seq>` of the first record that does not hold, or of the first one missing. */
  firstBrokenAt?: string;
  /** The chain ends before its head: its newest records were deleted. */
  truncated?: true;
  /** How many records are missing at the end, when truncated. */
  missing?: number;
  /** No head to compare with (Redis lost it, or the chain predates heads): deletions at the end cannot be ruled out. */
  headMissing?: true;
  /** Records at the start of the chain written unkeyed, before the chain was keyed. */
  legacy?: number;
}

/** The audit key and where chain heads are kept. */
export interface AuditSeal {
  key: string;
  heads: ChainHeads;
}

const MAX_APPEND_TRIES = 50;

/** What the audit trail needs of the organisation tree: an organisation's path from the root (null when unknown). */
export interface OrgPaths {
  pathOf(orgId: string): Promise<string[] | null>;
}

/**
 * The append-only, hash-chained audit trail. No transactions are needed: the
 * record's `_id` is its chain position, so a concurrent append at the same
 * position fails on the unique `_id` and retries on top of the winner.
 * Records are sealed with HMAC-SHA256 under AUDIT_KEY, and each chain's head
 * (newest seq and its MAC) is kept in Redis, so that neither a rewrite with
 * recomputed hashes nor a deletion of the newest records passes `verify`.
 */
export class AuditService {
  /** Appends in flight per chain in this process: one at a time, instead of racing each other for the next seq. */
  private readonly appending = new Map<string, Promise<unknown>>();

  constructor(
    private readonly Audit: AuditModel,
    private readonly orgs: OrgPaths,
    private readonly seal: AuditSeal,
  ) {}

  async record(ctx: AuditContext, entry: AuditEntry): Promise<AuditRecord> {
    const before = this.appending.get(entry.orgId) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => this.append(ctx, entry));
    this.appending.set(entry.orgId, run);
    try {
      return await run;
    } finally {
      if (this.appending.get(entry.orgId) === run) this.appending.delete(entry.orgId);
    }
  }

  private async append(ctx: AuditContext, entry: AuditEntry): Promise<AuditRecord> {
    const orgPath = (await this.orgs.pathOf(entry.orgId)) ?? [entry.orgId];
    for (let attempt = 0; attempt < MAX_APPEND_TRIES; attempt++) {
      const last = await this.tail(entry.orgId);
      const seq = (last?.seq ?? 0) + 1;
      const base: Omit<AuditRecord, 'hash'> = {
        _id: `${entry.orgId}:${seq}`,
        chain: entry.orgId,
        seq,
        at: new Date(),
        actorId: ctx.actorId,
        action: entry.action,
        target: entry.target,
        orgPath,
        prevHash: last?.hash ?? GENESIS,
        alg: KEYED,
      };
      const used = ctx.actorRole ? { role: ctx.actorRole, orgId: ctx.actorOrgId } : grantUsed(ctx.acting, orgPath);
      if (used?.role) base.actorRole = used.role;
      if (used?.orgId) base.actorOrgId = used.orgId;
      if (entry.summary) base.summary = entry.summary;
      if (ctx.requestId) base.requestId = ctx.requestId;
      if (ctx.ip) base.ip = ctx.ip;
      const record: AuditRecord = { ...base, hash: recordHash(base, this.seal.key) };
      try {
        await this.Audit.collection.insertOne(record as never);
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
        continue;
      }
      await this.seal.heads.advance(record.chain, { seq, hash: record.hash });
      return record;
    }
    throw new Error(`audit chain ${entry.orgId} is too busy`);
  }

  /** Highest seq known per chain in this process: records are never removed, so it only grows. */
  private readonly known = new Map<string, number>();

  /**
   * The last record of a chain, found by `_id` lookups only (`chain:seq`): from
   * the last seq this process knows, step forward; without one, gallop and
   * bisect. A `find` sorted on `seq` would be one query on MongoDB but a scan
   * of the whole collection on FerretDB, on every audited write.
   */
  private async tail(chain: string): Promise<{ seq: number; hash: string } | null> {
    const at = (seq: number) => this.Audit.findOne({ _id: `${chain}:${seq}` }, { seq: 1, hash: 1 }).lean<{ seq: number; hash: string }>();
    let seq = this.known.get(chain) ?? 0;
    let last = seq > 0 ? await at(seq) : null;
    if (!last) {
      // Gallop to a missing position, then bisect between the last present and it.
      let lo = 0;
      let hi = 1;
      while (await at(hi)) {
        lo = hi;
        hi *= 2;
      }
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await at(mid)) lo = mid;
        else hi = mid;
      }
      seq = lo;
      last = lo > 0 ? await at(lo) : null;
    }
    for (;;) {
      const next = await at(seq + 1);
      if (!next) break;
      last = next;
      seq += 1;
    }
    this.known.set(chain, seq);
    return last;
  }

  /**
   * Walks a chain in order and checks every link and seal, then compares the
   * end with the head kept in Redis. The head is read first: a record appended
   * meanwhile is then beyond it, never mistaken for a gap.
   */
  async verify(chain: string): Promise<ChainCheck> {
    const head = await this.seal.heads.get(chain);
    const walked = await this.walk(chain, head);
    const out: ChainCheck = { ok: walked.firstBrokenAt === undefined, checked: walked.checked };
    if (walked.firstBrokenAt !== undefined) out.firstBrokenAt = walked.firstBrokenAt;
    else if (!head) {
      out.ok = false;
      out.headMissing = true;
    } else if (walked.lastSeq < head.seq) {
      out.ok = false;
      out.firstBrokenAt = `${chain}:${walked.lastSeq + 1}`;
      out.truncated = true;
      out.missing = head.seq - walked.lastSeq;
    }
    if (walked.legacy > 0) out.legacy = walked.legacy;
    return out;
  }

  /**
   * The records in seq order: each must sit at its position, link to the one
   * before and carry a valid seal; unkeyed records only before the first keyed
   * one; the record at the head's seq must be the head.
   */
  private async walk(chain: string, head: ChainHead | null): Promise<{ checked: number; lastSeq: number; legacy: number; firstBrokenAt?: string }> {
    let checked = 0;
    let legacy = 0;
    let prevHash = GENESIS;
    let expectedSeq = 1;
    let keyed = false;
    const cursor = this.Audit.find({ chain }).sort({ seq: 1 }).lean().cursor();
    for await (const record of cursor) {
      checked++;
      const { hash, ...rest } = record as AuditRecord;
      const sealed = rest.alg === KEYED;
      if (sealed) keyed = true;
      else legacy++;
      const broken =
        record.seq !== expectedSeq ||
        record._id !== `${chain}:${record.seq}` ||
        record.prevHash !== prevHash ||
        (rest.alg !== undefined && !sealed) ||
        (keyed && !sealed) ||
        recordHash({ ...rest, at: new Date(record.at) }, this.seal.key) !== hash ||
        (head !== null && record.seq === head.seq && hash !== head.hash);
      if (broken) {
        await cursor.close();
        // A missing record shows as a gap: the break is at the first absent position.
        const at = record.seq !== expectedSeq ? `${chain}:${expectedSeq}` : record._id;
        return { checked, lastSeq: expectedSeq - 1, legacy, firstBrokenAt: at };
      }
      prevHash = hash;
      expectedSeq++;
    }
    return { checked, lastSeq: expectedSeq - 1, legacy };
  }

  /**
   * An administrator's answer to a chain without a usable head (Redis lost it,
   * or the chain was written before heads existed): appends an `audit.anchor`
   * record that names the head it replaces and what the stored chain looked
   * like, and makes that record the head. Whatever the chain lost before this
   * can no longer be detected as truncation; the record says so to any reader.
   */
  async anchor(ctx: AuditContext, chain: string): Promise<{ chain: string; seq: number; hash: string; replaced: ChainHead | null }> {
    const replaced = await this.seal.heads.get(chain);
    const walked = await this.walk(chain, null);
    const record = await this.record(ctx, {
      orgId: chain,
      action: 'audit.anchor',
      target: `audit:${chain}`,
      summary: {
        previousHead: replaced,
        storedEnd: walked.lastSeq,
        verified: { ok: walked.firstBrokenAt === undefined, checked: walked.checked, ...(walked.firstBrokenAt ? { firstBrokenAt: walked.firstBrokenAt } : {}) },
      },
    });
    await this.seal.heads.replace(chain, { seq: record.seq, hash: record.hash });
    // Appends that landed after the anchor and before the replace chain onto it: move the head up to them.
    const last = await this.tail(chain);
    if (last && last.seq > record.seq) await this.seal.heads.advance(chain, last);
    return { chain, seq: record.seq, hash: record.hash, replaced };
  }

  async search(filter: { orgIds: string[]; target?: string; actor?: string; from?: Date; to?: Date; cursor?: string; limit: number }) {
    const query: Record<string, unknown> = { orgPath: { $in: filter.orgIds } };
    if (filter.target) query.target = filter.target;
    if (filter.actor) query.actorId = filter.actor;
    if (filter.from || filter.to) {
      query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    }
    // Newest first; the cursor is the (at, _id) of the last record returned.
    if (filter.cursor) {
      const [atMs, id] = decodeCursor(filter.cursor);
      query.$or = [{ at: { $lt: new Date(atMs) } }, { at: new Date(atMs), _id: { $lt: id } }];
    }
    const records = await this.Audit.find(query).sort({ at: -1, _id: -1 }).limit(filter.limit + 1).lean();
    const page = records.slice(0, filter.limit);
    const last = page[page.length - 1];
    return { records: page, nextCursor: records.length > filter.limit && last ? encodeCursor(last.at.getTime(), last._id) : null };
  }
}

/** The grant an action was taken under: one of the needed roles, held at the organisation or above (nearest first). */
function grantUsed(acting: AuditContext['acting'], orgPath: readonly string[]): { role: string; orgId: string } | undefined {
  if (!acting) return undefined;
  const held = acting.grants.filter((g) => acting.roles.includes(g.role) && orgPath.includes(g.orgId));
  held.sort((a, b) => orgPath.indexOf(b.orgId) - orgPath.indexOf(a.orgId));
  return held[0];
}

function encodeCursor(atMs: number, id: string): string {
  return Buffer.from(JSON.stringify([atMs, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  throw new ValidationFailed('Invalid cursor', [{ instancePath: '/cursor', message: 'is not a cursor this server issued' }]);
}
