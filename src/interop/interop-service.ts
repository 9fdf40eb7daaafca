import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { AppError, BadRequest } from '../errors.js';
import type { ImportedStimulus, ImportFailure, ImportReport, ImportWarning, PlannedItem } from '../contracts/imports.js';
import { MAX_BULK, MAX_PAGE, type Bank, type ItemErrorBody, type SearchQuery } from '../bank/index.js';
import { ITEM_TYPES, type CognitiveLevel, type ItemProvenance, type ItemType } from '../bank/item-types.js';
import { applyCategory, type TopicMap } from './categories.js';
import type { Principal } from '../orgs/access.js';
import { FORMAT_MODULES } from './formats.js';
import { detectLanguage, itemTexts } from './language.js';
import { exportModule } from './export-formats.js';
import { MAX_IMPORT_ITEMS, TooLarge, UnreadableFile, type ExportItem, type FormatName, type ItemDraft, type ItemSource, type ParsedEntry, type ParseOptions, type ParseResult } from './model.js';

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
  /** Topic of a category path (`A/B`) or leaf (`B`), for formats with categories (categories.ts). */
  topicMap?: TopicMap;
  /** Recorded in each item's `provenance.source`: the uploaded file's name and the format read. */
  source?: { file?: string; format?: string };
}

export type { ImportedStimulus, ImportFailure, ImportReport, ImportWarning, PlannedItem } from '../contracts/imports.js';

/** The search filters an export takes: GET /api/items's, without paging. */
export type ExportFilters = Omit<SearchQuery, 'limit' | 'cursor'>;

/** A file's item with the request's defaults filled in where the file is silent. */
export function withDefaults(item: ItemDraft, defaults: ImportDefaults): Record<string, unknown> {
  const { tags, ownerOrgId, topicMap, source, ...rest } = defaults;
  const out: Record<string, unknown> = { ...applyCategory(item, topicMap) };
  const file = source?.file?.trim().slice(0, 300);
  if (file || source?.format) {
    const provenance = (out.provenance ?? {}) as ItemProvenance;
    out.provenance = { ...provenance, source: { ...(file ? { file } : {}), ...(source?.format ? { format: source.format } : {}), ...provenance.source } };
  }
  for (const [k, v] of Object.entries(rest)) if (v !== undefined && out[k] === undefined) out[k] = v;
  // Added to the item's own tags and those its category path gave.
  if (tags?.length) out.tags = [...new Set([...((out.tags as string[] | undefined) ?? []), ...tags])];
  if (ownerOrgId !== undefined) out.ownerOrgId = ownerOrgId;
  return out;
}

/** Where a question is in its file: index, and line or printed number and section when the format has them. */
export function placeOf(entry: ParsedEntry): { index: number; line?: number; number?: number; section?: string } {
  return {
    index: entry.index,
    ...(entry.line !== undefined ? { line: entry.line } : {}),
    ...(entry.number !== undefined ? { number: entry.number } : {}),
    ...(entry.section !== undefined ? { section: entry.section } : {}),
  };
}

export function parseFailure(entry: ParsedEntry): ImportFailure {
  return { ...placeOf(entry), error: { code: 'not_importable', message: entry.error ?? 'The question cannot be read', details: [] } };
}

/** What an import will send to the bank, worked out the same way by the server and the CLI. */
export interface ImportPlan {
  /** Items to write, in file order, with `stimulusId` still naming the file's passage (`ref`) where it has one. */
  ready: { entry: ParsedEntry; input: Record<string, unknown> }[];
  /** Passages to write first, as the bank takes them. */
  stimuli: { ref: string; input: Record<string, unknown> }[];
  failed: ImportFailure[];
  warnings: ImportWarning[];
  fileWarnings: string[];
}

/**
 * Fills in the request's defaults, and the language where neither the file
 * nor the request gives one: each item's own (language.ts), else the file's.
 */
