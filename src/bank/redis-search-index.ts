/**
 * The bank's search index in Redis (`BANK_SEARCH=redis`, the default; the
 * interface is search-index.ts): what lets search and form assembly avoid
 * scanning the item heads.
 *
 * Why it exists: FerretDB 1.24 on SQLite pushes exactly one filter down to
 * SQLite, `{_id: <value>}`; every other find reads and decodes the whole
 * `items` collection (~0.5 ms of FerretDB CPU per stored item per query, see
 * BENCHMARKS.md). MongoDB's own indexes would serve the same queries, but the
 * embedded default is FerretDB, so the engine keeps its own secondary index,
 * addressed by item id, in the Redis every process already uses. The database
 * stays the only truth: the index is derived from it, written after it, and
 * can be rebuilt from it at any time; what it holds beyond ids (head
 * snapshots, immutable revisions) only saves `_id` reads for list views.
 *
 * Layout (every key under REDIS_KEY_PREFIX + `bix:1:`; `1` is the layout
 * version: a process with another layout simply finds no index and builds its own):
 *
 * - `gen` counter, `ready` (the generation that is complete and serves
 *   queries), `building` (the generation being built, a lease with a TTL so
 *   one process builds at a time), `dirty` (sorted set, see below).
 * - per generation G, `G:c` hash id → card `{q: head.seq, k: [its keys]}`;
 *   `G:h` hash id → the head itself as JSON (without tokens): list views
 *   are answered from it, because even an `_id` read costs FerretDB some
 *   5 ms of CPU and a page of 50 would need 100 of them;
 *   `G:p` hash id → the approved revision's draw card (what assembly needs);
 *   `G:d` hash id → `statsVersion|difficulty` (item analysis);
 *   and one sorted set per key of `k`, all scores 0 so members (item ids)
 *   are in id order, which is `_id` order: the cursor of search is the same
 *   `_id > cursor` as the database implementation's, and pages never skip or repeat.
 * - Keys of a head: `s:` subject, `g:` grade, `p:` topic, `l:` level, `y:`
 *   type, `u:` status, `x:` tag, `m:` stimulus, `t:` folded search token;
 *   visibility `va:<creator>`, `vn` (national), `vp:<org>` for every org on
 *   the path of `org`/`subtree` items, `vs:<owner>` for `subtree` items; and
 *   the approved cell `a:subject␟grade␟topic␟level␟type` of the approved revision.
 * - `rev:<itemId>:<n>` (no generation: revisions never change) the revision
 *   document as JSON, written when it is stored and on a read miss, kept 30 days.
 *
 * Search is ∩(facet and token sets) ∩ ∪(the caller's visibility sets),
 * evaluated by one Lua script that walks the smallest side in id order from
 * the cursor and checks the rest with ZMSCORE, a bounded amount of work per
 * call (the caller repeats it when the budget ran out), so Redis never stalls.
 *
 * Maintenance: every head write calls {@link SearchIndex.begin} (an entry
 * `id|nonce` in `dirty`, scored by time) before the database write and
 * {@link SearchIndex.put} after it; the put removes the entry in the same
 * script. A process that dies in between leaves the entry, and
 * {@link RedisSearchIndex.reconcile} (at start and every minute) re-reads those
 * heads from the database. Cards carry `head.seq`, so a put of an older state
 * never overwrites a newer one; statistics carry their own time.
 *
 * Redis keeps nothing on disk here: when `ready` is missing (a restarted or
 * flushed Redis, another layout), queries answer through the database
 * implementation (database-search-index.ts; slow on FerretDB, indexed on
 * MongoDB) while one process rebuilds the index
 * in the background from one streamed pass over the heads; writes meanwhile
 * go to both the serving and the building generation.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { mapLimit, READ_CONCURRENCY } from '../infra/store.js';
import { DatabaseSearchIndex, HEAD_LIST_PROJECTION } from './database-search-index.js';
import type { BankModels, ItemHead, RevisionDoc } from './item-model.js';
import { revisionId } from './item-model.js';
import { ITEM_TYPES, type PoolItem } from './item-types.js';
import { queryTokens } from './search-tokens.js';
import {
  drawFieldsOf,
  poolItemOf,
  usableBy,
  type PoolCard,
  type PoolCell,
  type SearchFilters,
  type SearchIndex,
  type SearchPage,
  type SearchViewer,
} from './search-index.js';

/** Bump when the key layout changes: the old index is then ignored and a new one built. */
const LAYOUT = '1';
/** Candidates one search call may examine before it hands control back (Redis serves others in between). */
const SEARCH_BUDGET = 20_000;
/** Heads per put script call. */
const PUT_BATCH = 250;
/** How long a cached revision document lives without being written again, in seconds. */
const REVISION_TTL_S = 30 * 86_400;
/** How long a builder holds the build lease without renewing it. */
const LEASE_MS = 60_000;

