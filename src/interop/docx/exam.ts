import { DEFAULT_LADDER } from '../../bank/item-schemas.js';
import type { ItemType } from '../../bank/item-types.js';
import { defaultRubric, draft } from '../drafts.js';
import { escapeHtml, type ItemDraft } from '../model.js';
import type { Block } from './document.js';
import { choiceKey, keyLineRecords, keyTableRecords, numericKey, pointsOf, POINTS, statementKey, type KeyRecord } from './keys.js';
import { isRed, Rich, type ImageRef, type Marks } from './rich.js';

/**
 * The grammar of a Vietnamese exam paper, over the lines and tables of the
 * document: sections ("PHẦN I"), questions ("Câu 1."), their options
 * ("A." … one per line, several per line, or in a table), statements
 * ("a)" … for true/false clusters), keys (marked on the option, written
 * after the question, or in an answer table at the end), reading passages
 * and marking guides. Everything the reader had to infer is said in the
 * warnings of the item concerned.
 */

export interface ExamOptions {
  /** Mã đề whose column of an answer table gives the keys; default the paper's own, else the only or first. */
  formCode?: string;
  /** Item and passage language, when known. */
  language?: 'vi' | 'en';
  /** HTML for a picture in a stem, option or passage. */
  image: (image: ImageRef) => string;
  /** Warnings about particular pictures (MathType previews), by name. */
  notes: ReadonlyMap<string, string>;
}

export interface ExamItem {
  index: number;
  number: number;
  /** Title of the section ("PHẦN II. Câu trắc nghiệm đúng sai") the question is in. */
  section?: string;
  item: ItemDraft;
  warnings: string[];
  /** Worked solution ("Lời giải", "Giải thích") written after the question, as HTML. */
  explanation?: string;
  /** Position in its passage's group, when it has a passage. */
  stimulusOrder?: number;
}

export interface ExamFailure {
  index: number;
  number: number;
  section?: string;
  reason: string;
}

export interface ExamStimulus {
  id: string;
  title: string;
  content: string;
  language?: 'vi' | 'en';
}

export interface ExamResult {
  items: ExamItem[];
  failed: ExamFailure[];
  stimuli: ExamStimulus[];
  warnings: string[];
  /** The mã đề the paper names, if it names one. */
  formCode?: string;
}

// ------------------------------------------------------------- patterns

const QUESTION = /^\s*(?:Câu\s*hỏi|Câu|Question|Bài)\s*(\d{1,3})\s*(?:\(([^)]{0,40})\)|\[[^\]]{0,20}\])?\s*(?:[.:)]|(?=\s+[\p{Lu}(\d])|$)\s*/iu;
const NUMBERED = /^\s*(\d{1,3})\s*[.)]\s+(?=\S)/;
const SECTION = /^\s*(?:PHẦN|Phần|PART|Part)\s+([IVX]+|\d+)\b\s*[.:\-–]?\s*/u;
const SECTION_WORD = /^\s*(?:([IVX]+|[A-C])\s*[.\-–:]\s*)?(TRẮC NGHIỆM|TỰ LUẬN)\b/u;
const KEY_HEADING = /^\s*(?:(?:BẢNG\s+)?ĐÁP\s*ÁN|HƯỚNG\s*DẪN\s*CHẤM|HƯỚNG\s*DẪN\s*GIẢI|LỜI\s*GIẢI\s*CHI\s*TIẾT|ANSWER\s*KEYS?)\b/iu;
/** Mixed-case key headings are only these short lines ("Bảng đáp án", "Đáp án và hướng dẫn chấm:"). */
const KEY_HEADING_SHORT = /^\s*(?:bảng\s+đáp\s*án|đáp\s*án(?:\s*(?:và|&)\s*hướng\s*dẫn\s*chấm)?|hướng\s*dẫn\s*chấm|answer\s*keys?)\s*(?:\([^)]*\))?\s*[:.]?\s*$/iu;

/** A heading that starts the key area: in capitals, or one of the short mixed-case forms. */
function isKeyHeading(text: string, questionOpen: boolean): boolean {
  if (!KEY_HEADING.test(text)) return false;
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters === letters.toUpperCase()) return true;
  // "Đáp án:" under an open question introduces that question's key, not the answer section.
  return KEY_HEADING_SHORT.test(text) && !(questionOpen && /^\s*đáp\s*án\s*[:.]?\s*$/iu.test(text));
}
const KEY_LINE = /^\s*(?:Đáp\s*án(?:\s*đúng)?|Đ\/A|ĐA|Key|Answer)\s*[:：]\s*(\S.*)$/iu;
const SOLUTION = /^\s*(?:Lời\s*giải(?:\s*chi\s*tiết)?|Giải\s*thích|Hướng\s*dẫn(?:\s*giải)?|HD(?:G)?|Giải|Solution|Explanation)\s*[:.]?\s*/iu;
const CHOSEN = /(?:^|[\s.:])(?:Chọn|CHỌN|chọn)\s*(?:đáp\s*án|phương\s*án)?\s*([A-J])\s*\.?\s*$/u;
const LONE_LETTER = /^\s*([A-J])\s*$/;
const OPTION = /^\s*(\*)?\s*([A-J])\s*[.)]\s*/;
const STATEMENT = /^\s*([a-h])\s*[).]\s*/;
const INSTRUCTION = /\b(?:mark the letter|read the following|the following questions?|each of the following|choose the (?:word|best|correct)|questions? from \d)|(?:các câu|những câu)\s*(?:hỏi\s*)?(?:sau|từ|dưới)|trả lời (?:các )?câu (?:hỏi )?(?:sau|từ|dưới)|^\s*(?:dựa vào|sử dụng (?:các )?thông tin|cho (?:đoạn|bảng|biểu đồ))/iu;
const INSTRUCTION_START = /^\s*(?:đọc|read|cho|dựa|quan\s*sát|sử\s*dụng|căn\s*cứ)/iu;
const FORM_CODE = /Mã\s*đề(?:\s*thi)?\s*(?:số)?\s*[:：]?\s*(\d{2,4})/iu;
const RANGE = /(?:câu|questions?)\s*(?:từ|from)?\s*(?:câu\s*)?(\d{1,3})\s*(?:đến|tới|to|-|–)\s*(?:câu\s*)?(\d{1,3})/iu;
/** An instruction for one question only ("… và trả lời câu 3."). */
const ONE_QUESTION = /(?:trả\s*lời|answer)\s*(?:câu|question)\s*(?:hỏi\s*)?(?:số\s*)?(\d{1,3})\b(?!\s*(?:,|và|and|đến|tới|to|-|–)\s*(?:câu\s*)?\d)/iu;
const PASSAGE_WORDS = /đoạn\s*(?:văn|trích|thơ)|bài\s*(?:đọc|thơ)|văn\s*bản|ngữ\s*liệu|thông\s*tin\s*sau|bảng\s*(?:số\s*liệu|sau)|biểu\s*đồ|passage|read\s*the\s*following|following\s*(?:text|announcement|advertisement|letter)/iu;

