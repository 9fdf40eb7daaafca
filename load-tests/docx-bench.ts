// Word import benchmark: readDocx on a generated 50-question paper with 40
// Word equations (OMML) and 10 pictures, keys marked by underline and an
// answer table at the end. Issue 20 target: ≤ 2 s. The file is generated
// (synthetic) by test/support/docx-writer.ts; generating it is not timed.
// Writes load-tests/results/docx-bench.json (or --out).
//
// Word export benchmark (after the import one): the printable papers of 24
// mã đề of 50 questions each (the same 40 equations and 10 pictures, options
// in another order on each mã đề) and the key table of all 24, written with
// writePaper / writeKey as the export route and CLI do. Target ≤ 10 s.
// Writes load-tests/results/docx-export-bench.json.
//
//   npm run bench:docx [-- --runs 5 --questions 50 --equations 40 --images 10 --forms 24 --export-runs 3]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import seedrandom from 'seedrandom';
import type { ItemContent } from '../src/bank/item-types.js';
import { readDocx } from '../src/interop/docx/read-docx.js';
import { paperKey, writeKey } from '../src/interop/docx/write-key.js';
import { writePaper } from '../src/interop/docx/write-paper.js';
import { mr, omath, writeDocx, type Block, type Run } from '../test/support/docx-writer.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    questions: { type: 'string', default: '50' },
    equations: { type: 'string', default: '40' },
    images: { type: 'string', default: '10' },
    out: { type: 'string', default: 'load-tests/results/docx-bench.json' },
    forms: { type: 'string', default: '24' },
    'export-runs': { type: 'string', default: '3' },
    'export-out': { type: 'string', default: 'load-tests/results/docx-export-bench.json' },
  },
});
const QUESTIONS = Number(values.questions);
const EQUATIONS = Number(values.equations);
const IMAGES = Number(values.images);
const random = seedrandom('docx-bench');

/** A noisy 320×200 RGB PNG (about 190 KB), the size of a scanned figure. */
function png(): Uint8Array {
  const width = 320;
  const height = 200;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let i = 0; i < raw.length; i++) raw[i] = i % (width * 3 + 1) === 0 ? 0 : Math.floor(random() * 256);
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

/** A typical exam equation: a limit of a fraction with a root and a power, and an integral. */
function equation(n: number): string {
  return omath(
    `<m:func><m:fName><m:limLow><m:e>${mr('lim')}</m:e><m:lim>${mr('x→' + n)}</m:lim></m:limLow></m:fName><m:e><m:f><m:num><m:rad><m:radPr><m:degHide m:val="1"/></m:radPr><m:deg/><m:e><m:sSup><m:e>${mr('x')}</m:e><m:sup>${mr('2')}</m:sup></m:sSup>${mr('+' + n)}</m:e></m:rad></m:num><m:den>${mr('x−1')}</m:den></m:f></m:e></m:func>` +
      `${mr('+')}<m:nary><m:sub>${mr('0')}</m:sub><m:sup>${mr('π')}</m:sup><m:e><m:func><m:fName>${mr('sin')}</m:fName><m:e>${mr('x')}</m:e></m:func>${mr('dx')}</m:e></m:nary>`,
  );
}

const media: Record<string, Uint8Array> = {};
const blocks: Block[] = [{ runs: [{ t: 'PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn', b: true }] }];
const keys: string[] = [];
for (let q = 1; q <= QUESTIONS; q++) {
  const key = 'ABCD'[Math.floor(random() * 4)]!;
  keys.push(key);
  const stem: Run[] = [`Câu ${q}. Tính giá trị của biểu thức `];
  if (q <= EQUATIONS) stem.push({ omml: equation(q) });
  else stem.push('trong hình vẽ sau.');
  blocks.push({ runs: stem });
  if (q > QUESTIONS - IMAGES) {
    const name = `image${q}.png`;
    media[name] = png();
    blocks.push({ runs: [{ image: name, width: 320, height: 200 }] });
  }
  const option = (label: string): Run[] => [label === key ? { t: `${label}.`, u: true } : `${label}.`, ` ${q * 10 + label.charCodeAt(0)}`];
  blocks.push({ runs: [...option('A'), { tab: true }, ...option('B')] }, { runs: [...option('C'), { tab: true }, ...option('D')] });
}
blocks.push({ runs: ['BẢNG ĐÁP ÁN'] });
blocks.push({ table: [[[{ runs: ['Câu'] }], ...keys.map((_, i) => [{ runs: [String(i + 1)] }])], [[{ runs: ['Đáp án'] }], ...keys.map((k) => [{ runs: [k] }])]] });
const file = writeDocx({ blocks, media });

