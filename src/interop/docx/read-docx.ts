import { escapeXml } from '../xml.js';
import { readDocument, type Block, type Media } from './document.js';
import { readExam, type ExamFailure, type ExamItem, type ExamStimulus } from './exam.js';
import { DocxPackage } from './package.js';
import { Rich, type ImageRef } from './rich.js';

/**
 * Reads a Word (.docx) exam paper into the interop draft model: items with
 * the classification the file does not give left for the import's defaults,
 * the passages they share, the pictures they show, and for each question
 * that cannot become an item its number and the reason.
 *
 * Pictures are referenced from HTML by a relative placeholder
 * (`docx-media/<name>` by default) that the integration replaces with the
 * media library's address; `imageSrc: dataUrlImages` embeds them instead.
 */

export type DocxMedia = Media;
export type DocxItem = ExamItem;
export type DocxFailure = ExamFailure;
export type DocxStimulus = ExamStimulus;

export interface ReadDocxOptions {
  /** Mã đề whose keys to read from an answer table with several. @defaultValue the paper's own mã đề, else the first */
  formCode?: string;
  /** Language of the paper's items and passages. @defaultValue not set (the bank's default, vi) */
  language?: 'vi' | 'en';
  /** A separate answer/marking-guide document ("đáp án" file) read as the key area of the paper. */
  answerKey?: Uint8Array;
  /** The `src` of a picture. @defaultValue `docx-media/<name>` */
  imageSrc?: (media: DocxMedia) => string;
}

export interface ReadDocxResult {
  items: DocxItem[];
  stimuli: DocxStimulus[];
  media: DocxMedia[];
  /** About the document as a whole; warnings about one question are on its item. */
  warnings: string[];
  failed: DocxFailure[];
  /** The mã đề the paper names, if any. */
  formCode?: string;
}

/** Relative `src` placeholder for a picture: same-origin, so stems validate before the integration rewrites it. */
export const MEDIA_PREFIX = 'docx-media/';

export function placeholderSrc(media: DocxMedia): string {
  return `${MEDIA_PREFIX}${encodeURIComponent(media.name)}`;
}

const WEB_IMAGES = /^image\/(png|jpeg|gif|webp)$/;

/** Pictures embedded as data: URLs (web formats only; others keep the placeholder). */
export function dataUrlImages(media: DocxMedia): string {
  if (!WEB_IMAGES.test(media.contentType)) return placeholderSrc(media);
  return `data:${media.contentType};base64,${Buffer.from(media.bytes).toString('base64')}`;
}

export function readDocx(bytes: Uint8Array, options: ReadDocxOptions = {}): ReadDocxResult {
  const pkg = DocxPackage.open(bytes);
  const doc = readDocument(pkg);
  const blocks: Block[] = [...doc.blocks];
  const media = [...doc.media];
  const notes = new Map(doc.notes);
  const warnings = [...doc.warnings];
  if (options.answerKey) {
    const key = readDocument(DocxPackage.open(options.answerKey));
    // The key document starts its own key area, whatever its first line says.
    const rename = joinMedia(media, key.media);
    blocks.push({ kind: 'line', line: headingLine('ĐÁP ÁN') }, ...renamed(key.blocks, rename));
    for (const [name, note] of key.notes) notes.set(rename.get(name) ?? name, note);
    warnings.push(...key.warnings.map((w) => `Answer key file: ${w}`));
  }
  const byName = new Map(media.map((m) => [m.name, m]));
  const src = options.imageSrc ?? placeholderSrc;
  const image = (ref: ImageRef) => {
    const m = byName.get(ref.name);
    if (!m) return '';
    const size = `${ref.width ? ` width="${ref.width}"` : ''}${ref.height ? ` height="${ref.height}"` : ''}`;
    return `<img src="${escapeXml(src(m))}" alt=""${size} />`;
  };
  const exam = readExam(blocks, { image, notes, ...(options.formCode ? { formCode: options.formCode } : {}), ...(options.language ? { language: options.language } : {}) });
  const unsupported = media.filter((m) => !WEB_IMAGES.test(m.contentType) && m.contentType.startsWith('image/'));
  if (unsupported.length) {
    warnings.push(`${unsupported.length} picture(s) are in formats browsers do not show (${[...new Set(unsupported.map((m) => m.contentType))].join(', ')}): ${unsupported.map((m) => m.name).join(', ')}`);
  }
  return {
    items: exam.items,
    stimuli: exam.stimuli,
    media,
    warnings: [...warnings, ...exam.warnings],
    failed: exam.failed,
    ...(exam.formCode ? { formCode: exam.formCode } : {}),
  };
}

function headingLine(text: string): Rich {
  return new Rich([{ kind: 'text', text, style: {} }]);
}

/** The answer file's pictures join the paper's, renamed where a name is taken; returns the new names. */
function joinMedia(into: DocxMedia[], extra: DocxMedia[]): Map<string, string> {
  const rename = new Map<string, string>();
  for (const m of extra) {
    const name = into.some((x) => x.name === m.name) ? `key-${m.name}` : m.name;
    rename.set(m.name, name);
    into.push({ ...m, name });
  }
  return rename;
}

/** The answer file's lines, pointing at its pictures' new names. */
function renamed(blocks: Block[], rename: Map<string, string>): Block[] {
  const fix = (r: Rich): Rich =>
    new Rich(r.atoms.map((a) => (a.kind === 'image' ? { ...a, image: { ...a.image, name: rename.get(a.image.name) ?? a.image.name } } : a)));
  return blocks.map((b) => (b.kind === 'line' ? { kind: 'line', line: fix(b.line) } : { kind: 'table', rows: b.rows.map((r) => r.map((c) => c.map(fix))) }));
}