const LEVEL_LINE = /^\s*(?:\/\/|#|[-*•])?\s*(?:Mức\s*(?:độ)?\s*:?\s*)?(Nhận\s*biết|Thông\s*hiểu|Vận\s*dụng\s*cao|Vận\s*dụng\s*thấp|Vận\s*dụng)\s*:?\s*$/iu;
const LEVEL_TAG = /[[(]\s*(NB|TH|VDC|VDT|VD)\s*[\])]/;
/** Lines starting with "//" are authors' comments (question-bank tools use them for topic and level headings). */
const COMMENT = /^\s*\/\//;

function levelOf(text: string): 1 | 2 | 3 | 4 | undefined {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  if (/vận dụng cao|^vdc$/.test(t)) return 4;
  if (/vận dụng|^vdt?$/.test(t)) return 3;
  if (/thông hiểu|^th$/.test(t)) return 2;
  if (/nhận biết|^nb$/.test(t)) return 1;
  return undefined;
}

const ROMAN: Record<string, number> = { I: 1, II: 2, III: 3, IV: 4, V: 5, VI: 6 };

function ordinal(token: string): number {
  return ROMAN[token.toUpperCase()] ?? (Number(token) || 0);
}

// --------------------------------------------------------------- model

interface Section {
  ordinal: number;
  title: string;
  type?: ItemType;
}

interface Labelled {
  label: string;
  rich: Rich;
  /** Marks on the label itself (the letter and its dot). */
  labelMarks: Marks;
  /** Marks on the option's text (after its label). */
  marks: Marks;
  /** Written with an asterisk before its label ("*B."). */
  starred: boolean;
}

type StemPart = { kind: 'line'; rich: Rich } | { kind: 'table'; rows: Rich[][][] };

interface Question {
  number: number;
  /** Cognitive level from a level heading before it or a tag ([NB], [TH], [VD], [VDC]) after its number. */
  level?: { value: 1 | 2 | 3 | 4; from: string };
  section?: Section;
  points?: number;
  stem: StemPart[];
  options: Labelled[];
  statements: Labelled[];
  /** Keys written with the question ("Đáp án: B"), in order. */
  keyLines: string[];
  /** Weaker keys: "Chọn B" at the end of a solution, a lone letter after the options. */
  weakKeys: { key: string; how: string }[];
  explanation: StemPart[];
  inExplanation: boolean;
  /** A bare "Đáp án:" line was read: the next line is the key. */
  expectKey?: boolean;
  stimulus?: ExamStimulus;
  instruction?: Rich[];
  /** Statement key from a table beside the statements (Đúng/Sai columns). */
  tableValues?: Record<string, boolean>;
}

interface GuideEntry {
  part?: number;
  number: number;
  lines: StemPart[];
}

// ------------------------------------------------------------- helpers

function sectionType(title: string): ItemType | undefined {
  const t = title.toLowerCase();
  if (/đúng\s*[/-]?\s*sai|đúng hoặc sai|true\s*\/?\s*false/.test(t)) return 'true_false_cluster';
  if (/trả\s*lời\s*ngắn|điền\s*đáp\s*số|short\s*answer/.test(t)) return 'numeric';
  if (/tự\s*luận|essay/.test(t)) return 'essay';
  if (/nhiều\s*phương\s*án|trắc\s*nghiệm|lựa\s*chọn|multiple\s*choice/.test(t)) return 'single_choice';
  return undefined;
}

/** The 2025 national format: PHẦN I single choice, II true/false clusters, III short numeric answers. */
function formatType(ordinalNumber: number): ItemType | undefined {
  return ordinalNumber === 1 ? 'single_choice' : ordinalNumber === 2 ? 'true_false_cluster' : ordinalNumber === 3 ? 'numeric' : undefined;
}

function plain(rich: Rich): string {
  return rich.plain.replace(/\t/g, ' ').replace(/\s+/g, ' ').trim();
}

function cellPlain(cell: Rich[]): string {
  return cell.map(plain).join(' ').trim();
}

/** Typed LaTeX between dollar signs ("$x^2$", "$$\int$$") becomes maths. */
function typedMaths(line: Rich): Rich {
  let out = line;
  for (let guard = 0; guard < 200; guard++) {
    const m = /\$\$([^$\uFFFC]+)\$\$|\$([^$\uFFFC\n]+)\$/.exec(out.plain);
    if (!m) break;
    const latex = (m[1] ?? m[2] ?? '').trim();
    if (latex === '') break;
    out = out.replace(m.index, m.index + m[0].length, { kind: 'math', latex, display: m[1] !== undefined });
  }
  return out;
}

/** Splits a line holding several labels in order ("A. x\tB. y") into its labelled parts. */
function splitLabelled(line: Rich, first: number, pattern: 'upper' | 'lower'): { label: string; start: number; contentStart: number; starred: boolean }[] {
  const letter = (i: number) => (pattern === 'upper' ? String.fromCharCode(65 + i) : String.fromCharCode(97 + i));
  const text = line.plain;
  const head = (pattern === 'upper' ? OPTION : STATEMENT).exec(text);
  if (!head) return [];
  const firstLabel = pattern === 'upper' ? head[2]! : head[1]!;
  if (firstLabel !== letter(first)) return [];
  const out = [{ label: firstLabel, start: 0, contentStart: head[0].length, starred: pattern === 'upper' && head[1] === '*' }];
  let i = first + 1;
  let from = head[0].length;
  for (;;) {
    const l = letter(i);
    // The next label stands after a tab or a space, and is followed by its dot or bracket.
    const re = pattern === 'upper' ? new RegExp(`(^|[\\t ]|\\uFFFC)(\\*)?\\s*${l}\\s*[.)]\\s*`, 'g') : new RegExp(`(^|[\\t ]|\\uFFFC)${l}\\s*\\)\\s*`, 'g');
    re.lastIndex = from;
    let m: RegExpExecArray | null;
    let found: { start: number; end: number; starred: boolean } | undefined;
    while ((m = re.exec(text))) {
      // The previous option must have some text before the next label starts.
      const start = m.index + m[1]!.length;
      const before = text.slice(from, m.index + (m[1] === '\uFFFC' ? 1 : 0)).trim();
      if (before.length === 0) continue;
      found = { start, end: m.index + m[0].length, starred: pattern === 'upper' && m[2] === '*' };
      break;
    }
    if (!found) break;
    out.push({ label: l, start: found.start, contentStart: found.end, starred: found.starred });
    from = found.end;
    i++;
  }
  return out;
}

function labelledParts(line: Rich, first: number, pattern: 'upper' | 'lower'): Labelled[] {
  const parts = splitLabelled(line, first, pattern);
  return parts.map((p, i) => {
    const end = i + 1 < parts.length ? parts[i + 1]!.start : line.length;
    const labelRich = line.slice(p.start, p.contentStart);
    const content = line.slice(p.contentStart, end).trim();
    return { label: p.label, rich: content, labelMarks: labelRich.marks(), marks: content.marks(), starred: p.starred };
  });
}

/** Cells of a table each starting with the next label (options or statements laid out in a grid). */
function tableLabelled(rows: Rich[][][], first: number, pattern: 'upper' | 'lower'): Labelled[] | undefined {
  const cells = rows.flat().map((lines) => lines.filter((l) => !l.isBlank)).filter((lines) => lines.length > 0);
  const out: Labelled[] = [];
  for (const lines of cells) {
    const line = lines.reduce((a, b) => a.concat(new Rich([{ kind: 'tab' }])).concat(b));
    const parts = labelledParts(line, first + out.length, pattern);
    if (parts.length === 0) return undefined;
    out.push(...parts);
  }
  return out.length >= 2 ? out : undefined;
}

/** A statement table with Đúng/Sai columns: statements from the first column, values from the marked column. */
function statementTable(rows: Rich[][][]): { statements: Labelled[]; values?: Record<string, boolean> } | undefined {
  const header = rows[0]?.map(cellPlain) ?? [];
  const trueCol = header.findIndex((h) => /^(đúng|đ|true|t)$/i.test(h));
  const falseCol = header.findIndex((h) => /^(sai|s|false|f)$/i.test(h));
  const body = trueCol !== -1 || falseCol !== -1 ? rows.slice(1) : rows;
  const statements: Labelled[] = [];
  const values: Record<string, boolean> = {};
  for (const r of body) {
    const cellWithLabel = r.findIndex((c) => c.length > 0 && STATEMENT.test(c.map((l) => l.plain).join('\t')));
    if (cellWithLabel === -1) return undefined;
    const line = r[cellWithLabel]!.filter((l) => !l.isBlank).reduce((a, b) => a.concat(new Rich([{ kind: 'tab' }])).concat(b));
    const parts = labelledParts(line, statements.length, 'lower');
    if (parts.length !== 1) return undefined;
    statements.push(parts[0]!);
    const mark = (col: number) => col !== -1 && /\S/.test(cellPlain(r[col] ?? []));
    if (mark(trueCol) !== mark(falseCol)) values[parts[0]!.label] = mark(trueCol);
  }
  if (statements.length < 2) return undefined;
  return { statements, ...(Object.keys(values).length === statements.length ? { values } : {}) };
}

type Feature = 'u' | 'red' | 'highlight' | 'color' | 'b';

const FEATURE_NAME: Record<Feature, string> = { u: 'underlined', red: 'in red', highlight: 'highlighted', color: 'in a different colour', b: 'in bold' };

function has(marks: Marks, f: Feature, common: string | undefined): boolean {
  switch (f) {
    case 'u':
      return marks.u;
    case 'b':
      return marks.b;
    case 'red':
      return marks.red;
    case 'highlight':
      return marks.highlight !== undefined;
    case 'color':
      return marks.color !== undefined && marks.color !== common && !isRed(common);
  }
}

/**
 * Options marked as the key: the first formatting feature (underline, red,
 * highlight, odd colour, bold) that some but not all options show, on the
 * labels first, then on the options' text.
 */
function markedOptions(options: Labelled[], allowAll: boolean): { labels: string[]; feature: Feature; onText: boolean } | undefined {
  const starred = options.filter((o) => o.starred);
  if (starred.length > 0 && starred.length < options.length) return { labels: starred.map((o) => o.label), feature: 'b', onText: false };
  for (const scope of ['label', 'text'] as const) {
    const marks = options.map((o) => (scope === 'label' ? o.labelMarks : o.marks));
    const colors = marks.map((m) => m.color);
    const common = mode(colors);
    for (const f of ['u', 'red', 'highlight', 'color', 'b'] as Feature[]) {
      const hit = options.filter((_, i) => has(marks[i]!, f, common));
      if (hit.length > 0 && (hit.length < options.length || allowAll)) return { labels: hit.map((o) => o.label), feature: f, onText: scope === 'text' };
    }
  }
  return undefined;
}

function mode(values: (string | undefined)[]): string | undefined {
  const counts = new Map<string | undefined, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

// -------------------------------------------------------------- reader

export function readExam(blocks: readonly Block[], options: ExamOptions): ExamResult {
  const first = scan(blocks, options, QUESTION);
  if (first.items.length + first.failed.length > 0) return first;
  // Papers that number questions "1." without "Câu": only when no "Câu" question exists at all.
  const numbered = scan(blocks, options, NUMBERED);
  if (numbered.items.length + numbered.failed.length > 0) {
    numbered.warnings.push('No "Câu N" question was found; questions were read from lines numbered "1.", "2.", …');
    return numbered;
  }
  return first;
}

function scan(blocks: readonly Block[], options: ExamOptions, questionPattern: RegExp): ExamResult {
  const warnings: string[] = [];
  const questions: Question[] = [];
  const sections: Section[] = [];
  const stimuli: ExamStimulus[] = [];
  const stimulusRanges: { stimulus: ExamStimulus; section?: Section; from: number; to: number }[] = [];
  const keyRecords: KeyRecord[] = [];
  const guides: GuideEntry[] = [];
  let formCode: string | undefined;
  let section: Section | undefined;
  let current: Question | undefined;
  let pending: StemPart[] = [];
  let instruction: Rich[] | undefined;
  let openStimulus: { stimulus: ExamStimulus; section?: Section } | undefined;
  let keyArea = false;
  let keyPart: number | undefined;
  let keyForm: string | undefined;
  let guide: GuideEntry | undefined;
  let level: { value: 1 | 2 | 3 | 4; from: string } | undefined;

  const closeQuestion = () => {
    current = undefined;
  };

  /** Adds lines to a question's solution, picking up "Chọn B" as a weak key. */
  const toExplanation = (q: Question, parts: StemPart[]) => {
    for (const p of parts) {
      if (p.kind === 'line') {
        const chosen = CHOSEN.exec(plain(p.rich));
        if (chosen) q.weakKeys.push({ key: chosen[1]!, how: `"${chosen[0].trim()}" in the text after the options` });
      }
      q.explanation.push(p);
    }
  };

  /**
   * Lines between two questions: what follows the first one's options (its
   * solution), then an instruction for the next ones ("Mark the letter…",
   * "Đọc đoạn văn sau và trả lời các câu từ 1 đến 5") and the passage it
   * introduces, which becomes a stimulus.
   */
  const settlePending = () => {
    const lines = pending;
    pending = [];
    if (lines.length === 0) return;
    const prev = questions.length > 0 && questions[questions.length - 1]!.section === section ? questions[questions.length - 1] : undefined;
    const texts = lines.map((p) => (p.kind === 'line' ? plain(p.rich) : ''));
    // The last explicit instruction wins (solutions of the previous question may mention "đoạn văn" too).
    const short = (t: string) => t.length <= 400;
    let at = texts.findLastIndex((t) => short(t) && (RANGE.test(t) || INSTRUCTION.test(t)));
    // Otherwise a line naming a passage, written as an instruction is ("Đọc đoạn văn sau:", "Cho bảng số liệu…").
    if (at === -1) at = texts.findIndex((t) => short(t) && PASSAGE_WORDS.test(t) && (INSTRUCTION_START.test(t) || /:\s*$/.test(t)));
    if (at === -1) {
      if (prev) return toExplanation(prev, lines);
      // Text before the first question that names no passage: an instruction for what follows when it is short.
      const text = lines.filter((p): p is { kind: 'line'; rich: Rich } => p.kind === 'line' && !p.rich.isBlank);
      if (text.length > 0 && text.length <= 2 && lines.every((p) => p.kind === 'line')) instruction = text.map((p) => p.rich);
      return;
    }
    if (prev && at > 0) toExplanation(prev, lines.slice(0, at));
    const content = lines.slice(at + 1).filter((p) => p.kind === 'table' || !p.rich.isBlank);
    const head = lines[at] as { kind: 'line'; rich: Rich };
    const passage = RANGE.test(texts[at]!) || PASSAGE_WORDS.test(texts[at]!);
    if (content.length === 0 || !passage) {
      instruction = [head.rich, ...content.filter((p): p is { kind: 'line'; rich: Rich } => p.kind === 'line').map((p) => p.rich)];
      openStimulus = undefined;
      return;
    }
    const html = partsHtml(content, options);
    const title = texts[at]!.slice(0, 200);
    // Papers that repeat a passage before each of its questions, or in each part its questions are in, give one stimulus.
    let stimulus = stimuli.find((x) => x.content === html);
    if (!stimulus) {
      stimulus = { id: `docx-s${stimuli.length + 1}`, title, content: html, ...(options.language ? { language: options.language } : {}) };
      stimuli.push(stimulus);
    }
    instruction = [head.rich];
    const range = RANGE.exec(texts[at]!);
    const one = range ? null : ONE_QUESTION.exec(texts[at]!);
    if (range || one) {
      const from = Number(range ? range[1] : one![1]);
      stimulusRanges.push({ stimulus, ...(section ? { section } : {}), from, to: range ? Number(range[2]) : from });
      openStimulus = undefined;
    } else openStimulus = { stimulus, ...(section ? { section } : {}) };
  };

  const startSection = (title: string, ord: number) => {
    closeQuestion();
    settlePending();
    instruction = undefined;
    openStimulus = undefined;
    const type = sectionType(title);
    section = { ordinal: ord, title, ...(type ? { type } : {}) };
    level = undefined;
    sections.push(section);
  };

  const handleKeyAreaLine = (rich: Rich) => {
    const text = plain(rich);
    if (text === '') return;
    const sec = SECTION.exec(text);
    if (sec) {
      keyPart = ordinal(sec[1]!);
      guide = undefined;
      return;
    }
    const form = FORM_CODE.exec(text);
    if (form && text.length < 40) {
      keyForm = form[1];
      return;
    }
    const q = QUESTION.exec(text);
    if (q) {
      const rest = text.slice(q[0].length).trim();
      guide = { ...(keyPart !== undefined ? { part: keyPart } : {}), number: Number(q[1]), lines: [] };
      guides.push(guide);
      if (rest !== '') {
        keyRecords.push({ ...(keyPart !== undefined ? { part: keyPart } : {}), ...(keyForm ? { form: keyForm } : {}), number: Number(q[1]), text: rest, source: 'line' });
        guide.lines.push({ kind: 'line', rich: rich.slice(rich.plain.indexOf(rest.slice(0, 1), q[0].length - 1)) });
      }
      return;
    }
    const pairs = keyLineRecords(text, keyPart, keyForm);
    if (pairs.length >= 2 || (pairs.length === 1 && /^\s*\d{1,3}\s*[.\-:)–]?\s*[A-J]\s*$/.test(text))) {
      keyRecords.push(...pairs);
      guide = undefined;
      return;
    }
    guide?.lines.push({ kind: 'line', rich });
  };

  const handleKeyAreaTable = (rows: Rich[][][]) => {
    const cells = rows.map((r) => r.map(cellPlain));
    const records = keyTableRecords(cells, keyPart, keyForm);
    // A marking-guide table under "Câu N" belongs to that question's guide.
    if (guide && (records.length === 0 || cells.some((r) => r.some((c) => pointsOf(c) !== undefined)))) {
      guide.lines.push({ kind: 'table', rows });
      return;
    }
    if (records.length) keyRecords.push(...records);
    else if (guide) guide.lines.push({ kind: 'table', rows });
  };

  const startQuestion = (rich: Rich, m: RegExpExecArray) => {
    settlePending();
    const number = Number(m[1]);
    let points = m[2] !== undefined ? pointsOf(m[2]) : undefined;
    let headAt = m[0].length;
    // Points written after the separator: "Câu 1: (2đ): …".
    const late = /^\(([^)]{0,40})\)\s*[.:]?\s*/.exec(rich.plain.slice(headAt));
    if (points === undefined && late && pointsOf(late[1]!) !== undefined) {
      points = pointsOf(late[1]!);
      headAt += late[0].length;
    }
    const tag = LEVEL_TAG.exec(m[0]);
    const tagged = tag ? levelOf(tag[1]!) : undefined;
    const questionLevel = tagged ? { value: tagged, from: `the tag [${tag![1]}] after its number` } : level;
    const head = rich.slice(headAt).trim();
    current = {
      number,
      ...(section ? { section } : {}),
      ...(points !== undefined ? { points } : {}),
      ...(questionLevel ? { level: questionLevel } : {}),
      stem: head.isBlank ? [] : [{ kind: 'line', rich: head }],
      options: [],
      statements: [],
      keyLines: [],
      weakKeys: [],
      explanation: [],
      inExplanation: false,
      ...(instruction ? { instruction } : {}),
    };
    const inRange = stimulusRanges.find((r) => r.section === section && number >= r.from && number <= r.to);
    if (inRange) current.stimulus = inRange.stimulus;
    else if (openStimulus && openStimulus.section === section) current.stimulus = openStimulus.stimulus;
    questions.push(current);
    // Options may follow the stem on the same line ("… bằng A. 1 B. 2 C. 3 D. 4").
    const inline = /(?:^|[\t ]|\uFFFC)\*?A\s*[.)]\s+\S/.exec(head.plain);
    if (inline && inline.index > 0) {
      const at = inline.index + (/^[\t \uFFFC]/.test(inline[0]) ? 1 : 0);
      const parts = labelledParts(head.slice(at), 0, 'upper');
      if (parts.length >= 2) {
        current.stem = [{ kind: 'line', rich: head.slice(0, at).trim() }];
        current.options.push(...parts);
      }
    }
  };

  const handleLine = (raw: Rich) => {
    const rich = typedMaths(raw);
    const text = plain(rich);
    if (keyArea) return handleKeyAreaLine(rich);
    if (text === '' && !rich.hasObjects) return;
    const levelLine = LEVEL_LINE.exec(text);
    if (levelLine) {
      level = { value: levelOf(levelLine[1]!)!, from: `the heading "${text.replace(/^\W+/u, '').slice(0, 40)}" before it` };
      return;
    }
    if (COMMENT.test(text)) return;
    if (!formCode) {
      const form = FORM_CODE.exec(text);
      if (form && !current) formCode = form[1];
    }
    const sec = SECTION.exec(text) ?? (current && current.options.length === 0 ? null : SECTION_WORD.exec(text));
    if (sec && !(current && OPTION.test(text) && !/^\s*[A-C]\s*[.\-–:]\s*(TRẮC NGHIỆM|TỰ LUẬN)/u.test(text))) {
      const ord = sec[1] ? ordinal(sec[1]) : sections.length + 1;
      startSection(text, ord);
      return;
    }
    if (current) {
      if (current.expectKey) {
        current.expectKey = false;
        if (text.length <= 60) {
          current.keyLines.push(text);
          return;
        }
      }
      const keyLine = KEY_LINE.exec(text);
      if (keyLine) {
        current.keyLines.push(keyLine[1]!.trim());
        return;
      }
      if (/^\s*đáp\s*án\s*[:.]?\s*$/iu.test(text) && !isKeyHeading(text, true)) {
        current.expectKey = true;
        return;
      }
    }
    if (isKeyHeading(text, current !== undefined)) {
      closeQuestion();
      settlePending();
      keyArea = true;
      handleKeyAreaLine(rich);
      return;
    }
    const q = questionPattern.exec(text);
    if (q && !(current && current.section === section && Number(q[1]) === current.number && (current.inExplanation || current.options.length > 0))) {
      startQuestion(rich, q);
      return;
    }
    if (!current) {
      pending.push({ kind: 'line', rich });
      return;
    }
    const cur = current;
    if (cur.inExplanation && (INSTRUCTION.test(text) || PASSAGE_WORDS.test(text) || RANGE.test(text))) {
      // A solution ends where the instruction for the next questions begins.
      cur.inExplanation = false;
      pending.push({ kind: 'line', rich });
      return;
    }
    if (pending.length > 0) {
      pending.push({ kind: 'line', rich });
      return;
    }
    if (cur.inExplanation) {
      const chosen = CHOSEN.exec(text);
      if (chosen) cur.weakKeys.push({ key: chosen[1]!, how: `"${chosen[0].trim()}" in the solution` });
      cur.explanation.push({ kind: 'line', rich });
      return;
    }
    const solution = SOLUTION.exec(text);
    if (solution && solution[0].trim() !== '' && (cur.options.length > 0 || cur.statements.length > 0 || /[:.]\s*$/.test(solution[0]) || text.length === solution[0].trim().length)) {
      cur.inExplanation = true;
      const rest = rich.slice(solution[0].length).trim();
      if (!rest.isBlank) {
        const chosen = CHOSEN.exec(plain(rest));
        if (chosen) cur.weakKeys.push({ key: chosen[1]!, how: `"${chosen[0].trim()}" in the solution` });
        cur.explanation.push({ kind: 'line', rich: rest });
      }
      return;
    }
    // Options: the first must be A, then each line continues the letters.
    if (cur.statements.length === 0) {
      const parts = labelledParts(rich, cur.options.length, 'upper');
      if (parts.length > 0) {
        cur.options.push(...parts);
        return;
      }
    }
    if (cur.options.length === 0) {
      const parts = labelledParts(rich, cur.statements.length, 'lower');
      if (parts.length > 0) {
        cur.statements.push(...parts);
        return;
      }
    }
    if (cur.options.length > 0 || cur.statements.length > 0) {
      const lone = LONE_LETTER.exec(text);
      if (lone && cur.options.length > 0) {
        cur.weakKeys.push({ key: lone[1]!, how: `the letter ${lone[1]} standing alone after the options` });
        return;
      }
      const chosen = CHOSEN.exec(text);
      if (chosen) {
        cur.weakKeys.push({ key: chosen[1]!, how: `"${chosen[0].trim()}" after the options` });
        return;
      }
      // Text after the options without a solution heading: a solution, or what introduces the next questions.
      pending.push({ kind: 'line', rich });
      return;
    }
    cur.stem.push({ kind: 'line', rich });
  };

  const handleTable = (rows: Rich[][][]) => {
    if (keyArea) return handleKeyAreaTable(rows);
    const cells = rows.map((r) => r.map(cellPlain));
    // A table of answers outside the key area ("Đáp án" row under the numbers).
    if (!current || current.options.length > 0 || current.statements.length > 0 || current.inExplanation) {
      const headerLike = cells.some((r) => r.some((c) => /^(đáp án|câu)$/i.test(c)));
      if (headerLike) {
        const records = keyTableRecords(cells, undefined, undefined);
        if (records.length >= 2) {
          closeQuestion();
          settlePending();
          keyRecords.push(...records);
          return;
        }
      }
    }
    // Questions laid out in table cells: read the cells in order as lines.
    const flat = rows.flatMap((r) => r.flat());
    if (flat.some((l) => questionPattern.test(plain(l)))) {
      for (const r of rows) for (const cell of r) for (const line of cell) handleLine(line);
      return;
    }
    if (current && !current.inExplanation) {
      if (current.statements.length === 0) {
        const opts = tableLabelled(rows, current.options.length, 'upper');
        if (opts) {
          current.options.push(...opts);
          return;
        }
      }
      if (current.options.length === 0) {
        const st = statementTable(rows);
        if (st) {
          current.statements.push(...st.statements);
          if (st.values) current.tableValues = st.values;
          return;
        }
      }
      if (current.options.length === 0 && current.statements.length === 0 && pending.length === 0) {
        current.stem.push({ kind: 'table', rows });
        return;
      }
    }
    if (current?.inExplanation && pending.length === 0) {
      current.explanation.push({ kind: 'table', rows });
      return;
    }
    pending.push({ kind: 'table', rows });
  };

  for (const block of blocks) {
    if (block.kind === 'line') handleLine(block.line);
    else handleTable(block.rows);
  }
  settlePending();

  const chosenForm = chooseForm(keyRecords, options.formCode ?? formCode, warnings);
  const records = keyRecords.filter((r) => r.form === undefined || r.form === chosenForm);
  const result: ExamResult = { items: [], failed: [], stimuli, warnings, ...(formCode ? { formCode } : {}) };
  const groupOrder = new Map<string, number>();
  const keyParts = new Set(records.map((r) => r.part).filter((p) => p !== undefined));
  questions.forEach((q, index) => {
    const built = buildItem(q, recordsFor(q, records, keyParts, questions), guidesFor(q, guides, questions), options);
    const base = { index, number: q.number, ...(q.section ? { section: q.section.title } : {}) };
    if ('reason' in built) {
      result.failed.push({ ...base, reason: built.reason });
      return;
    }
    const entry: ExamItem = { ...base, item: built.item, warnings: built.warnings };
    if (q.explanation.length) entry.explanation = partsHtml(q.explanation, options);
    if (q.stimulus) {
      const order = groupOrder.get(q.stimulus.id) ?? 0;
      groupOrder.set(q.stimulus.id, order + 1);
      entry.stimulusOrder = order;
    }
    result.items.push(entry);
  });
  return result;
}

