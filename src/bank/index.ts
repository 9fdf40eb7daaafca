/**
 * The question bank, built once per process by {@link createBank}:
 *
 * - `access` (bank-access.ts): the caller's bank roles and the sharing rules;
 * - `items` (item-service.ts): writing items, the review workflow, reading one, item-analysis figures;
 * - `search` (bank-search.ts): GET /api/items;
 * - `pools` (approved-pools.ts): what form assembly and grading read (BankReader);
 * - `stimuli` (stimulus-service.ts): shared passages;
 * - `media` (content-media.ts, given by the caller): where inline images of items and passages move on write;
 * - `index` (search-index.ts): the search index all of them use, Redis or database queries by `BANK_SEARCH`.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Access } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import { ApprovedPools } from './approved-pools.js';
import { BankAccess } from './bank-access.js';
import { BankSearch } from './bank-search.js';
import type { ContentMedia } from './content-media.js';
import { DatabaseSearchIndex } from './database-search-index.js';
import type { BankModels } from './item-model.js';
import { ItemService } from './item-service.js';
import { RedisSearchIndex, type SearchIndexOptions } from './redis-search-index.js';
import { RevisionReader } from './revision-reader.js';
import type { SearchIndex } from './search-index.js';
import { StimulusService } from './stimulus-service.js';

export interface Bank {
  access: BankAccess;
  items: ItemService;
  search: BankSearch;
  pools: ApprovedPools;
  stimuli: StimulusService;
  index: SearchIndex;
}

export interface BankDeps {
  models: BankModels;
  access: Access;
  orgs: Pick<OrgService, 'pathOf'>;
  /** The search index, from {@link createSearchIndex}. */
  index: SearchIndex;
  /** The sharing rules, when the caller built them (the media library shares them); else built here. */
  bankAccess?: BankAccess;
  /** Where inline images of items and passages go on write (src/media/). */
  media?: ContentMedia;
}

/** The search index `BANK_SEARCH` selects; `redis` is the engine's Redis connection (REDIS_KEY_PREFIX). */
export function createSearchIndex(
  config: Pick<Config, 'BANK_SEARCH'>,
  models: Pick<BankModels, 'Item' | 'ItemRevision'>,
  redis: Redis,
  options: SearchIndexOptions = {},
): SearchIndex {
  return config.BANK_SEARCH === 'database' ? new DatabaseSearchIndex(models) : new RedisSearchIndex(redis, models, options);
}

/** Every part of the bank, sharing one search index and one set of sharing rules. */
export function createBank(deps: BankDeps): Bank {
  const access = deps.bankAccess ?? new BankAccess(deps.access, deps.orgs);
  const revisions = new RevisionReader(deps.models, deps.index);
  return {
    access,
    items: new ItemService(deps.models, access, deps.index, revisions, deps.media),
    search: new BankSearch(access, deps.index, revisions),
    pools: new ApprovedPools(deps.models, deps.orgs, deps.index, revisions),
    stimuli: new StimulusService(deps.models, access, deps.media),
    index: deps.index,
  };
}

export { BANK_ROLES, type BankCaller } from './bank-access.js';
export type { ItemView } from './item-views.js';
export type { SearchQuery } from './bank-search.js';
export { MAX_BULK, type BulkResult, type ItemErrorBody } from './item-service.js';
export { DEFAULT_PAGE, MAX_PAGE, decodeCursor, encodeCursor } from './paging.js';
export type { SearchIndex } from './search-index.js';
