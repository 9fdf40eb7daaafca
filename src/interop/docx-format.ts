import type { ItemType } from '../bank/item-types.js';
import { dataUrlImages, MEDIA_PREFIX, readDocx, type DocxMedia } from './docx/read-docx.js';
import { DocxPackage } from './docx/package.js';
import { UnreadableFile, type FormatModule, type ParsedEntry, type ParsedStimulus, type ParseOptions, type ParseResult } from './model.js';

/**
 * `format=docx` on the import side: a Word exam paper read by
 * docx/read-docx.ts, turned into the entries every importer produces, plus
 * the passages its items share. Pictures go into the HTML as `data:` URLs
 * (what the bank's sanitiser keeps); a picture the bank would not keep — a
 * format browsers do not show (EMF, WMF, SVG), or one too large for an HTML
 * field — is left out and named in a warning on the item (or passage) that
 * showed it, never dropped silently.
 */

/** Item types a Word paper can give. */
export const DOCX_TYPES: readonly ItemType[] = ['single_choice', 'multiple_choice', 'true_false_cluster', 'numeric', 'short_text', 'essay'];

export const DOCX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/**
 * Largest picture embedded in an item: its data: URL (4/3 of the bytes) must
 * leave room in one HTML field of the bank (500,000 characters).
 */
export const MAX_EMBEDDED_IMAGE_BYTES = 256 * 1024;

/** Longest passage title the bank keeps. */
const MAX_TITLE = 500;

const PLACEHOLDER_IMG = /<img\b[^>]*\bsrc="docx-media\/([^"]*)"[^>]*>/g;

function kB(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} kB`;
}

/** Why a picture is not embedded, or null when it is. */
function refusal(media: DocxMedia | undefined): string | null {
  if (!media) return 'is missing from the file';
  if (!/^image\/(png|jpeg|gif|webp)$/.test(media.contentType)) return `is in a format browsers do not show (${media.contentType})`;
  if (media.bytes.length > MAX_EMBEDDED_IMAGE_BYTES) return `is ${kB(media.bytes.length)}, more than the ${kB(MAX_EMBEDDED_IMAGE_BYTES)} a picture in a question may have`;
  return null;
}

function embed(media: DocxMedia): string {
  return refusal(media) === null ? dataUrlImages(media) : `${MEDIA_PREFIX}${encodeURIComponent(media.name)}`;
}

/**
 * Removes the pictures that were not embedded from every HTML string of a
 * value (item or passage), in place, and says which and why.
 */
function dropRefused<T>(value: T, media: ReadonlyMap<string, DocxMedia>, warnings: string[]): T {
  const seen = new Set<string>();
  const clean = (html: string) =>
    html.replace(PLACEHOLDER_IMG, (_whole, encoded: string) => {
      const name = decodeURIComponent(encoded);
      if (!seen.has(name)) {
        seen.add(name);
        warnings.push(`Picture ${name} left out: it ${refusal(media.get(name)) ?? 'cannot be shown'}`);
      }
      return '';
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes(MEDIA_PREFIX) ? clean(v) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** The answer-key file, refused as the paper is when it is no Word document, with a message naming it. */
function answerKeyDocument(bytes: Uint8Array): Uint8Array {
  try {
    DocxPackage.open(bytes);
  } catch (err) {
    if (err instanceof UnreadableFile) throw new UnreadableFile(`The answer key file: ${err.message}`);
    throw err;
  }
  return bytes;
}

export function parseDocx(input: Buffer, options: ParseOptions = {}): ParseResult {
  const read = readDocx(input, { imageSrc: embed, ...(options.formCode ? { formCode: options.formCode } : {}), ...(options.answerKey ? { answerKey: answerKeyDocument(options.answerKey) } : {}) });
  const media = new Map(read.media.map((m) => [m.name, m]));
  const warnings = [...read.warnings];
  const entries: ParsedEntry[] = [];
  for (const x of read.items) {
    const own = [...x.warnings];
    const item = dropRefused(x.item, media, own);
    if (x.explanation !== undefined) own.push('The worked solution written after the question is not kept: items have no field for it');
    entries.push({
      index: x.index,
      number: x.number,
      ...(x.section ? { section: x.section } : {}),
      item,
      ...(x.stimulusOrder !== undefined ? { stimulusOrder: x.stimulusOrder } : {}),
      ...(own.length ? { warnings: own } : {}),
    });
  }
  for (const f of read.failed) {
    entries.push({ index: f.index, number: f.number, ...(f.section ? { section: f.section } : {}), error: f.reason });
  }
  entries.sort((a, b) => a.index - b.index);
  const stimuli: ParsedStimulus[] = read.stimuli.map((s) => {
    const own: string[] = [];
    const content = dropRefused(s.content, media, own);
    for (const w of own) warnings.push(`Passage "${s.title.slice(0, 80)}": ${w}`);
    // A passage's title is its instruction line; the bank keeps titles of up to 500 characters.
    const title = s.title.length > MAX_TITLE ? `${s.title.slice(0, MAX_TITLE - 1)}…` : s.title;
    if (title !== s.title) warnings.push(`Passage "${s.title.slice(0, 80)}": its title is cut to ${MAX_TITLE} characters`);
    return { ref: s.id, title, content, ...(s.language ? { language: s.language } : {}) };
  });
  return { items: entries, ...(stimuli.length ? { stimuli } : {}), ...(warnings.length ? { warnings } : {}) };
}

/** Word exam papers: read only here; writing papers is the export's. */
export const docx: FormatModule = {
  name: 'docx',
  types: DOCX_TYPES,
  contentType: DOCX_CONTENT_TYPE,
  extension: 'docx',
  parse: parseDocx,
};