function chooseForm(records: KeyRecord[], wanted: string | undefined, warnings: string[]): string | undefined {
  const forms = [...new Set(records.map((r) => r.form).filter((f): f is string => f !== undefined))];
  if (forms.length === 0) return undefined;
  if (wanted !== undefined && forms.includes(wanted)) return wanted;
  if (wanted !== undefined) warnings.push(`The answer table has no column for mã đề ${wanted} (it has ${forms.join(', ')}); the keys of mã đề ${forms[0]} were used`);
  else if (forms.length > 1) warnings.push(`The answer table gives keys for mã đề ${forms.join(', ')} and the paper names none; the keys of mã đề ${forms[0]} were used`);
  return forms[0];
}

/** Whether a key text can be a key of this question's kind. */
function fits(q: Question, text: string): boolean {
  if (q.options.length) return choiceKey(text) !== undefined;
  if (q.statements.length) return statementKey(text, q.statements.length) !== undefined;
  return true;
}

/**
 * The answer-table records of a question. Keys under "PHẦN" headings go to
 * the section of that number; keys without one go by number, and where
 * several sections repeat a number, to the one whose kind of question fits.
 */
function recordsFor(q: Question, records: KeyRecord[], keyParts: Set<number | undefined>, all: Question[]): KeyRecord[] {
  return records.filter((r) => {
    if (r.number !== q.number) return false;
    if (r.part !== undefined && keyParts.size > 0) return q.section?.ordinal === r.part;
    const same = all.filter((o) => o.number === q.number);
    if (same.length <= 1) return true;
    const fitting = same.filter((o) => fits(o, r.text));
    return fitting.length === 0 ? same[0] === q : fitting[0] === q || (fitting.includes(q) && fitting.length === 1);
  });
}

