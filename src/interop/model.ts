import type { Writable } from 'node:stream';
import { AppError } from '../errors.js';
import type { ItemCommon, ItemContent, ItemType } from '../bank/item-types.js';

/**
 * What every interchange format shares: the parse result shape, the id and
 * metadata conventions for formats that have no ids or no metadata fields,
 * and the limits of one import.
 */

export const FORMATS = ['gift', 'moodle-xml', 'aiken', 'qti', 'csv', 'xlsx', 'docx'] as const;
export type FormatName = (typeof FORMATS)[number];

/** Items one import request takes; bigger files go through `npm run import`, which sends chunks. */
export const MAX_IMPORT_ITEMS = 5000;
/** Uncompressed bytes a zip (QTI package, xlsx) may unpack to. */
export const MAX_UNZIPPED_BYTES = 128 * 1024 * 1024;
/** Entries a zip may hold. */
export const MAX_ZIP_ENTRIES = 20_000;

/** Classification fields a file may lack; the import request's defaults fill them in. */
type Classification = 'subject' | 'grade' | 'topic' | 'cognitiveLevel';

/**
 * An item as a file describes it: content complete, classification possibly
 * missing. Importers fill what their format carries of:
 * - `feedback` ({general, correct, partial, incorrect}), `hints` (ordered) and
 *   per-option `feedback` on choice options (src/contracts/items.ts);
 * - `provenance`: `title` (Moodle name, GIFT `::title::`, QTI `title`),
 *   `externalId` (Moodle idnumber, QTI `identifier`) and
 *   `source.categoryPath` (Moodle category, GIFT `$CATEGORY:`, root first,
 *   without `$course$/top`; see categorySegments in categories.ts). The import
 *   adds `source.file` and `source.format`, and turns the category path into
 *   the topic and tags (applyCategory in categories.ts);
 * - `staffNotes`: notes for staff (QTI rubric blocks for tutors, scorers,
 *   authors, proctors), which go only where the key goes.
 */
export type ItemDraft = ItemContent extends infer T ? (T extends ItemContent ? Omit<T, Classification> & Partial<Pick<T, Classification>> : never) : never;

/** One question of an imported file: the item, or why it cannot become one. */
/** A recording found in an imported file (an MP3, Ogg or M4A file by its content), and its play limit. */
export interface PackageAudio {
  /** Where the file names it. */
  src: string;
  data: Uint8Array;
  maxPlays?: number;
}

export interface ParsedEntry {
  /** Position among the file's questions, from 0. */
  index: number;
  /** Line (text formats) or row (spreadsheets) where the question starts. */
  line?: number;
  item?: ItemDraft;
  error?: string;
  /** What the format said that the item cannot keep (partial credit, weights). */
  warnings?: string[];
  /** The question's number as the file prints it ("Câu 12"), where the file numbers its questions. */
  number?: number;
  /** The question's recording, read from the file: the import stores it in the media library and names it in the item's `audio`. */
  audio?: PackageAudio;
  /** Title of the file's section the question is in ("PHẦN II…"). */
  section?: string;
  /** Position of the item among its passage's items, when `item.stimulusId` names one of the file's passages. */
  stimulusOrder?: number;
}

/**
 * A shared passage a file carries. Its items refer to it by `ref` in
 * `item.stimulusId`; the import stores the passage first and puts its bank
 * id there instead.
 */
export interface ParsedStimulus {
  ref: string;
  title: string;
  /** HTML. */
  content: string;
  language?: 'vi' | 'en';
  /** Classification the file gives the passage (QTI manifest keywords); the import's defaults fill what it lacks. */
  subject?: string;
  grade?: number;
  topic?: string;
  tags?: string[];
}

export interface ParseResult {
  items: ParsedEntry[];
  /** Passages that items of the file share. */
  stimuli?: ParsedStimulus[];
  /** About the file as a whole; what concerns one question is in its entry's warnings. */
  warnings?: string[];
}

/** An item as the bank hands it to an exporter. */
export type ExportItem = ItemContent & { id: string };

/** Where exporters read items from; the route fills it from the bank's search, page by page. */
export interface ItemSource {
  /** Every item to export, in the bank's order. */
  all(): AsyncIterable<ExportItem>;
  /** The items of one type (spreadsheets write one sheet at a time). */
  ofType(type: ItemType): AsyncIterable<ExportItem>;
  /**
   * The media library's files that `content` shows and the caller may read,
   * by address (`/api/media/<hash>`), for formats that embed pictures (QTI
   * packages). Absent: nothing is embedded.
   */
  media?(content: unknown): Promise<Map<string, { type: string; data: Uint8Array }>>;
  /** A passage that items refer to by `stimulusId`, for formats that carry passages; undefined when the caller may not read it. */
  stimulus?(id: string): Promise<ExportStimulus | undefined>;
  /** Told of an item written without its recording by a format that carries recordings (the caller may not read the file). */
  audioDropped?(): void;
}