export function planImport(parsed: ParseResult, defaults: ImportDefaults): ImportPlan {
  const plan: ImportPlan = { ready: [], stimuli: [], failed: [], warnings: [], fileWarnings: [...(parsed.warnings ?? [])] };
  const readable = parsed.items.flatMap((e) => (e.item ? [e.item as unknown as Record<string, unknown>] : []));
  const fileLanguage = detectLanguage([...readable.map(itemTexts), ...(parsed.stimuli ?? []).map((s) => `${s.title}\n${s.content}`)].join('\n')) ?? 'vi';
  const language = (text: string) => defaults.language ?? detectLanguage(text) ?? fileLanguage;
  for (const s of parsed.stimuli ?? []) {
    const input: Record<string, unknown> = {
      title: s.title,
      content: s.content,
      language: s.language ?? language(`${s.title}\n${s.content}`),
      ...((s.subject ?? defaults.subject) !== undefined ? { subject: s.subject ?? defaults.subject } : {}),
      ...((s.grade ?? defaults.grade) !== undefined ? { grade: s.grade ?? defaults.grade } : {}),
      ...((s.topic ?? defaults.topic) !== undefined ? { topic: s.topic ?? defaults.topic } : {}),
      ...(s.tags?.length || defaults.tags?.length ? { tags: [...new Set([...(s.tags ?? []), ...(defaults.tags ?? [])])] } : {}),
      ...(defaults.ownerOrgId !== undefined ? { ownerOrgId: defaults.ownerOrgId } : {}),
    };
    plan.stimuli.push({ ref: s.ref, input });
  }
  for (const entry of parsed.items) {
    if (entry.warnings?.length) plan.warnings.push({ index: entry.index, ...(entry.line !== undefined ? { line: entry.line } : {}), ...(entry.number !== undefined ? { number: entry.number } : {}), messages: entry.warnings });
    if (!entry.item) {
      plan.failed.push(parseFailure(entry));
      continue;
    }
    const input = withDefaults(entry.item, defaults);
    if (input.language === undefined) input.language = language(itemTexts(input));
    if (entry.stimulusOrder !== undefined) input.stimulusOrder = entry.stimulusOrder;
    plan.ready.push({ entry, input });
  }
  return plan;
}

/** The error of an item whose passage could not be stored. */
export function passageFailed(title: string, error: ItemErrorBody): ItemErrorBody {
  return { code: error.code, message: `Its passage "${title.slice(0, 80)}" cannot be stored: ${error.message}`, details: error.details };
}

function errorBody(err: unknown): ItemErrorBody {
  if (err instanceof AppError) return { code: err.code, message: err.message, details: err.details ?? [] };
  throw err;
}

/** True when an item has a recording (its `audio` field, docs/item-types.md). */
function hasAudio(item: unknown): boolean {
  const audio = (item as { audio?: { media?: unknown } } | null)?.audio;
  return typeof audio?.media === 'string';
}

/** What an export wrote and what it left out (the trailers of GET /api/items/export). */
export interface ExportCounts {
  written: number;
  withoutKey: number;
  passagesWithheld: number;
  /** Items written without their recording (`audio`), which the format cannot carry. */
  audioDropped: number;
}

/** The media library as exports see it: the files content shows that the caller may read (MediaService.files). */
export interface ExportMedia {
  files(principal: Principal, content: unknown): Promise<Map<string, { type: string; data: Uint8Array }>>;
  /** Stores a file for the organisation `orgId` (or the caller's only author organisation), as POST /api/media does (MediaService.upload). */
  upload?(principal: Principal, bytes: Uint8Array, orgId?: string): Promise<{ hash: string; kind: string }>;
  /** The media type of a file by its content, null for one the library does not keep (MediaService.typeOf). */
  typeOf?(bytes: Uint8Array): string | null;
}

export class InteropService {
  constructor(
    private readonly bank: Pick<Bank, 'access' | 'items' | 'search' | 'stimuli'>,
    private readonly media?: ExportMedia,
  ) {}