function guidesFor(q: Question, guides: GuideEntry[], all: Question[]): GuideEntry | undefined {
  const candidates = guides.filter((g) => g.number === q.number && (g.part === undefined || q.section?.ordinal === g.part));
  if (candidates.length === 0) return undefined;
  // A guide under its part's heading ("PHẦN IV" … "Câu 1.") names its question whatever other parts number.
  const ofPart = candidates.filter((g) => g.part !== undefined);
  if (ofPart.length > 0) return ofPart[ofPart.length - 1];
  const essays = all.filter((o) => o.number === q.number && o.options.length === 0 && o.statements.length === 0);
  return essays.length <= 1 || essays[0] === q ? candidates[candidates.length - 1] : undefined;
}

// ---------------------------------------------------------------- html

function linesHtml(parts: StemPart[], options: ExamOptions, strip?: ReadonlySet<'u' | 'b'>): string[] {
  return parts.map((p) => (p.kind === 'line' ? p.rich.html(options.image, strip) : tableHtml(p.rows, options)));
}

function partsHtml(parts: StemPart[], options: ExamOptions): string {
  const html = linesHtml(parts, options).filter((h) => h.trim() !== '');
  if (html.length === 1) return html[0]!.trim();
  return html.map((h) => (h.startsWith('<table>') ? h : `<p>${h.trim()}</p>`)).join('');
}