/** A shared passage as an exporter writes it. */
export interface ExportStimulus {
  id: string;
  title: string;
  /** HTML. */
  content: string;
  language?: string;
  subject?: string;
  grade?: number;
  topic?: string;
  tags?: string[];
}

/** What an import request tells a reader beyond the bytes (formats ignore what they have no use for). */
export interface ParseOptions {
  /** Mã đề whose keys an answer table with several gives (docx). */
  formCode?: string;
  /** A separate answer-key document ("đáp án" file), read as the paper's answer area (docx). */
  answerKey?: Uint8Array;
  /** The media type of a file the import carries, read from its content by the media library (null: none it keeps); without it, no recording is kept (QTI). */
  mediaType?: (bytes: Uint8Array) => string | null;
}

export interface FormatModule {
  name: FormatName;
  /** Item types the format can carry; others are left out of an export and named in a header. */
  types: readonly ItemType[];
  contentType: string;
  extension: string;
  parse(input: Buffer, options?: ParseOptions): ParseResult | Promise<ParseResult>;
  /**
   * Writes the whole file for the items to `out` (without ending it), minding
   * backpressure. Absent for a format that is only read.
   */
  write?(source: ItemSource, out: Writable): Promise<void>;
  /** True when `write` carries an item's recording (`audio`); the others write the item without it, and the export counts it. */
  audio?: boolean;
}

/** The file as a whole cannot be read (not XML, not a zip, no manifest). */
export class UnreadableFile extends AppError {
  override name = 'UnreadableFile';
  constructor(message: string) {
    super(400, 'bad_request', message);
  }
}

export class TooLarge extends AppError {
  override name = 'TooLarge';
  constructor(message: string) {
    super(413, 'payload_too_large', message);
  }
}

// ------------------------------------------------------------------- ids

/**
 * Ids given to the parts of an item read from a format that has none
 * (GIFT, Aiken, Moodle XML, spreadsheets): options A, B, C…; statements
 * a, b, c…; premises p1…, choices c1…, elements e1…, blanks b1…. Items
 * written with these ids come back with the same ids.
 */
export const ids = {
  option: (i: number) => letter(i),
  statement: (i: number) => letter(i).toLowerCase(),
  premise: (i: number) => `p${i + 1}`,
  choice: (i: number) => `c${i + 1}`,
  element: (i: number) => `e${i + 1}`,
  blank: (i: number) => `b${i + 1}`,
};

