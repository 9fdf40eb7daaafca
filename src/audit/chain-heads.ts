import type { Redis } from 'ioredis';

/** The newest record of a chain as the appender last saw it. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Advances a head to a later record. A missing head is only created for a
 * chain's first record: after Redis lost the heads, creating one from
 * whatever the database now ends with would bless a truncation, so such a
 * chain stays without a head until an administrator anchors it.
 */
const ADVANCE = `
local seq = redis.call('HGET', KEYS[1], 'seq')
if (seq and tonumber(seq) < tonumber(ARGV[1])) or (not seq and ARGV[1] == '1') then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hash', ARGV[2])
  return 1
end
return 0`;

/**
 * Where each audit chain's head lives: in Redis, a different system from the
 * database that holds the records, so whoever can rewrite the `audit`
 * collection cannot also move the head back to hide deleted records.
 */
export class ChainHeads {
  constructor(private readonly redis: Redis) {}

  private key(chain: string): string {
    return `audit:head:${chain}`;
  }

  async get(chain: string): Promise<ChainHead | null> {
    const h = await this.redis.hgetall(this.key(chain));
    return h.seq && h.hash ? { seq: Number(h.seq), hash: h.hash } : null;
  }

  /** Moves the head forward to this record (never back). */
  async advance(chain: string, head: ChainHead): Promise<void> {
    await this.redis.eval(ADVANCE, 1, this.key(chain), String(head.seq), head.hash);
  }

  /** Sets the head whatever it was: only for an administrator's anchoring, which is itself audited. */
  async replace(chain: string, head: ChainHead): Promise<void> {
    await this.redis.hset(this.key(chain), 'seq', String(head.seq), 'hash', head.hash);
  }
}
