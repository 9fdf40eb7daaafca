/**
 * The bank's filters between the address bar and GET /api/items: the address
 * and the form hold strings, the API call takes the query type of the shared
 * contract (src/contracts/list-queries.ts), so the strings become numbers and
 * enum members here. An address can be typed or edited by hand: a value no
 * query can hold is reported, neither sent nor silently dropped (that would
 * list everything while the address says otherwise).
 */
import { ITEM_STATUSES, ITEM_TYPES } from '../../contracts/items.js';
import type { ItemSearch } from '../../contracts/list-queries.js';

export const ITEM_FILTERS = ['q', 'subject', 'grade', 'topic', 'cognitiveLevel', 'type', 'status', 'tag'] as const;
export type ItemFilter = (typeof ITEM_FILTERS)[number];
/** The filters as the address and the form hold them; an empty one is absent. */
export type ItemFilters = Partial<Record<ItemFilter, string>>;

/** The non-empty filters of an address. */
export function itemFiltersOf(query: URLSearchParams): ItemFilters {
  const out: ItemFilters = {};
  for (const f of ITEM_FILTERS) {
    const v = query.get(f);
    if (v) out[f] = v;
  }
  return out;
}

/**
 * The search the filters ask for, and the filters whose value the query type
 * has no place for. Ranges (a grade of 99) are the server's to check: it
 * answers them with `validation_failed` as for any client.
 */
export function itemSearchOf(filters: ItemFilters): { search: ItemSearch; invalid: ItemFilter[] } {
  const search: ItemSearch = {};
  const invalid: ItemFilter[] = [];
  for (const f of ['q', 'subject', 'topic', 'tag'] as const) if (filters[f]) search[f] = filters[f];
  for (const f of ['grade', 'cognitiveLevel'] as const) {
    const v = filters[f];
    if (!v) continue;
    if (/^[0-9]{1,9}$/.test(v)) search[f] = Number(v);
    else invalid.push(f);
  }
  if (filters.type) {
    const type = ITEM_TYPES.find((known) => known === filters.type);
    if (type) search.type = type;
    else invalid.push('type');
  }
  if (filters.status) {
    const status = ITEM_STATUSES.find((known) => known === filters.status);
    if (status) search.status = status;
    else invalid.push('status');
  }
  return { search, invalid };
}