  /** Reads a file in one format; whole-file problems throw, per-question ones are entries. */
  async parse(format: FormatName, file: Buffer, options: ParseOptions = {}): Promise<ParseResult> {
    if (file.length === 0) throw new UnreadableFile('The file is empty');
    if (options.answerKey && format !== 'docx') throw new BadRequest(`A separate answer key file is read with format=docx only, not ${format}`);
    const media = this.media;
    const parsed = await FORMAT_MODULES[format].parse(file, media?.typeOf ? { ...options, mediaType: (bytes) => media.typeOf!(bytes) } : options);
    const { items } = parsed;
    if (items.length > MAX_IMPORT_ITEMS) {
      throw new TooLarge(`The file holds ${items.length} questions; one import takes at most ${MAX_IMPORT_ITEMS}. Split the file, or use npm run import, which sends it in parts`);
    }
    if (items.length === 0) throw new UnreadableFile(`No questions found in the file read as ${format}`);
    return parsed;
  }

  /**
   * Imports a file: every question that becomes a valid item is stored as a
   * draft of the caller's organisation, after the passages its items share;
   * the others are reported with their index (and line or number), and never
   * stop the rest. With `dryRun` nothing is written: the report says what
   * would be, item by item, with each item as the bank would store it.
   */
  async importFile(principal: Principal, format: FormatName, file: Buffer, defaults: ImportDefaults, options: ParseOptions & { dryRun?: boolean } = {}): Promise<ImportReport> {
    await this.bank.access.caller(principal);
    const { dryRun, ...parseOptions } = options;
    const parsed = await this.parse(format, file, parseOptions);
    return this.store(principal, parsed, defaults, dryRun === true);
  }

  async store(principal: Principal, parsed: ParseResult, defaults: ImportDefaults, dryRun = false): Promise<ImportReport> {
    const plan = planImport(parsed, defaults);
    const failed = [...plan.failed];
    const stimuli: ImportedStimulus[] = [];
    /** The bank's id of each passage (a dry run keeps the file's ref); absent when it could not be stored. */
    const passageIds = new Map<string, string>();
    const passageErrors = new Map<string, { title: string; error: ItemErrorBody }>();
    for (const { ref, input } of plan.stimuli) {
      const title = String(input.title);
      try {
        if (dryRun) {
          const checked = await this.bank.stimuli.check(principal, input);
          stimuli.push({ ref, title: checked.title, content: checked.content });
          passageIds.set(ref, ref);
        } else {
          const view = await this.bank.stimuli.create(principal, input);
          stimuli.push({ ref, id: view.id, title: view.title });
          passageIds.set(ref, view.id);
        }
      } catch (err) {
        passageErrors.set(ref, { title, error: errorBody(err) });
      }
    }
    const ready: ImportPlan['ready'] = [];
    for (const r of plan.ready) {
      const ref = r.input.stimulusId as string | undefined;
      const fromFile = ref !== undefined && plan.stimuli.some((s) => s.ref === ref);
      if (fromFile && passageErrors.has(ref)) {
        const { title, error } = passageErrors.get(ref)!;
        failed.push({ ...placeOf(r.entry), error: passageFailed(title, error) });
        continue;
      }
      ready.push(fromFile ? { ...r, input: { ...r.input, stimulusId: passageIds.get(ref)! } } : r);
    }

    // Recordings the file carries go into the media library (a dry run only names them by hash), and the items name them.
    const recorded: ImportPlan['ready'] = [];
    for (const r of ready) {
      const audio = r.entry.audio;
      if (!audio) {
        recorded.push(r);
        continue;
      }
      try {
        const hash = dryRun || !this.media?.upload ? createHash('sha256').update(audio.data).digest('hex') : (await this.media.upload(principal, audio.data, r.input.ownerOrgId as string | undefined)).hash;
        recorded.push({ ...r, input: { ...r.input, audio: { media: hash, ...(audio.maxPlays !== undefined ? { maxPlays: audio.maxPlays } : {}) } } });
      } catch (err) {
        const error = errorBody(err);
        failed.push({ ...placeOf(r.entry), error: { ...error, message: `Its recording ${audio.src} cannot be stored: ${error.message}` } });
      }
    }
    ready.splice(0, ready.length, ...recorded);

    const ids: string[] = [];
    const items: PlannedItem[] = [];
    const pending = new Set(dryRun ? passageIds.values() : []);
    for (let start = 0; start < ready.length; start += MAX_BULK) {
      const chunk = ready.slice(start, start + MAX_BULK);
      const inputs = chunk.map((r) => r.input);
      const results = dryRun ? await this.bank.items.bulkCheck(principal, inputs, pending) : await this.bank.items.bulkCreate(principal, inputs);
      results.forEach((result, i) => {
        const { entry } = chunk[i]!;
        if ('error' in result) failed.push({ ...placeOf(entry), error: result.error });
        else if ('item' in result) items.push({ ...placeOf(entry), item: result.item });
        else ids.push(result.id);
      });
    }
    failed.sort((a, b) => a.index - b.index);
    const report: ImportReport = {
      imported: dryRun ? items.length : ids.length,
      ids,
      failed,
      warnings: plan.warnings,
      ...(plan.fileWarnings.length ? { fileWarnings: plan.fileWarnings } : {}),
      ...(stimuli.length ? { stimuli } : {}),
    };
    return dryRun ? { ...report, dryRun: true, items } : report;
  }