export interface SearchIndexOptions {
  /** Where failures of background work are reported. */
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  /** How often dirty ids are reconciled and the index checked, in ms. @defaultValue 60000 */
  intervalMs?: number;
  /** A dirty entry older than this belongs to a write that died, in ms. @defaultValue 60000 */
  dirtyAgeMs?: number;
}

/** The keys a search asks for: all of `facets`, and at least one of `visible`. */
export interface IndexQuery {
  facets: string[];
  visible: string[];
}

/** A head as the index needs it (tokens included, revisions not). */
export type IndexedHead = ItemHead;

/** Projection of heads for the index: all of it (the snapshot answers list views). */
export const INDEX_PROJECTION = {} as const;

// ---------------------------------------------------------------- keys

const SEP = '\u001f';
export const keyOf = {
  subject: (v: string) => `s:${v}`,
  grade: (v: number) => `g:${v}`,
  topic: (v: string) => `p:${v}`,
  level: (v: number) => `l:${v}`,
  type: (v: string) => `y:${v}`,
  status: (v: string) => `u:${v}`,
  tag: (v: string) => `x:${v}`,
  stimulus: (v: string) => `m:${v}`,
  token: (v: string) => `t:${v}`,
  creator: (v: string) => `va:${v}`,
  national: 'vn',
  onPath: (org: string) => `vp:${org}`,
  subtreeOf: (owner: string) => `vs:${owner}`,
  cell: (subject: string, grade: number, topic: string, level: number, type: string) => `a:${subject}${SEP}${grade}${SEP}${topic}${SEP}${level}${SEP}${type}`,
};

/** Every index key a head belongs to: the mirror of the database implementation's filters (database-search-index.ts, bank-access.ts visibilityFilter). */
export function headKeys(head: IndexedHead): string[] {
  const keys = new Set<string>([
    keyOf.subject(head.subject),
    keyOf.grade(head.grade),
    keyOf.topic(head.topic),
    keyOf.level(head.cognitiveLevel),
    keyOf.type(head.type),
    keyOf.status(head.status),
    keyOf.creator(head.authorId),
  ]);
  for (const tag of head.tags ?? []) keys.add(keyOf.tag(tag));
  if (typeof head.stimulusId === 'string') keys.add(keyOf.stimulus(head.stimulusId));
  for (const token of head.tokens ?? []) keys.add(keyOf.token(token));
  if (head.sharing === 'national') keys.add(keyOf.national);
  if (head.sharing === 'org' || head.sharing === 'subtree') for (const org of head.orgPath) keys.add(keyOf.onPath(org));
  if (head.sharing === 'subtree') keys.add(keyOf.subtreeOf(head.ownerOrgId));
  const a = head.approved;
  if (a) keys.add(keyOf.cell(a.subject, a.grade, a.topic, a.cognitiveLevel, a.type));
  return [...keys];
}

