// Exported Word papers as a printer sees them: converted by LibreOffice (headless) to PDF and PNG, then the pages and their text checked.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import type { ItemContent } from '../../../src/bank/item-types.js';
import { writeKey } from '../../../src/interop/docx/write-key.js';
import { writePaper, type PaperInput } from '../../../src/interop/docx/write-paper.js';

const run = promisify(execFile);

/** The tools must be there: CI installs them (.ci/run); a machine without them fails here, saying what to install. */
async function need(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { timeout: 60_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`${command} is not installed: install the Debian packages libreoffice-writer-nogui and poppler-utils (apt-get install libreoffice-writer-nogui poppler-utils)`);
  }
}

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const base = { subject: 'math', grade: 12, topic: 'giai-tich', cognitiveLevel: 2 as const };
const choice = (n: number): ItemContent => ({
  ...base,
  type: 'single_choice',
  stem: n === 1 ? 'Tính tích phân \\(\\int_{0}^{2} 3x^{2}\\,dx\\).' : n === 2 ? `<p>Quan sát hình vẽ sau <img src="${PNG}" alt="" width="60" height="60" /></p><p>Hình trên có bao nhiêu ô vuông?</p>` : `Cho hàm số \\(y = \\frac{2x+1}{x-1}\\). Câu hỏi số ${n} về tiệm cận của đồ thị hàm số này là gì?`,
  options: [
    { id: 'a', text: '\\(8\\)' },
    { id: 'b', text: '\\(\\sqrt{3}\\)' },
    { id: 'c', text: 'Đường thẳng \\(x = 1\\) là tiệm cận đứng' },
    { id: 'd', text: 'Không có tiệm cận' },
  ],
  correct: ['a'],
});
const cluster = (n: number): ItemContent => ({
  ...base,
  type: 'true_false_cluster',
  stem: `Cho hàm số \\(f(x) = x^{3} - 3x + ${n}\\).`,
  statements: [
    { id: 'a', text: 'Hàm số có hai điểm cực trị.' },
    { id: 'b', text: '\\(f\'(x) = 3x^{2} - 3\\)' },
    { id: 'c', text: 'Hàm số đồng biến trên \\(\\mathbb{R}\\).' },
    { id: 'd', text: 'Giá trị cực đại lớn hơn giá trị cực tiểu.' },
  ],
  values: { a: true, b: true, c: false, d: true },
});
const numeric = (n: number): ItemContent => ({ ...base, type: 'numeric', stem: `Tính giới hạn \\(\\lim_{x \\to ${n}} (x^{2} + 1)\\).`, value: n * n + 1 });

const paper: PaperInput = {
  authority: ['Sở Giáo dục và Đào tạo Hà Nội', 'Trường THPT Chu Văn An'],
  title: 'Kiểm tra cuối học kì I',
  subject: 'math',
  grade: 12,
  durationMinutes: 90,
  formCode: '101',
  parts: [
    { heading: 'PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn.', instruction: 'Thí sinh trả lời từ câu 1 đến câu 18. Mỗi câu hỏi thí sinh chỉ chọn một phương án.', questions: Array.from({ length: 18 }, (_, i) => ({ number: i + 1, item: choice(i + 1) })) },
    { heading: 'PHẦN II. Câu trắc nghiệm đúng sai.', instruction: 'Thí sinh trả lời từ câu 1 đến câu 4. Trong mỗi ý a), b), c), d) ở mỗi câu, thí sinh chọn đúng hoặc sai.', questions: Array.from({ length: 4 }, (_, i) => ({ number: i + 1, item: cluster(i + 1) })) },
    { heading: 'PHẦN III. Câu trắc nghiệm trả lời ngắn.', instruction: 'Thí sinh trả lời từ câu 1 đến câu 6.', questions: Array.from({ length: 6 }, (_, i) => ({ number: i + 1, item: numeric(i + 1) })) },
  ],
};