  /**
   * Types of the filter's items that the format cannot carry (one cheap probe
   * per type). Called before the answer starts, so it also refuses callers
   * without a bank role while a status code can still say so.
   */
  async unsupportedPresent(principal: Principal, format: FormatName, filters: ExportFilters): Promise<ItemType[]> {
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
   * whose key the caller may not read are left out and counted. Formats that
   * carry passages (docx) read them as GET /api/stimuli/:id does: a passage
   * the caller may not see is not written (its items are, without it) and is
   * counted.
   */
  async exportTo(principal: Principal, format: FormatName, filters: ExportFilters, out: Writable): Promise<ExportCounts> {
    const module = exportModule(format);
    const write = module.write;
    if (!write) throw new BadRequest(`The ${format} format is read by imports only; export in another format`);
    const supported = new Set(module.types);
    const counts: ExportCounts = { written: 0, withoutKey: 0, passagesWithheld: 0, audioDropped: 0 };
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
          // The item goes out all the same; its recording, which the format cannot hold, is counted.
          if (!module.audio && hasAudio(view)) counts.audioDropped++;
          // A view with its key is the item's content plus server fields, which the writers ignore.
          yield view as unknown as ExportItem;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    async function* none(): AsyncGenerator<ExportItem> {}
    const media = this.media;
    const source: ItemSource = {
      all: () => pages(filters),
      ofType: (type) => (filters.type !== undefined && filters.type !== type ? none() : pages({ ...filters, type })),
      ...(media ? { media: (content: unknown) => media.files(principal, content) } : {}),
      audioDropped: () => {
        counts.audioDropped++;
      },
      stimulus: async (id) => {
        try {
          const view = await bank.stimuli.get(principal, id);
          const { id: passageId, title, content, language, subject, grade, topic, tags } = view;
          return { id: passageId, title, content, subject, ...(language ? { language } : {}), ...(grade !== undefined ? { grade } : {}), ...(topic ? { topic } : {}), ...(tags?.length ? { tags } : {}) };
        } catch (err) {
          // A passage the caller may not see is left out, as its items' keys would be, and counted.
          if (err instanceof AppError && err.statusCode === 404) {
            counts.passagesWithheld++;
            return undefined;
          }
          throw err;
        }
      },
    };
    await write.call(module, source, out);
    return counts;
  }
}