/** A, B, … Z, AA, AB, … */
export function letter(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

/** Position of a letter label (A → 0), or -1. */
export function letterIndex(label: string): number {
  const s = label.trim().toUpperCase();
  if (!/^[A-Z]{1,2}$/.test(s)) return -1;
  let n = 0;
  for (const ch of s) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

const ID = /^[A-Za-z0-9_-]{1,32}$/;
export function isId(s: string): boolean {
  return ID.test(s);
}

// -------------------------------------------------------------- metadata

/**
 * Classification carried as tags where a format has tags but no such fields
 * (GIFT, Moodle XML, the QTI manifest's keywords): `subject:toan`,
 * `grade:12`, `topic:ham-so`, `level:2`, `lang:vi`, `points:0.5`. A user tag
 * that happens to start like one is written with a `tag:` prefix so it is
 * never read back as metadata.
 */
const META_KEYS = ['subject', 'grade', 'topic', 'level', 'lang', 'points', 'shuffle', 'scoring', 'case', 'diacritics', 'fixed'] as const;
type MetaKey = (typeof META_KEYS)[number];
const META_TAG = new RegExp(`^(${META_KEYS.join('|')}):(.*)$`);

/** What a format's own fields already carry, so it is not repeated as a tag. */
export interface MetaOptions {
  points?: boolean;
  language?: boolean;
  shuffle?: boolean;
}

export function metaTags(item: ItemContent, native: MetaOptions = {}): string[] {
  const out: string[] = [];
  if (item.subject !== undefined) out.push(`subject:${item.subject}`);
  if (item.grade !== undefined) out.push(`grade:${item.grade}`);
  if (item.topic !== undefined) out.push(`topic:${item.topic}`);
  if (item.cognitiveLevel !== undefined) out.push(`level:${item.cognitiveLevel}`);
  if (!native.language && item.language !== undefined) out.push(`lang:${item.language}`);
  if (!native.points && item.points !== undefined) out.push(`points:${item.points}`);
  if (!native.shuffle && item.shuffleOptions === false) out.push('shuffle:false');
  for (const tag of item.tags ?? []) out.push(META_TAG.test(tag) || tag.startsWith('tag:') ? `tag:${tag}` : tag);
  return out;
}

/** Type-specific flags a format may carry as tags: `fixed:A,D` names options that keep their place. */
export type FlagKey = 'scoring' | 'case' | 'diacritics' | 'fixed';

/** Type-specific flags a format may carry as tags when it has no field for them. */
export function flagTags(flags: Partial<Record<FlagKey, string>>): string[] {
  return Object.entries(flags)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}:${v}`);
}

export interface ReadMeta {
  common: Partial<Pick<ItemCommon, 'subject' | 'grade' | 'topic' | 'cognitiveLevel' | 'language' | 'points' | 'shuffleOptions' | 'tags'>>;
  flags: Partial<Record<FlagKey, string>>;
}

/** Splits tags into metadata, flags and the item's own tags. */
export function readMetaTags(tags: readonly string[]): ReadMeta {
  const common: ReadMeta['common'] = {};
  const flags: ReadMeta['flags'] = {};
  const own: string[] = [];
  for (const raw of tags) {
    const tag = raw.normalize('NFC').trim();
    if (!tag) continue;
    if (tag.startsWith('tag:')) {
      own.push(tag.slice(4));
      continue;
    }
    const m = META_TAG.exec(tag);
    if (!m) {
      own.push(tag);
      continue;
    }
    const key = m[1] as MetaKey;
    const value = m[2]!.trim();
    switch (key) {
      case 'subject':
        common.subject = value;
        break;
      case 'topic':
        common.topic = value;
        break;
      case 'grade': {
        const n = Number(value);
        if (Number.isInteger(n)) common.grade = n;
        break;
      }
      case 'level': {
        const n = Number(value);
        if (n === 1 || n === 2 || n === 3 || n === 4) common.cognitiveLevel = n;
        break;
      }
      case 'lang':
        if (value === 'vi' || value === 'en') common.language = value;
        break;
      case 'points': {
        const n = Number(value);
        if (Number.isFinite(n)) common.points = n;
        break;
      }
      case 'shuffle':
        common.shuffleOptions = value !== 'false';
        break;
      default:
        flags[key] = value;
    }
  }
  if (own.length) common.tags = [...new Set(own)];
  return { common, flags };
}

// ------------------------------------------------------------------ text

/** Plain text as HTML (the bank stores HTML everywhere). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Reads a number written with a decimal point or comma; NaN when it is none. */
export function parseNumber(text: string): number {
  const s = text.trim().replace(/\s/g, '');
  if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(s)) return Number.NaN;
  return Number(s.replace(',', '.'));
}

/** A number as formats write it: shortest exact form, no exponent surprises for ordinary values. */
export function formatNumber(n: number): string {
  return String(n);
}

/** Input bytes as text: UTF-8 (BOM dropped) or UTF-16 with a BOM, then NFC, with \n line ends. */
export function decodeText(input: Buffer | string): string {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input[0] === 0xff && input[1] === 0xfe) text = input.subarray(2).toString('utf16le');
  else if (input[0] === 0xfe && input[1] === 0xff) text = Buffer.from(input.subarray(2)).swap16().toString('utf16le');
  else text = input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.replace(/\r\n?/g, '\n').normalize('NFC');
}

/**
 * Writes a chunk and waits while the reader is behind, so an export of
 * 100,000 items holds one page at a time. Rejects once the reader is gone.
 */
export async function writeChunk(out: Writable, chunk: string | Uint8Array): Promise<void> {
  if (out.destroyed) throw new Error('export stream closed');
  if (out.write(chunk)) return;
  await drained(out);
}

/** Resolves once `out` has room again (at once when it has); rejects once the reader is gone. */
export async function drained(out: Writable): Promise<void> {
  if (out.destroyed) throw new Error('export stream closed');
  if (!out.writableNeedDrain) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', closed);
      resolve();
    };
    const closed = () => {
      out.off('drain', done);
      reject(new Error('export stream closed'));
    };
    out.on('drain', done);
    out.once('close', closed);
  });
}

/** Message of an unexpected parse error, for the per-item `error`. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Thrown inside a format's per-question parser; becomes that question's `error`. */
export class ItemProblem extends Error {
  override name = 'ItemProblem';
}