/** The index keys of a search: the same conditions as the database's searchFilter, as sets of ids. */
export function indexQuery(viewer: SearchViewer, filters: SearchFilters): IndexQuery {
  const facets: string[] = [];
  if (filters.subject !== undefined) facets.push(keyOf.subject(filters.subject.normalize('NFC')));
  if (filters.grade !== undefined) facets.push(keyOf.grade(filters.grade));
  if (filters.topic !== undefined) facets.push(keyOf.topic(filters.topic));
  if (filters.cognitiveLevel !== undefined) facets.push(keyOf.level(filters.cognitiveLevel));
  if (filters.type !== undefined) facets.push(keyOf.type(filters.type));
  if (filters.status !== undefined) facets.push(keyOf.status(filters.status));
  if (filters.tag !== undefined) facets.push(keyOf.tag(filters.tag.normalize('NFC')));
  if (filters.stimulusId !== undefined) facets.push(keyOf.stimulus(filters.stimulusId));
  if (filters.q !== undefined) for (const token of queryTokens(filters.q)) facets.push(keyOf.token(token));
  const visible = [keyOf.creator(viewer.id), keyOf.national, ...[...viewer.bankOrgs].map(keyOf.onPath), ...[...viewer.aboveBankOrgs].map(keyOf.subtreeOf)];
  return { facets, visible };
}

// ---------------------------------------------------------------- scripts

/** Live generations: the one serving and the one being built. */
const GENS = `
local function gens(base)
  local out = {}
  local ready = redis.call('GET', base .. 'ready')
  local building = redis.call('GET', base .. 'building')
  if ready then out[#out + 1] = ready end
  if building and building ~= ready then out[#out + 1] = building end
  return out
end
`;

/**
 * KEYS[1] base. ARGV[1] the writer's nonce ('' for none), then groups of six:
 * id, card JSON ('' = the head is gone), pool JSON ('' = not approved),
 * statistics version (-1 = none), statistics difficulty, head JSON.
 */
const PUT = `${GENS}
local base = KEYS[1]
local nonce = ARGV[1]
for _, g in ipairs(gens(base)) do
  local kp = base .. g .. ':'
  local cards, pools, stats, heads = kp .. 'c', kp .. 'p', kp .. 'd', kp .. 'h'
  for i = 2, #ARGV, 6 do
    local id, card, pool, sv, sval = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
    local oldraw = redis.call('HGET', cards, id)
    local old = oldraw and cjson.decode(oldraw) or nil
    if card == '' then
      if old then
        for _, k in ipairs(old.k) do redis.call('ZREM', kp .. k, id) end
        redis.call('HDEL', cards, id)
      end
      redis.call('HDEL', heads, id)
      redis.call('HDEL', pools, id)
      redis.call('HDEL', stats, id)
    else
      local new = cjson.decode(card)
      if (not old) or new.q >= old.q then
        local had = {}
        if old then for _, k in ipairs(old.k) do had[k] = true end end
        local has = {}
        for _, k in ipairs(new.k) do
          has[k] = true
          if not had[k] then redis.call('ZADD', kp .. k, 0, id) end
        end
        if old then for _, k in ipairs(old.k) do if not has[k] then redis.call('ZREM', kp .. k, id) end end end
        redis.call('HSET', cards, id, card)
        redis.call('HSET', heads, id, ARGV[i + 5])
        if pool == '' then redis.call('HDEL', pools, id) else redis.call('HSET', pools, id, pool) end
      end
      if sv >= 0 then
        local cur = redis.call('HGET', stats, id)
        local cv = cur and tonumber(string.match(cur, '^([^|]*)')) or -1
        if sv >= cv then redis.call('HSET', stats, id, ARGV[i + 3] .. '|' .. sval) end
      end
    end
  end
end
if nonce ~= '' then
  for i = 2, #ARGV, 6 do redis.call('ZREM', base .. 'dirty', ARGV[i] .. '|' .. nonce) end
end
return 1
`;

/**
 * KEYS[1] base. ARGV: need, cursor ('' = from the start), budget, nF, facet
 * keys..., nV, visibility keys.... Answers {-1} when no index is ready, else
 * {done, resumeCursor, ids...}: done = 0 means the budget ran out at
 * resumeCursor and the caller continues from there.
 */