const times: number[] = [];
let last: ReturnType<typeof readDocx> | undefined;
for (let i = 0; i < Number(values.runs); i++) {
  const t0 = performance.now();
  last = readDocx(file);
  times.push(performance.now() - t0);
}
const r = last!;
const wrong = r.items.filter((it, i) => (it.item as { correct?: string[] }).correct?.[0] !== keys[i]).length;
if (r.items.length !== QUESTIONS || r.failed.length || wrong) throw new Error(`read ${r.items.length} items, ${r.failed.length} failures, ${wrong} wrong keys`);
const equations = r.items.filter((it) => it.item.stem.includes('\\lim_')).length;
const pictures = r.media.length;
const sorted = [...times].sort((a, b) => a - b);
const round = (ms: number) => Math.round(ms * 10) / 10;
const result = {
  benchmark: 'docx-read',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) },
  file: { bytes: file.length, questions: QUESTIONS, equations, pictures },
  runs: times.map(round),
  firstMs: round(times[0]!),
  medianMs: round(sorted[Math.floor(sorted.length / 2)]!),
  targetMs: 2000,
};
mkdirSync(path.dirname(values.out!), { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));

// ---------------------------------------------------------------- export

const FORMS = Number(values.forms);
/** Ten different pictures, as a paper has (the writer stores a picture used twice once). */
const pngUrls = Array.from({ length: IMAGES }, () => `data:image/png;base64,${Buffer.from(png()).toString('base64')}`);
const bankItems: ItemContent[] = Array.from({ length: QUESTIONS }, (_, i) => {
  const q = i + 1;
  const stem =
    q <= EQUATIONS
      ? `Tính giá trị của biểu thức \\(\\lim_{x \\to ${q}} \\frac{\\sqrt{x^{2}+${q}}}{x-1} + \\int_{0}^{\\pi} \\sin x\\,dx\\).`
      : `<p>Tính giá trị của biểu thức trong hình vẽ sau.</p><p><img src="${pngUrls[(q - EQUATIONS - 1) % IMAGES]}" alt="" width="320" height="200" /></p>`;
  return {
    type: 'single_choice',
    subject: 'math',
    grade: 12,
    topic: 'bench',
    cognitiveLevel: 2,
    stem,
    options: ['A', 'B', 'C', 'D'].map((l) => ({ id: l, text: `\\(${q * 10 + l.charCodeAt(0)}\\)` })),
    correct: [keys[i] as string],
  } as ItemContent;
});
/** Mã đề f: the questions and their options rotated, as assembly shuffles them. */
const formItems = (f: number): ItemContent[] =>
  bankItems.map((_, i) => {
    const item = bankItems[(i + f * 7) % bankItems.length]! as Extract<ItemContent, { type: 'single_choice' }>;
    const r = f % 4;
    return { ...item, options: [...item.options.slice(r), ...item.options.slice(0, r)] };
  });
const exportTimes: number[] = [];
let exportBytes = 0;
for (let run = 0; run < Number(values['export-runs']); run++) {
  let bytes = 0;
  const t0 = performance.now();
  const keyForms = [];
  for (let f = 0; f < FORMS; f++) {
    const items = formItems(f);
    const code = String(101 + f);
    const paper = await writePaper({
      authority: ['Sở Giáo dục và Đào tạo Hà Nội', 'Trường THPT Chu Văn An'],
      title: 'Kiểm tra cuối học kì I',
      subject: 'math',
      grade: 12,
      durationMinutes: 90,
      formCode: code,
      parts: [{ questions: items.map((item, i) => ({ number: i + 1, item })) }],
    });
    bytes += paper.length;
    keyForms.push({ code, parts: [{ label: '', keys: items.map(paperKey) }] });
  }
  const key = await writeKey({ authority: ['Sở Giáo dục và Đào tạo Hà Nội'], title: 'Kiểm tra cuối học kì I', subject: 'math', grade: 12, forms: keyForms });
  bytes += key.length;
  exportTimes.push(performance.now() - t0);
  exportBytes = bytes;
}
const exportSorted = [...exportTimes].sort((a, b) => a - b);
const exportResult = {
  benchmark: 'docx-export',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) },
  papers: { forms: FORMS, questionsPerForm: QUESTIONS, equationsPerForm: EQUATIONS, picturesPerForm: IMAGES, totalBytes: exportBytes },
  runs: exportTimes.map(round),
  firstMs: round(exportTimes[0]!),
  medianMs: round(exportSorted[Math.floor(exportSorted.length / 2)]!),
  targetMs: 10000,
};
mkdirSync(path.dirname(values['export-out']!), { recursive: true });
writeFileSync(values['export-out']!, `${JSON.stringify(exportResult, null, 2)}\n`);
console.log(JSON.stringify(exportResult, null, 2));
