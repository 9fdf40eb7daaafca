import type { ItemContent, ItemType } from '../../src/bank/item-types.js';
import type { FormatName } from '../../src/interop/model.js';
import { htmlToText } from '../../src/interop/plain-text.js';

/**
 * Items of every type for import/export tests: Vietnamese text with
 * diacritics and maths, non-default metadata, and the id conventions of
 * formats that have no ids (options A…, statements a…, premises p…, choices
 * c…, elements e…, blanks b…).
 */
export const SAMPLE_ITEMS: ItemContent[] = [
  {
    type: 'single_choice',
    stem: '<p>Hàm số \\(y = x^3 - 3x\\) có bao nhiêu điểm cực trị?</p>',
    subject: 'toan',
    grade: 12,
    topic: 'ham-so',
    cognitiveLevel: 2,
    language: 'vi',
    points: 0.25,
    tags: ['giữa kỳ I', 'đại số'],
    shuffleOptions: false,
    options: [
      { id: 'A', text: '0' },
      { id: 'B', text: '1' },
      { id: 'C', text: '2' },
      { id: 'D', text: '\\(3\\)' },
    ],
    correct: ['C'],
  },
  {
    type: 'multiple_choice',
    stem: 'Which numbers are <b>prime</b>? (a &lt; b)',
    subject: 'math',
    grade: 6,
    topic: 'primes',
    cognitiveLevel: 1,
    language: 'en',
    points: 2,
    tags: ['number theory'],
    options: [
      { id: 'A', text: '2' },
      { id: 'B', text: '4' },
      { id: 'C', text: '7' },
      { id: 'D', text: '9' },
      { id: 'E', text: 'none of the above' },
    ],
    correct: ['A', 'C'],
    scoring: 'partial',
  },
  {
    type: 'multiple_choice',
    stem: 'Chọn các số chẵn: {x} ~ # = :',
    subject: 'toan',
    grade: 6,
    topic: 'so-hoc',
    cognitiveLevel: 1,
    options: [
      { id: 'A', text: '2' },
      { id: 'B', text: '3' },
      { id: 'C', text: '8' },
    ],
    correct: ['A', 'C'],
    scoring: 'all_or_nothing',
  },
  {
    type: 'true_false',
    stem: 'Số <b>1</b> là số nguyên tố.',
    subject: 'toan',
    grade: 6,
    topic: 'so-hoc',
    cognitiveLevel: 1,
    points: 0.5,
    value: false,
  },
  {
    type: 'true_false_cluster',
    stem: 'Cho hàm số \\(f(x) = \\sin 2x\\). Xét tính đúng sai của các mệnh đề sau.',
    subject: 'toan',
    grade: 11,
    topic: 'luong-giac',
    cognitiveLevel: 3,
    tags: ['Phần II'],
    statements: [
      { id: 'a', text: '\\(f(0) = 0\\)' },
      { id: 'b', text: 'Hàm số có chu kỳ \\(2\\pi\\)' },
      { id: 'c', text: '\\(f\\) là hàm số lẻ' },
      { id: 'd', text: 'Giá trị lớn nhất của \\(f\\) là 2' },
    ],
    values: { a: true, b: false, c: true, d: false },
  },
  {
    type: 'numeric',
    stem: 'Nghiệm của phương trình \\(2x + 3 = 0\\) là bao nhiêu?',
    subject: 'toan',
    grade: 10,
    topic: 'phuong-trinh',
    cognitiveLevel: 2,
    points: 0.5,
    value: -1.5,
    tolerance: 0.05,
  },
  {
    type: 'short_text',
    stem: 'Thủ đô của Việt Nam là thành phố nào?',
    subject: 'dia-li',
    grade: 10,
    topic: 'viet-nam',
    cognitiveLevel: 1,
    tags: ['địa lý'],
    accepted: ['Hà Nội', 'Ha Noi | HN'],
    caseSensitive: true,
    ignoreDiacritics: true,
  },
  {
    type: 'matching',
    stem: 'Nối tỉnh với vùng của nó.',
    subject: 'dia-li',
    grade: 9,
    topic: 'vung-mien',
    cognitiveLevel: 2,
    shuffleOptions: false,
    premises: [
      { id: 'p1', text: 'Nghệ An' },
      { id: 'p2', text: 'Cà Mau' },
      { id: 'p3', text: 'Lào Cai' },
    ],
    choices: [
      { id: 'c1', text: 'Đồng bằng sông Cửu Long' },
      { id: 'c2', text: 'Bắc Trung Bộ' },
      { id: 'c3', text: 'Trung du và miền núi Bắc Bộ' },
      { id: 'c4', text: 'Tây Nguyên' },
    ],
    pairs: { p1: 'c2', p2: 'c1', p3: 'c3' },
  },
  {
    type: 'ordering',
    stem: 'Sắp xếp các triều đại theo thứ tự thời gian.',
    subject: 'lich-su',
    grade: 10,
    topic: 'trieu-dai',
    cognitiveLevel: 2,
    elements: [
      { id: 'e1', text: 'Nhà Lý' },
      { id: 'e2', text: 'Nhà Nguyễn' },
      { id: 'e3', text: 'Nhà Ngô' },
      { id: 'e4', text: 'Nhà Trần' },
    ],
    order: ['e3', 'e1', 'e4', 'e2'],
    scoring: 'partial',
  },
  {
    type: 'cloze',
    stem: 'Điền vào chỗ trống.',
    subject: 'toan',
    grade: 9,
    topic: 'tong-hop',
    cognitiveLevel: 1,
    text: '<p>Thủ đô của Việt Nam là {{b1}}; \\(\\pi \\approx\\) {{b2}}.</p>',
    blanks: [
      { id: 'b1', accepted: ['Hà Nội', 'Hanoi'] },
      { id: 'b2', value: 3.14, tolerance: 0.01 },
    ],
  },
  {
    type: 'essay',
    stem: 'Viết đoạn văn nghị luận về lòng biết ơn.',
    subject: 'van',
    grade: 12,
    topic: 'nghi-luan',
    cognitiveLevel: 4,
    points: 3,
    rubric: [
      { criterion: 'Lập luận chặt chẽ', maxPoints: 2 },
      { criterion: 'Diễn đạt', maxPoints: 1 },
    ],
    maxWords: 300,
  },
];