function tableHtml(rows: Rich[][][], options: ExamOptions): string {
  const body = rows
    .map((r) => `<tr>${r.map((cell) => `<td>${cell.map((l) => l.html(options.image).trim()).filter((h) => h !== '').join('<br>')}</td>`).join('')}</tr>`)
    .join('');
  return `<table>${body}</table>`;
}

// --------------------------------------------------------------- items

type Built = { item: ItemDraft; warnings: string[] } | { reason: string };

function notesOf(parts: (StemPart | Labelled)[], options: ExamOptions): string[] {
  const out = new Set<string>();
  const visit = (rich: Rich) => {
    for (const a of rich.atoms) if (a.kind === 'image' && options.notes.has(a.image.name)) out.add(options.notes.get(a.image.name)!);
  };
  for (const p of parts) {
    if ('label' in p) visit(p.rich);
    else if (p.kind === 'line') visit(p.rich);
    else p.rows.flat(2).forEach(visit);
  }
  return [...out];
}

function stemHtml(q: Question, options: ExamOptions, warnings: string[]): string | undefined {
  const html = partsHtml(q.stem, options);
  if (html !== '') return html;
  if (q.instruction?.length) {
    warnings.push('The question has no text of its own; the instruction before it is its stem');
    return partsHtml(q.instruction.map((rich) => ({ kind: 'line', rich })), options);
  }
  if (q.stimulus) {
    warnings.push('The question has no text of its own; its passage\'s instruction is its stem');
    return escapeHtml(q.stimulus.title);
  }
  return undefined;
}

