import type { Writable } from 'node:stream';
import { MAX_BULK, MAX_PAGE, type Bank, type ItemErrorBody, type SearchQuery } from '../bank/index.js';
import { ITEM_TYPES, type CognitiveLevel, type ItemType } from '../bank/item-types.js';
import type { Principal } from '../orgs/access.js';
import { FORMAT_MODULES } from './formats.js';
import { exportModule, type ExportFormat } from './export-formats.js';
import { MAX_IMPORT_ITEMS, TooLarge, UnreadableFile, type ExportItem, type FormatName, type ItemDraft, type ItemSource, type ParsedEntry } from './model.js';

/**
 * Import and export of whole files, on top of the bank's own service: every
 * imported item goes through `ItemService.bulkCreate` — the validation,
 * sanitising and ownership of POST /api/items — and exports read the bank's
 * search page by page. No Fastify in here; the routes and the CLI share it.
 */

/** What an import request may set for items whose file does not say. */
export interface ImportDefaults {
  subject?: string;
  grade?: number;
  topic?: string;
  cognitiveLevel?: CognitiveLevel;
  language?: 'vi' | 'en';
  points?: number;
  /** Added to the tags each item has. */
  tags?: string[];
  /** Owning organisation, for authors at several organisations. */
  ownerOrgId?: string;
}

export interface ImportFailure {
  index: number;
  line?: number;
  error: ItemErrorBody;
}

export interface ImportReport {
  imported: number;
  ids: string[];
  failed: ImportFailure[];
  warnings: { index: number; line?: number; messages: string[] }[];
}

/** The search filters an export takes: GET /api/items's, without paging. */
export type ExportFilters = Omit<SearchQuery, 'limit' | 'cursor'>;

/** A file's item with the request's defaults filled in where the file is silent. */
export function withDefaults(item: ItemDraft, defaults: ImportDefaults): Record<string, unknown> {
  const { tags, ownerOrgId, ...rest } = defaults;
  const out: Record<string, unknown> = { ...item };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined && out[k] === undefined) out[k] = v;
  if (tags?.length) out.tags = [...new Set([...(item.tags ?? []), ...tags])];
  if (ownerOrgId !== undefined) out.ownerOrgId = ownerOrgId;
  return out;
}

export function parseFailure(entry: ParsedEntry): ImportFailure {
  return {
    index: entry.index,
    ...(entry.line !== undefined ? { line: entry.line } : {}),
    error: { code: 'not_importable', message: entry.error ?? 'The question cannot be read', details: [] },
  };
}

export class InteropService {
  constructor(private readonly bank: Pick<Bank, 'access' | 'items' | 'search'>) {}

  /** Reads a file in one format; whole-file problems throw, per-question ones are entries. */
  async parse(format: FormatName, file: Buffer): Promise<ParsedEntry[]> {
    if (file.length === 0) throw new UnreadableFile('The file is empty');
    const { items } = await FORMAT_MODULES[format].parse(file);
    if (items.length > MAX_IMPORT_ITEMS) {
      throw new TooLarge(`The file holds ${items.length} questions; one import takes at most ${MAX_IMPORT_ITEMS}. Split the file, or use npm run import, which sends it in parts`);
    }
    if (items.length === 0) throw new UnreadableFile(`No questions found in the file read as ${format}`);
    return items;
  }

  /**
   * Imports a file: every question that becomes a valid item is stored as a
   * draft of the caller's organisation; the others are reported with their
   * index (and line), and never stop the rest.
   */
  async importFile(principal: Principal, format: FormatName, file: Buffer, defaults: ImportDefaults): Promise<ImportReport> {
    await this.bank.access.caller(principal);
    const entries = await this.parse(format, file);
    return this.store(principal, entries, defaults);
  }

  async store(principal: Principal, entries: ParsedEntry[], defaults: ImportDefaults): Promise<ImportReport> {
    const failed: ImportFailure[] = [];
    const warnings: ImportReport['warnings'] = [];
    const ready: { entry: ParsedEntry; input: Record<string, unknown> }[] = [];
    for (const entry of entries) {
      if (entry.warnings?.length) warnings.push({ index: entry.index, ...(entry.line !== undefined ? { line: entry.line } : {}), messages: entry.warnings });
      if (entry.item) ready.push({ entry, input: withDefaults(entry.item, defaults) });
      else failed.push(parseFailure(entry));
    }
    const ids: string[] = [];
    for (let start = 0; start < ready.length; start += MAX_BULK) {
      const chunk = ready.slice(start, start + MAX_BULK);
      const results = await this.bank.items.bulkCreate(principal, chunk.map((r) => r.input));
      results.forEach((result, i) => {
        const { entry } = chunk[i]!;
        if ('id' in result) ids.push(result.id);
        else failed.push({ index: entry.index, ...(entry.line !== undefined ? { line: entry.line } : {}), error: result.error });
      });
    }
    failed.sort((a, b) => a.index - b.index);
    return { imported: ids.length, ids, failed, warnings };
  }

  /**
   * Types of the filter's items that the format cannot carry (one cheap probe
   * per type). Called before the answer starts, so it also refuses callers
   * without a bank role while a status code can still say so.
   */
  async unsupportedPresent(principal: Principal, format: ExportFormat, filters: ExportFilters): Promise<ItemType[]> {
    await this.bank.access.caller(principal);
    const supported = new Set(exportModule(format).types);
    const candidates = ITEM_TYPES.filter((t) => !supported.has(t) && (filters.type === undefined || filters.type === t));
    const found = await Promise.all(candidates.map(async (type) => (await this.bank.search.search(principal, { ...filters, type, limit: 1 })).items.length > 0));
    return candidates.filter((_, i) => found[i]);
  }

  /**
   * Writes the export file to `out`. Items are read from the bank's search
   * {@link MAX_PAGE} at a time with its cursor and written before the next
   * page is read, so memory holds one page whatever the bank's size. Items
   * whose key the caller may not read are left out and counted.
   */
  async exportTo(principal: Principal, format: ExportFormat, filters: ExportFilters, out: Writable): Promise<{ written: number; withoutKey: number }> {
    const module = exportModule(format);
    const supported = new Set(module.types);
    const counts = { written: 0, withoutKey: 0 };
    const bank = this.bank;
    async function* pages(query: ExportFilters): AsyncGenerator<ExportItem> {
      let cursor: string | undefined;
      do {
        const page = await bank.search.search(principal, { ...query, limit: MAX_PAGE, ...(cursor ? { cursor } : {}) });
        for (const view of page.items) {
          if (!supported.has(view.type as ItemType)) continue;
          if (!view.keyIncluded) {
            counts.withoutKey++;
            continue;
          }
          counts.written++;
          // A view with its key is the item's content plus server fields, which the writers ignore.
          yield view as unknown as ExportItem;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    async function* none(): AsyncGenerator<ExportItem> {}
    const source: ItemSource = {
      all: () => pages(filters),
      ofType: (type) => (filters.type !== undefined && filters.type !== type ? none() : pages({ ...filters, type })),
    };
    await module.write(source, out);
    return counts;
  }
}