const SEARCH = `
local base = KEYS[1]
local ready = redis.call('GET', base .. 'ready')
if not ready then return {-1} end
local kp = base .. ready .. ':'
local need, cursor, budget = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local nF = tonumber(ARGV[4])
local F = {}
for i = 1, nF do
  local key = kp .. ARGV[4 + i]
  local n = redis.call('ZCARD', key)
  if n == 0 then return {1, ''} end
  F[#F + 1] = {key, n}
end
local at = 5 + nF
local V = {}
local sumV = 0
for i = 1, tonumber(ARGV[at]) do
  local key = kp .. ARGV[at + i]
  local n = redis.call('ZCARD', key)
  if n > 0 then V[#V + 1] = {key, n}; sumV = sumV + n end
end
if #V == 0 then return {1, ''} end
table.sort(F, function(a, b) return a[2] < b[2] end)
table.sort(V, function(a, b) return a[2] > b[2] end)
local CHUNK = 256

local function keepIn(list, key)
  if #list == 0 then return list end
  local sc = redis.call('ZMSCORE', key, unpack(list))
  local keep = {}
  for i = 1, #list do if sc[i] then keep[#keep + 1] = list[i] end end
  return keep
end

local function visible(list)
  local ok, pending = {}, list
  for _, v in ipairs(V) do
    if #pending == 0 then break end
    local sc = redis.call('ZMSCORE', v[1], unpack(pending))
    local rest = {}
    for i = 1, #pending do
      if sc[i] then ok[pending[i]] = true else rest[#rest + 1] = pending[i] end
    end
    pending = rest
  end
  local out = {}
  for i = 1, #list do if ok[list[i]] then out[#out + 1] = list[i] end end
  return out
end

local out = {0, ''}
local found, scanned, from = 0, 0, cursor
local function lower() if from == '' then return '-' end return '(' .. from end

if #F > 0 and F[1][2] <= sumV then
  while true do
    local batch = redis.call('ZRANGE', F[1][1], lower(), '+', 'BYLEX', 'LIMIT', 0, CHUNK)
    if #batch == 0 then out[1] = 1; return out end
    scanned = scanned + #batch
    local cand = batch
    for j = 2, #F do cand = keepIn(cand, F[j][1]) end
    cand = visible(cand)
    for i = 1, #cand do
      out[#out + 1] = cand[i]; found = found + 1
      if found >= need then out[1] = 1; return out end
    end
    from = batch[#batch]
    if #batch < CHUNK then out[1] = 1; return out end
    if scanned >= budget then out[2] = from; return out end
  end
else
  while true do
    local seen, merged, frontier = {}, {}, nil
    for _, v in ipairs(V) do
      local batch = redis.call('ZRANGE', v[1], lower(), '+', 'BYLEX', 'LIMIT', 0, CHUNK)
      if #batch == CHUNK and (frontier == nil or batch[#batch] < frontier) then frontier = batch[#batch] end
      for i = 1, #batch do
        local m = batch[i]
        if not seen[m] then seen[m] = true; merged[#merged + 1] = m end
      end
    end
    table.sort(merged)
    local cand = {}
    for i = 1, #merged do if frontier == nil or merged[i] <= frontier then cand[#cand + 1] = merged[i] end end
    if #cand == 0 then out[1] = 1; return out end
    scanned = scanned + #cand
    local last = cand[#cand]
    for j = 1, #F do cand = keepIn(cand, F[j][1]) end
    for i = 1, #cand do
      out[#out + 1] = cand[i]; found = found + 1
      if found >= need then out[1] = 1; return out end
    end
    if frontier == nil then out[1] = 1; return out end
    from = last
    if scanned >= budget then out[2] = from; return out end
  end
end
`;

/**
 * KEYS[1] base. ARGV[1] number of cells, then per cell: number of keys, keys.
 * Answers -1 when no index is ready, else per cell a flat list id, pool card, stats.
 */