function fromSection(q: Question): string {
  return q.section ? `section "${q.section.title.slice(0, 80)}"` : 'the paper';
}

function buildItem(q: Question, records: KeyRecord[], guide: GuideEntry | undefined, options: ExamOptions): Built {
  const warnings: string[] = [];
  warnings.push(...notesOf([...q.stem, ...q.options, ...q.statements], options));
  const stem = stemHtml(q, options, warnings);
  if (stem === undefined) return { reason: 'The question has no text' };
  if (q.level) warnings.push(`Cognitive level ${q.level.value} taken from ${q.level.from}`);
  const meta = {
    ...(q.level ? { cognitiveLevel: q.level.value } : {}),
    ...(q.points !== undefined ? { points: q.points } : {}),
    ...(options.language ? { language: options.language } : {}),
    ...(q.stimulus ? { stimulusId: q.stimulus.id } : {}),
  };
  const tableText = records.map((r) => r.text).join(' ');
  const sectionType = q.section?.type ?? (q.section ? formatType(q.section.ordinal) : undefined);

  if (q.options.length > 0) return choiceItem(q, stem, meta, records, tableText, warnings, options);
  if (q.statements.length > 0) return clusterItem(q, stem, meta, records, tableText, warnings, options);

  const written = q.keyLines[0] ?? (tableText !== '' ? tableText : undefined);
  if (q.keyLines.length === 0 && tableText !== '') warnings.push(`Key "${tableText}" taken from the answer table`);
  if (sectionType === 'single_choice') return { reason: 'No options A, B, C, D were found for this multiple-choice question' };
  if (sectionType === 'true_false_cluster') return { reason: 'No statements a), b), c), d) were found for this true/false question' };
  if (sectionType === 'essay' || (written === undefined && sectionType !== 'numeric')) {
    if (sectionType !== 'essay') warnings.push('No options and no key: read as an essay');
    return essayItem(q, stem, meta, guide, warnings, options);
  }
  if (written === undefined) return { reason: 'No key was found: no "Đáp án:" line and no answer table entry for this question' };
  if (choiceKey(written)?.length === 1 && sectionType !== 'numeric') {
    return { reason: `The key is option ${written.trim()}, but no options "A.", "B.", … were found in the question` };
  }
  const value = numericKey(written);
  if (value !== undefined) {
    if (sectionType !== 'numeric') warnings.push('No options: read as a numeric answer because its key is a number');
    else warnings.push(`Type numeric taken from ${fromSection(q)}${q.section?.type ? '' : ' (PHẦN III of the 2025 format)'}`);
    return { item: draft('numeric', stem, meta, { value }), warnings };
  }
  warnings.push(`The key "${written}" is not a number: read as a short text answer`);
  return { item: draft('short_text', stem, meta, { accepted: [written.slice(0, 500)] }), warnings };
}