const dir = await mkdtemp(path.join(tmpdir(), 'docx-lo-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** Converts with a profile of its own, so tests running LibreOffice at once do not share one. */
async function toPdf(docx: string): Promise<string> {
  const profile = pathToFileURL(path.join(dir, 'profile')).href;
  await run('soffice', [`-env:UserInstallation=${profile}`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', dir, docx], { timeout: 170_000 });
  return docx.replace(/\.docx$/, '.pdf');
}

async function pages(pdf: string): Promise<number> {
  const { stdout } = await run('pdfinfo', [pdf]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
}

t.test('LibreOffice and poppler are installed', async () => {
  await need('soffice', ['--version']);
  await need('pdftotext', ['-v']);
  await need('pdftoppm', ['-v']);
});

t.test('a paper converts to PDF and PNG: its pages and the text on them', async (t) => {
  const docx = path.join(dir, 'de-101.docx');
  await writeFile(docx, await writePaper(paper));
  const pdf = await toPdf(docx);
  const count = await pages(pdf);
  t.ok(count >= 2 && count <= 6, `28 questions take a few pages (${count})`);
  const { stdout: text } = await run('pdftotext', ['-layout', pdf, '-']);
  const perPage = text.split('\f').filter((p) => p.trim() !== '');
  t.equal(perPage.length, count, 'text on every page');
  t.match(perPage[0]!, /SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI/);
  t.match(perPage[0]!, /TRƯỜNG THPT CHU VĂN AN/);
  t.match(perPage[0]!, /KIỂM TRA CUỐI HỌC KÌ I/, 'exam name');
  t.match(perPage[0]!, /Môn: Toán – Lớp 12/);
  t.match(perPage[0]!, /Thời gian làm bài: 90 phút/);
  t.match(perPage[0]!, /Mã đề 101/, 'mã đề in the header');
  t.match(perPage[0]!, /Họ và tên thí sinh:/);
  t.match(perPage[0]!, /Số báo danh:/);
  t.match(perPage[0]!, new RegExp(`\\(Đề thi có ${count} trang\\)`), 'the page count in the header');
  t.match(perPage[0]!, /PHẦN I\. Câu trắc nghiệm nhiều phương án lựa chọn\./);
  t.match(perPage[0]!, /Câu 1\./);
  t.match(text, /PHẦN II\. Câu trắc nghiệm đúng sai\./);
  t.match(text, /PHẦN III\. Câu trắc nghiệm trả lời ngắn\./);
  t.match(text, /Câu 18\./);
  t.match(perPage[0]!, /∫/, 'the integral sign of an equation');
  t.match(perPage[0]!, /√/, 'the root sign of an equation');
  t.match(text, /ℝ/, 'the blackboard R of an equation');
  t.match(text, /——\s*HẾT\s*——/);
  perPage.forEach((p, i) => t.match(p, new RegExp(`Trang ${i + 1}/${count} – Mã đề 101`), `footer of page ${i + 1}`));
  t.notMatch(text, /\\frac|\\int|\\\(/, 'no TeX left as text');

  await run('pdftoppm', ['-r', '60', '-png', pdf, path.join(dir, 'page')]);
  const pngs = (await readdir(dir)).filter((f) => /^page-\d+\.png$/.test(f)).sort();
  t.equal(pngs.length, count, 'a PNG per page');
  for (const png of pngs) {
    const { stdout } = await run('convert', [path.join(dir, png), '-colorspace', 'Gray', '-format', '%[fx:mean]', 'info:']);
    const mean = Number(stdout);
    t.ok(mean > 0.7 && mean < 0.995, `${png} is a printed page: dark text on white (mean ${mean.toFixed(3)})`);
  }
  if (process.env.DOCX_PREVIEW_DIR) await run('cp', [...pngs.map((p) => path.join(dir, p)), pdf, process.env.DOCX_PREVIEW_DIR]);
});

t.test('the key of 24 mã đề converts to one landscape table', async (t) => {
  const docx = path.join(dir, 'dap-an.docx');
  const forms = Array.from({ length: 24 }, (_, f) => ({
    code: String(101 + f),
    parts: [
      { label: 'PHẦN I', keys: Array.from({ length: 18 }, (_, i) => 'ABCD'[(i + f) % 4]!) },
      { label: 'PHẦN II', keys: ['ĐĐSĐ', 'ĐSĐS', 'SSĐĐ', 'ĐĐĐS'] },
      { label: 'PHẦN III', keys: ['2', '5', '1,5', '-0,25', '17', '26'] },
    ],
  }));
  await writeFile(docx, await writeKey({ authority: paper.authority, title: paper.title, subject: 'math', grade: 12, forms }));
  const pdf = await toPdf(docx);
  const { stdout: info } = await run('pdfinfo', [pdf]);
  const [w, h] = (/^Page size:\s+([\d.]+) x ([\d.]+)/m.exec(info) ?? []).slice(1).map(Number);
  t.ok(w! > h!, 'landscape');
  const { stdout: text } = await run('pdftotext', ['-layout', pdf, '-']);
  t.match(text, /BẢNG ĐÁP ÁN/);
  t.match(text, /101\s+102\s+103/, 'the mã đề columns');
  t.match(text, /124/);
  t.match(text, /ĐSĐS/);
  t.match(text, /-0,25/);
});