const POOLS = `
local base = KEYS[1]
local ready = redis.call('GET', base .. 'ready')
if not ready then return -1 end
local kp = base .. ready .. ':'
local out = {}
local at = 2
for c = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[at]); at = at + 1
  local ids = {}
  for j = 1, n do
    local m = redis.call('ZRANGE', kp .. ARGV[at], 0, -1); at = at + 1
    for _, id in ipairs(m) do ids[#ids + 1] = id end
  end
  local cell = {}
  for s = 1, #ids, 1000 do
    local part = {}
    for i = s, math.min(s + 999, #ids) do part[#part + 1] = ids[i] end
    local pools = redis.call('HMGET', kp .. 'p', unpack(part))
    local stats = redis.call('HMGET', kp .. 'd', unpack(part))
    for i = 1, #part do
      cell[#cell + 1] = part[i]; cell[#cell + 1] = pools[i] or ''; cell[#cell + 1] = stats[i] or ''
    end
  end
  out[#out + 1] = cell
end
return out
`;

/** KEYS[1] base; ARGV ids. The heads' snapshots in the serving generation, or -1 when none serves. */
const HEADS = `
local ready = redis.call('GET', KEYS[1] .. 'ready')
if not ready then return -1 end
return redis.call('HMGET', KEYS[1] .. ready .. ':h', unpack(ARGV))
`;

/** KEYS[1] base; ARGV[1] gen. Makes the built generation the serving one if this builder still holds the lease. */
const FINISH = `
local base = KEYS[1]
if redis.call('GET', base .. 'building') ~= ARGV[1] then return 0 end
redis.call('SET', base .. 'ready', ARGV[1])
redis.call('DEL', base .. 'building')
return 1
`;

/** KEYS[1] base; ARGV[1] gen, ARGV[2] lease ms. Renews the build lease if it is still this builder's. */
const RENEW = `
if redis.call('GET', KEYS[1] .. 'building') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1] .. 'building', ARGV[2])
return 1
`;

/**
 * KEYS[1] base; ARGV[1] SCAN cursor. Unlinks one SCAN step's worth of keys of
 * generations that neither serve nor are being built. Answers the next cursor.
 */
const SWEEP = `${GENS}
local base = KEYS[1]
local live = {}
for _, g in ipairs(gens(base)) do live[g] = true end
local pattern = string.gsub(base, '[%*%?%[%]\\\\]', '\\\\%0') .. '*'
local res = redis.call('SCAN', ARGV[1], 'MATCH', pattern, 'COUNT', 1000)
for _, key in ipairs(res[2]) do
  local g = string.match(string.sub(key, #base + 1), '^(%d+):')
  if g and not live[g] then redis.call('UNLINK', key) end
end
return res[1]
`;

interface IndexCommands {
  bixPut(base: string, ...args: (string | number)[]): Promise<number>;
  bixSearch(base: string, ...args: (string | number)[]): Promise<(string | number)[]>;
  bixPools(base: string, ...args: (string | number)[]): Promise<number | string[][]>;
  bixFinish(base: string, gen: string): Promise<number>;
  bixHeads(base: string, ...ids: string[]): Promise<number | (string | null)[]>;
  bixRenew(base: string, gen: string, ms: number): Promise<number>;
  bixSweep(base: string, cursor: string): Promise<string>;
}

// ---------------------------------------------------------------- index

export class RedisSearchIndex implements SearchIndex {
  readonly kind = 'redis' as const;
  /** The index's key base, before ioredis adds REDIS_KEY_PREFIX. */
  private readonly base = `bix:${LAYOUT}:`;
  private readonly r: Redis & IndexCommands;
  private timer: NodeJS.Timeout | null = null;
  private building: Promise<boolean> | null = null;
  private closed = false;
  /** What answers while no index is ready. */
  private readonly fallback: DatabaseSearchIndex;