function optionHtml(o: Labelled, options: ExamOptions, strip: ReadonlySet<'u' | 'b'>): string {
  return o.rich.html(options.image, strip).trim();
}

function choiceItem(q: Question, stem: string, meta: Record<string, unknown>, records: KeyRecord[], _tableText: string, warnings: string[], options: ExamOptions): Built {
  const labels = q.options.map((o) => o.label);
  if (q.options.length < 2) return { reason: 'Only one option was found' };
  if (q.options.length > 10) return { reason: `${q.options.length} options were found; an item has at most 10` };
  const marked = markedOptions(q.options, false);
  let key: string[] | undefined;
  const strip = new Set<'u' | 'b'>();
  if (marked) {
    key = marked.labels;
    // Labels are not part of the option text; a mark on the text itself must not show the key.
    if (marked.onText && marked.feature === 'u') strip.add('u');
    if (marked.onText && marked.feature === 'b') strip.add('b');
  }
  const written = q.keyLines.map(choiceKey).find((k) => k !== undefined);
  const fromTable = records.map((r) => choiceKey(r.text)).find((k) => k !== undefined);
  const weakEntry = q.weakKeys.find((w) => choiceKey(w.key) !== undefined);
  const weak = weakEntry ? choiceKey(weakEntry.key) : undefined;
  if (key && written && key.join() !== written.join()) warnings.push(`Option ${key.join(', ')} is marked but the key line says ${written.join(', ')}; the key line was used`);
  if (written) key = written;
  if (key && fromTable && key.join() !== fromTable.join()) warnings.push(`The answer table gives ${fromTable.join(', ')} but the question marks ${key.join(', ')}; the question's key was used`);
  if (!key && fromTable) {
    key = fromTable;
    warnings.push(`Key ${fromTable.join(', ')} taken from the answer table`);
  }
  if (!key && weak) {
    key = weak;
    warnings.push(`Key ${weak.join(', ')} taken from ${weakEntry!.how}`);
  }
  if (!key) return { reason: `No key: none of the options ${labels.join(', ')} is marked (underline, colour, highlight or bold) and no answer line or table gives one` };
  const missing = key.filter((k) => !labels.includes(k));
  if (missing.length) return { reason: `The key names option ${missing.join(', ')}, which the question does not have (options ${labels.join(', ')})` };
  const empty = q.options.find((o) => o.rich.isBlank);
  if (empty) return { reason: `Option ${empty.label} is empty` };
  const expected = labels.map((_, i) => String.fromCharCode(65 + i));
  if (labels.join() !== expected.join()) warnings.push(`Options are labelled ${labels.join(', ')}`);
  const opts = q.options.map((o) => ({ id: o.label, text: optionHtml(o, options, strip) }));
  if (key.length > 1) {
    warnings.push(`Several options are keys (${key.join(', ')}): read as a multiple-answer question`);
    return { item: draft('multiple_choice', stem, meta as never, { options: opts, correct: key }), warnings };
  }
  if (q.section?.type && q.section.type !== 'single_choice') warnings.push(`The question has options although ${fromSection(q)} suggests ${q.section.type}`);
  return { item: draft('single_choice', stem, meta as never, { options: opts, correct: key }), warnings };
}