/** Types each format carries, as its module declares them (kept here so the tests say it too). */
export const CARRIES: Record<FormatName, readonly ItemType[]> = {
  gift: ['single_choice', 'multiple_choice', 'true_false', 'short_text', 'numeric', 'matching', 'essay'],
  'moodle-xml': ['single_choice', 'multiple_choice', 'true_false', 'short_text', 'numeric', 'matching', 'ordering', 'cloze', 'essay'],
  aiken: ['single_choice'],
  qti: ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'],
  csv: ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'],
  xlsx: ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'],
  docx: ['single_choice', 'multiple_choice', 'true_false_cluster', 'numeric', 'short_text', 'essay'],
};

const CONTENT_FIELDS: Record<ItemType, string[]> = {
  single_choice: ['options', 'correct'],
  multiple_choice: ['options', 'correct', 'scoring'],
  true_false: ['value'],
  true_false_cluster: ['statements', 'values', 'ladder'],
  numeric: ['value', 'tolerance'],
  short_text: ['accepted', 'caseSensitive', 'ignoreDiacritics'],
  matching: ['premises', 'choices', 'pairs'],
  ordering: ['elements', 'order', 'scoring'],
  cloze: ['text', 'blanks'],
  essay: ['rubric', 'maxWords'],
};

const METADATA = ['subject', 'grade', 'topic', 'cognitiveLevel', 'language', 'points', 'tags', 'shuffleOptions'];

/**
 * The fields of a stored item that a format carries, in a form to compare:
 * where a format has no ids or no order for a list, the list is compared by
 * what it means (matching as premise → choice text; ordering as the texts in
 * the right order).
 */
export function comparable(stored: Record<string, unknown>, format: FormatName): Record<string, unknown> {
  const type = stored.type as ItemType;
  const fields = ['type', 'stem', ...CONTENT_FIELDS[type]];
  // Aiken has the question, the options and the key, nothing more.
  if (format !== 'aiken') fields.push(...METADATA);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = stored[f];
    out[f] = f === 'tags' && Array.isArray(v) ? [...v].sort() : v;
  }
  if (format === 'aiken') {
    // Aiken is plain text: what a reader sees comes back, not the markup.
    out.stem = htmlToText(String(stored.stem));
    out.options = (stored.options as { id: string; text: string }[]).map((o) => ({ ...o, text: htmlToText(o.text) }));
  }
  if (format === 'gift' && type === 'essay') {
    // GIFT has no rubric and no word limit: the default rubric comes back.
    delete out.rubric;
    delete out.maxWords;
  }
  const withoutIds = format !== 'qti';
  if (type === 'matching' && withoutIds) {
    const text = new Map((stored.choices as { id: string; text: string }[]).map((c) => [c.id, c.text]));
    const pairs = stored.pairs as Record<string, string>;
    out.premises = (stored.premises as { id: string; text: string }[]).map((p) => `${p.text} -> ${text.get(pairs[p.id]!)}`);
    out.choices = (stored.choices as { text: string }[]).map((c) => c.text).sort();
    delete out.pairs;
  }
  if (type === 'ordering' && format === 'moodle-xml') {
    // The ordering plugin lists elements in their right order only.
    const text = new Map((stored.elements as { id: string; text: string }[]).map((e) => [e.id, e.text]));
    out.elements = (stored.order as string[]).map((id) => text.get(id));
    delete out.order;
  }
  return out;
}