  constructor(
    redis: Redis,
    private readonly models: Pick<BankModels, 'Item' | 'ItemRevision'>,
    private readonly options: SearchIndexOptions = {},
  ) {
    this.fallback = new DatabaseSearchIndex(models);
    this.r = redis as Redis & IndexCommands;
    const define = (name: keyof IndexCommands, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua });
    };
    define('bixPut', PUT);
    define('bixSearch', SEARCH);
    define('bixPools', POOLS);
    define('bixFinish', FINISH);
    define('bixHeads', HEADS);
    define('bixRenew', RENEW);
    define('bixSweep', SWEEP);
  }

  /** Reconciles dirty ids and builds the index if it is missing, now and every `intervalMs`. */
  start(): void {
    if (this.timer || this.closed) return;
    const tick = () => {
      this.maintain().catch((err: Error) => this.options.log?.warn({ err: err.message }, 'search index maintenance failed'));
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 60_000);
    this.timer.unref();
    tick();
  }

  /** Stops the timer and waits for a build in progress to stop. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.building?.catch(() => false);
  }

  /** One round of upkeep: old dirty entries, then the index itself. */
  async maintain(): Promise<void> {
    await this.reconcile(this.options.dirtyAgeMs ?? 60_000);
    if (!(await this.isReady())) this.kick();
  }

  /** Is there a complete index serving queries? */
  async isReady(): Promise<boolean> {
    return (await this.r.exists(`${this.base}ready`)) === 1;
  }

  /** Starts a background build unless one runs (here or, by the lease, elsewhere). */
  kick(): void {
    if (this.building || this.closed) return;
    void this.rebuild().catch((err: Error) => this.options.log?.warn({ err: err.message }, 'search index build failed'));
  }

  /** Waits until the index is ready, building it here if nobody is. For tests, benchmarks and tools. */
  async ensureBuilt(timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.isReady())) {
      if (this.closed) throw new Error('the search index is closed');
      if (Date.now() > deadline) throw new Error('the search index was not built in time');
      await (this.building ?? this.rebuild().then(() => new Promise((r) => setTimeout(r, 50))));
    }
  }

  // ------------------------------------------------------------ writes

  /** Marks ids as being written (before the database write); the nonce goes to {@link put} or {@link refresh}. */
  async begin(ids: readonly string[]): Promise<string> {
    const nonce = randomBytes(6).toString('hex');
    if (ids.length === 0) return nonce;
    const now = Date.now();
    const args: (string | number)[] = [];
    for (const id of ids) args.push(now, `${id}|${nonce}`);
    await this.r.zadd(`${this.base}dirty`, ...args);
    return nonce;
  }

  /**
   * Writes the cards of heads as the database now holds them (after the
   * database write) and clears their dirty entries. `removed` ids have no head.
   */
  async put(heads: readonly IndexedHead[], nonce = '', removed: readonly string[] = []): Promise<void> {
    const groups: (string | number)[][] = [];
    for (const head of heads) groups.push(await this.group(head));
    for (const id of removed) groups.push([id, '', '', -1, '', '']);
    for (let i = 0; i < groups.length; i += PUT_BATCH) {
      await this.r.bixPut(this.base, nonce, ...groups.slice(i, i + PUT_BATCH).flat());
    }
  }

  /** After a head write: indexes the heads as the database now holds them (one `_id` read each). */
  async refresh(ids: readonly string[], nonce: string): Promise<void> {
    const heads = await Promise.all(ids.map((id) => this.models.Item.findById(id, INDEX_PROJECTION).lean<IndexedHead>()));
    await this.put(
      heads.filter((h): h is IndexedHead => h !== null),
      nonce,
      ids.filter((_, i) => heads[i] === null),
    );
  }

  /** Forgets a dirty entry of a write that did not happen. */
  async end(ids: readonly string[], nonce: string): Promise<void> {
    if (ids.length) await this.r.zrem(`${this.base}dirty`, ...ids.map((id) => `${id}|${nonce}`));
  }

  private async group(head: IndexedHead): Promise<(string | number)[]> {
    const card = JSON.stringify({ q: head.seq, k: headKeys(head) });
    let pool = '';
    const a = head.approved;
    if (a) {
      let draw = a.draw;
      if (!draw) {
        // Approved before heads kept the draw fields: read them from the revision once.
        const rev = await this.models.ItemRevision.findById(revisionId(head._id, a.revision)).lean<RevisionDoc>();
        draw = rev ? drawFieldsOf(rev as unknown as RevisionDoc & Record<string, unknown>) : {};
      }
      const c: PoolCard = { r: a.revision, sh: a.sharing, o: head.ownerOrgId, y: a.type, ...draw };
      pool = JSON.stringify(c);
    }
    const s = head.stats;
    const sv = s ? (s.updatedAt ? new Date(s.updatedAt).getTime() : 0) : -1;
    const { tokens: _tokens, ...snapshot } = head;
    return [head._id, card, pool, sv, s?.difficulty ?? '', JSON.stringify(snapshot)];
  }

  /** Re-reads dirty ids older than `olderThanMs` from the database and indexes what it holds now. */
  async reconcile(olderThanMs = 0): Promise<number> {
    let done = 0;
    for (;;) {
      if (this.closed) return done;
      const members = await this.r.zrangebyscore(`${this.base}dirty`, '-inf', Date.now() - olderThanMs, 'LIMIT', 0, 200);
      if (members.length === 0) return done;
      const ids = [...new Set(members.map((m) => m.slice(0, m.lastIndexOf('|'))))];
      const heads = await Promise.all(ids.map((id) => this.models.Item.findById(id, INDEX_PROJECTION).lean<IndexedHead>()));
      await this.put(
        heads.filter((h): h is IndexedHead => h !== null),
        '',
        ids.filter((_, i) => heads[i] === null),
      );
      await this.r.zrem(`${this.base}dirty`, ...members);
      done += ids.length;
    }
  }

  // ------------------------------------------------------------- build

  /**
   * Builds a new generation from one streamed pass over the heads and makes it
   * the serving one. Answers false when another process holds the lease.
   */
  rebuild(): Promise<boolean> {
    if (this.building) return this.building;
    this.building = this.build().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  private async build(): Promise<boolean> {
    const gen = String(await this.r.incr(`${this.base}gen`));
    if ((await this.r.set(`${this.base}building`, gen, 'PX', LEASE_MS, 'NX')) !== 'OK') return false;
    const started = Date.now();
    let count = 0;
    try {
      const cursor = this.models.Item.find({}, INDEX_PROJECTION).lean<IndexedHead[]>().cursor({ batchSize: 1000 });
      let batch: IndexedHead[] = [];
      const flush = async () => {
        await this.put(batch);
        count += batch.length;
        batch = [];
        if ((await this.r.bixRenew(this.base, gen, LEASE_MS)) !== 1) throw new Error('the build lease was lost');
      };
      for await (const head of cursor) {
        if (this.closed) {
          await cursor.close();
          throw new Error('closed while building');
        }
        batch.push(head as IndexedHead);
        if (batch.length >= 1000) await flush();
      }
      await flush();
      if ((await this.r.bixFinish(this.base, gen)) !== 1) return false;
    } catch (err) {
      if ((await this.r.get(`${this.base}building`).catch(() => null)) === gen) await this.r.del(`${this.base}building`).catch(() => {});
      throw err;
    }
    this.options.log?.info?.({ items: count, ms: Date.now() - started, gen }, 'search index built');
    await this.sweep();
    return true;
  }

  /** Removes the keys of generations that are no longer served. */
  async sweep(): Promise<void> {
    let cursor = '0';
    do {
      if (this.closed) return;
      cursor = await this.r.bixSweep(this.base, cursor);
    } while (cursor !== '0');
  }

  // ------------------------------------------------------------- reads

  /**
   * The heads as the index last saw them (JSON: dates are ISO strings), in
   * the order asked; null for ids it does not hold, or null as a whole when no
   * index serves.
   */
  async heads(ids: readonly string[]): Promise<(ItemHead | null)[] | null> {
    if (ids.length === 0) return [];
    const res = await this.r.bixHeads(this.base, ...ids);
    if (typeof res === 'number') return null;
    return res.map((json) => (json ? (JSON.parse(json) as ItemHead) : null));
  }

  /** Keeps stored revision documents (immutable) for list views. */
  async cacheRevisions(docs: readonly RevisionDoc[]): Promise<void> {
    if (docs.length === 0) return;
    const pipeline = this.r.pipeline();
    for (const doc of docs) pipeline.set(`${this.base}rev:${doc._id}`, JSON.stringify(doc), 'EX', REVISION_TTL_S);
    await pipeline.exec();
  }

  /** Cached revision documents by revision `_id`, null where not cached. */
  async cachedRevisions(revisionIds: readonly string[]): Promise<(RevisionDoc | null)[]> {
    if (revisionIds.length === 0) return [];
    const res = await this.r.mget(...revisionIds.map((id) => `${this.base}rev:${id}`));
    return res.map((json) => (json ? (JSON.parse(json) as RevisionDoc) : null));
  }

  /**
   * A page of search: the index chooses the ids and answers with the heads as
   * its last write left them (the database's, milliseconds behind at most);
   * only what it lacks is read from the database, by `_id`. Without a ready
   * index, the database implementation answers.
   */
  async search(viewer: SearchViewer, filters: SearchFilters, after: string | undefined, limit: number): Promise<SearchPage> {
    const ids = await this.lookup(indexQuery(viewer, filters), after, limit + 1);
    if (!ids) return this.fallback.search(viewer, filters, after, limit);
    const pageIds = ids.slice(0, limit);
    const snapshots = (await this.heads(pageIds)) ?? pageIds.map(() => null);
    const heads = await mapLimit(pageIds.map((id, i) => ({ id, snapshot: snapshots[i] ?? null })), READ_CONCURRENCY, async ({ id, snapshot }) =>
      snapshot ?? this.models.Item.findById(id, HEAD_LIST_PROJECTION).lean<ItemHead>(),
    );
    return { heads: heads.filter((h): h is ItemHead => h !== null), last: ids.length > limit ? ids[limit - 1]! : null };
  }

  /**
   * Ids of heads in all of `facets` and at least one of `visible`, in id
   * order, after `cursor`, at most `need`. Null when no index is ready (a
   * build is started).
   */
  async lookup(query: IndexQuery, cursor: string | undefined, need: number): Promise<string[] | null> {
    const ids: string[] = [];
    let from = cursor ?? '';
    for (;;) {
      const res = await this.r.bixSearch(this.base, need - ids.length, from, SEARCH_BUDGET, query.facets.length, ...query.facets, query.visible.length, ...query.visible);
      if (res[0] === -1) {
        this.kick();
        return null;
      }
      for (let i = 2; i < res.length; i++) ids.push(String(res[i]));
      if (res[0] === 1 || ids.length >= need) return ids;
      from = String(res[1]);
    }
  }

  /** The approved pools of the cells, from the index without touching the database; without a ready index, from the database. */
  async pools(orgId: string, path: readonly string[], subject: string, grade: number, cells: readonly PoolCell[]): Promise<PoolItem[][]> {
    if (cells.length === 0) return [];
    return (await this.indexedPools(orgId, path, subject, grade, cells)) ?? this.fallback.pools(orgId, path, subject, grade, cells);
  }

  /**
   * The approved items of each cell that organisation `orgId` (ancestors
   * `path`) may use, as the draw takes them, sorted by item id. Null when no
   * index is ready.
   */
  async indexedPools(orgId: string, path: readonly string[], subject: string, grade: number, cells: readonly PoolCell[]): Promise<PoolItem[][] | null> {
    const args: (string | number)[] = [cells.length];
    for (const c of cells) {
      const types = c.type ? [c.type] : ITEM_TYPES;
      args.push(types.length, ...types.map((t) => keyOf.cell(subject, grade, c.topic, c.cognitiveLevel, t)));
    }
    const res = await this.r.bixPools(this.base, ...args);
    if (res === -1 || typeof res === 'number') {
      this.kick();
      return null;
    }
    return (res as string[][]).map((flat) => {
      const items: PoolItem[] = [];
      for (let i = 0; i < flat.length; i += 3) {
        if (!flat[i + 1]) continue;
        const card = JSON.parse(flat[i + 1]!) as PoolCard;
        if (!usableBy(orgId, path, card.sh, card.o)) continue;
        const stats = flat[i + 2]!;
        const d = stats ? stats.slice(stats.indexOf('|') + 1) : '';
        items.push(poolItemOf(flat[i]!, card, d === '' ? undefined : Number(d)));
      }
      return items.sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
    });
  }
}