function clusterItem(q: Question, stem: string, meta: Record<string, unknown>, _records: KeyRecord[], tableText: string, warnings: string[], options: ExamOptions): Built {
  const n = q.statements.length;
  const ids = q.statements.map((s) => s.label);
  let values: Record<string, boolean> | undefined;
  const strip = new Set<'u' | 'b'>();
  for (const text of q.keyLines) values ??= statementKey(text, n);
  values ??= q.tableValues;
  if (!values) {
    const fromTable = statementKey(tableText, n);
    if (fromTable) {
      values = fromTable;
      warnings.push('Statement values taken from the answer table');
    }
  }
  if (!values) {
    const marked = markedOptions(q.statements, true);
    if (marked && marked.feature !== 'b') {
      values = Object.fromEntries(ids.map((id) => [id, marked.labels.includes(id)]));
      if (marked.onText && marked.feature === 'u') strip.add('u');
      warnings.push(`Statements ${FEATURE_NAME[marked.feature]} (${marked.labels.join(', ')}) read as true, the others as false`);
    }
  }
  if (!values) return { reason: 'No key for the statements: no "Đáp án: a-Đ, b-S, …" line, answer table entry or marked statement' };
  const missing = ids.filter((id) => values![id] === undefined);
  if (missing.length) return { reason: `The key gives no value for statement ${missing.join(', ')}` };
  if (n + 1 !== DEFAULT_LADDER.length) return { reason: `The question has ${n} statements; a true/false cluster read from Word needs 4 (the national format) so that its scoring ladder is known` };
  const empty = q.statements.find((s) => s.rich.isBlank);
  if (empty) return { reason: `Statement ${empty.label} is empty` };
  if (q.section && !q.section.type && q.section.ordinal !== 2) warnings.push(`Read as a true/false cluster from its statements a)–d) although it is in ${fromSection(q)}`);
  const statements = q.statements.map((s) => ({ id: s.label, text: optionHtml(s, options, strip) }));
  return { item: draft('true_false_cluster', stem, meta as never, { statements, values: Object.fromEntries(ids.map((id) => [id, values![id]!])) }), warnings };
}

const MAX_CRITERIA = 20;

function essayItem(q: Question, stem: string, meta: Record<string, unknown>, guide: GuideEntry | undefined, warnings: string[], options: ExamOptions): Built {
  let rubric: { criterion: string; maxPoints: number }[] = [];
  if (guide) {
    for (const part of guide.lines) {
      if (part.kind === 'line') {
        const text = plain(part.rich);
        const points = pointsOf(text);
        if (points === undefined) continue;
        const cut = POINTS.exec(part.rich.plain.trimEnd());
        const criterion = (cut ? part.rich.slice(0, cut.index) : part.rich).html(options.image).replace(/[\s.…:–-]+$/, '').trim();
        if (criterion !== '') rubric.push({ criterion, maxPoints: points });
      } else {
        for (const row of part.rows) {
          const texts = row.map(cellPlain);
          const pointsCol = texts.length > 1 ? texts.length - 1 : -1;
          const points = pointsCol >= 0 ? pointsOf(/điểm|đ\b/i.test(texts[pointsCol]!) ? texts[pointsCol]! : `${texts[pointsCol]} điểm`) : undefined;
          if (points === undefined) continue;
          const criterion = row
            .slice(0, pointsCol)
            .map((cell) => cell.map((l) => l.html(options.image).trim()).filter(Boolean).join('<br>'))
            .filter((h) => h !== '' && !/^(?:câu|ý)?\s*(?:\d+[a-z]?|[a-z])[.)]?$/i.test(h))
            .join(' — ');
          if (criterion !== '') rubric.push({ criterion, maxPoints: points });
        }
      }
    }
    if (rubric.length === 0) {
      const text = guide.lines.length ? partsHtml(guide.lines, options) : '';
      if (text !== '') {
        rubric = [{ criterion: text, maxPoints: q.points ?? 1 }];
        warnings.push('The marking guide gives no points per criterion: it is one criterion worth the question\'s points');
      }
    }
  }
  if (rubric.length === 0) {
    warnings.push('No marking guide ("Hướng dẫn chấm") for this question: one overall criterion');
    rubric = defaultRubric(q.points, options.language);
  }
  if (rubric.length > MAX_CRITERIA) {
    const rest = rubric.slice(MAX_CRITERIA - 1);
    rubric = [...rubric.slice(0, MAX_CRITERIA - 1), { criterion: rest.map((r) => r.criterion).join('<br>'), maxPoints: rest.reduce((s, r) => s + r.maxPoints, 0) }];
    warnings.push(`The marking guide has ${MAX_CRITERIA - 1 + rest.length} criteria; the last ${rest.length} are one criterion (an item has at most ${MAX_CRITERIA})`);
  }
  const total = Math.round(rubric.reduce((s, r) => s + r.maxPoints, 0) * 100) / 100;
  if (q.points !== undefined && Math.abs(total - q.points) > 1e-9) warnings.push(`The marking guide's points add up to ${total}, the question is worth ${q.points}`);
  const withPoints = q.points === undefined && guide ? { ...meta, points: total } : meta;
  if (q.section && !warnings.some((w) => w.startsWith('No options and no key'))) warnings.unshift(`Type essay taken from ${fromSection(q)}`);
  return { item: draft('essay', stem, withPoints as never, { rubric }), warnings };
}
