import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/** POST /api/items/import with real files: samples, limits, multipart, the Vietnamese template. */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/interop/${name}`, import.meta.url));

const { app } = await build(t);
const world = await interopWorld(app);
const author = world.users.authorA;

function multipart(field: string, filename: string, content: Buffer) {
  const boundary = '----exam-engine-interop-test';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function stored(ids: string[]): Promise<Record<string, unknown>[]> {
  return Promise.all(ids.map(async (id) => (await author({ method: 'GET', url: `/api/items/${id}` })).json()));
}

t.test("Moodle's GIFT examples, uploaded as the multipart field `file`, with defaults for what GIFT does not say", async (t) => {
  const res = await author({ method: 'POST', url: '/api/items/import?format=gift&subject=english&grade=10&topic=grants-tomb&cognitiveLevel=1&language=en&tag=moodle-docs', ...multipart('file', 'moodle-docs.gift.txt', fixture('moodle-docs.gift.txt')) });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const body = res.json();
  t.equal(body.imported, 14);
  t.same(body.failed, [{ index: 14, line: 68, error: { code: 'not_importable', message: 'GIFT description (text without an answer block) is not a question; not imported', details: [] } }]);
  t.equal(body.warnings.length, 2, 'titles, the category and feedback are kept: only what an item cannot hold is named');
  t.match(
    body.warnings.find((w: { index: number }) => w.index === 9),
    { index: 9, line: 40, messages: [/^Answer 1822:2 \(50%\) is dropped/, /^Feedback "He was born/] },
  );
  const items = await stored(body.ids);
  // The file's category ($CATEGORY: tom/dick/harry) gives the topic, its leaf, over the query's default; the rest are tags.
  t.match(items[0], { type: 'single_choice', stem: "Who's buried in Grant's tomb?", subject: 'english', grade: 10, topic: 'harry', cognitiveLevel: 1, language: 'en', status: 'draft', ownerOrgId: world.orgs.schoolA, correct: ['C'] });
  t.same([...(items[0]!.tags as string[])].sort(), ['dick', 'moodle-docs', 'tom']);
  t.match(items[9], { provenance: { title: 'Q7', source: { format: 'gift', file: 'moodle-docs.gift.txt', categoryPath: ['tom', 'dick', 'harry'] } }, feedback: { correct: 'Correct! Full credit.' } }, 'stored with its title, source and feedback');
  t.match(items[6], { type: 'matching', pairs: { p1: 'c1', p2: 'c2', p3: 'c3', p4: 'c4' } });
  t.match(items[7], { type: 'numeric', value: 1822, tolerance: 5 });
});

t.test('a bad item never stops the others: each one that fails says why, with its index and line', async (t) => {
  const text = [
    '// [tag:subject:toan] [tag:grade:12] [tag:topic:ham-so] [tag:level:1]',
    'Câu 1: 1 + 1 = ?{=2 ~3 ~4}',
    '',
    'Câu 2 không có phân loại {=2 ~3}',
    '',
    '// [tag:subject:toan] [tag:grade:12] [tag:topic:ham-so] [tag:level:1]',
    'Câu 3 có hai đáp án đúng {=2 =3 ~4}',
    '',
    '// [tag:subject:toan] [tag:grade:12] [tag:topic:ham-so] [tag:level:1]',
    'Câu 4: \\(2^3\\) = ?{#8}',
  ].join('\n');
  const res = await author({ method: 'POST', url: '/api/items/import?format=gift', payload: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.imported, 2);
  t.equal(body.failed.length, 2);
  t.match(body.failed[0], { index: 1, line: 4, error: { code: 'validation_failed', details: [{ instancePath: '' }] } });
  t.ok(body.failed[0].error.details.some((d: { params?: { missingProperty?: string } }) => d.params?.missingProperty === 'subject'), 'the bank says what is missing');
  t.match(body.failed[1], { index: 2, line: 7, error: { code: 'not_importable', message: /has 2 full-credit answers/ } });
  const [first, fourth] = await stored(body.ids);
  t.match(first, { stem: 'Câu 1: 1 + 1 = ?', subject: 'toan' });
  t.match(fourth, { type: 'numeric', stem: 'Câu 4: \\(2^3\\) = ?', value: 8 });
});

t.test("Moodle's XML examples: what cannot be mapped is named in `failed`", async (t) => {
  const res = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml&subject=english&grade=10&topic=moodle&cognitiveLevel=2', payload: fixture('moodle-docs.xml'), headers: { 'content-type': 'application/xml' } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.imported, 8);
  t.same(
    body.failed.map((f: { index: number; error: { message: string } }) => [f.index, f.error.message]),
    [
      [7, 'Moodle description is text shown between questions, not a question; not imported'],
      [8, 'Moodle ddwtos gap [[1]] names choice 1, which the question does not have (0 choices)'],
      [9, 'Moodle calculated question draws values from datasets into its text and computes the answer by a formula; the bank has no generated values, so it is not imported'],
    ],
  );
  const items = await stored(body.ids);
  t.match(items[3], { type: 'numeric', points: 2, value: 23, tolerance: 0.5 });
  t.match(items[6], { type: 'cloze', text: '<p>The capital of Germany is {{b1}} and pi is about {{b2}}.</p>' });
  t.match(items[7], { type: 'single_choice', stem: /<img src="\/api\/media\/[0-9a-f]{64}" alt="dot" \/>/ }, 'the embedded image survives the sanitiser and is moved into the media library');
});

t.test('the QTI 3.0 example item, as a raw XML body', async (t) => {
  const res = await author({ method: 'POST', url: '/api/items/import?format=qti&subject=english&grade=9&topic=signs&cognitiveLevel=2', payload: fixture('unattended-luggage.qti.xml'), headers: { 'content-type': 'text/xml' } });
  t.equal(res.statusCode, 200);
  t.match(res.json().warnings, [{ index: 0, messages: ['Image images/sign.png is not stored: the file does not carry it as a PNG, JPEG, GIF or WebP picture'] }], 'the picture a lone XML file cannot carry is named, not stored as a broken link');
  const [item] = await stored(res.json().ids);
  t.match(item, {
    type: 'single_choice',
    stem: '<p>Look at the text in the picture.</p> <p> </p> <p>What does it say?</p>',
    language: 'en',
    shuffleOptions: false,
    options: [
      { id: 'ChoiceA', text: 'You must stay with your luggage at all times.' },
      { id: 'ChoiceB', text: 'Do not let someone else look after your luggage.' },
      { id: 'ChoiceC', text: 'Remember your luggage when you leave.' },
    ],
    correct: ['ChoiceA'],
  });
});

t.test('hostile and unreadable files are refused with a clear error and nothing stored', async (t) => {
  const laughs = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml', payload: fixture('billion-laughs.xml'), headers: { 'content-type': 'application/xml' } });
  t.equal(laughs.statusCode, 400);
  t.match(laughs.json().error, { code: 'bad_request', message: /DOCTYPE or entity declarations; they are refused/ });
  const xxe = await author({ method: 'POST', url: '/api/items/import?format=qti', payload: fixture('xxe.xml'), headers: { 'content-type': 'application/xml' } });
  t.equal(xxe.statusCode, 400);
  t.notMatch(xxe.body, /root:/, 'no file content leaks');
  const notXml = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml', payload: '<quiz><question>', headers: { 'content-type': 'application/xml' } });
  t.match(notXml.json().error, { code: 'bad_request', message: /not well-formed XML/ });
  const notXlsx = await author({ method: 'POST', url: '/api/items/import?format=xlsx', payload: 'hello', headers: { 'content-type': 'text/plain' } });
  t.match(notXlsx.json().error, { code: 'bad_request', message: /not a zip archive/ });
  const empty = await author({ method: 'POST', url: '/api/items/import?format=aiken', payload: '\n\n', headers: { 'content-type': 'text/plain' } });
  t.match(empty.json().error, { code: 'bad_request', message: /No questions found/ });
  const noFile = await author({ method: 'POST', url: '/api/items/import?format=gift', ...multipart('other', 'x.txt', Buffer.from('Q{T}')) });
  t.match(noFile.json().error, { code: 'bad_request', message: /no file field named "file"/ });
});

t.test('more than 5,000 questions in one file is 413 with a clear error; nothing is stored', async (t) => {
  const before = (await author({ method: 'GET', url: '/api/items?limit=200' })).json().items.length;
  const one = (i: number) => `Câu ${i}?\nA. Có\nB. Không\nANSWER: A\n`;
  const text = Array.from({ length: 5001 }, (_, i) => one(i)).join('\n');
  const res = await author({ method: 'POST', url: '/api/items/import?format=aiken&subject=toan&grade=1&topic=x&cognitiveLevel=1', payload: text, headers: { 'content-type': 'text/plain' } });
  t.equal(res.statusCode, 413);
  t.match(res.json().error, { code: 'payload_too_large', message: /5001 questions; one import takes at most 5000/ });
  t.equal((await author({ method: 'GET', url: '/api/items?limit=200' })).json().items.length, before);
});

t.test('the Vietnamese 2025 template: download, fill in as a teacher would, import', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/api/items/import/template.xlsx' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ExcelJS.Buffer);
  t.same(wb.worksheets.map((w) => w.name), ['Phần I', 'Phần II', 'Phần III', 'Hướng dẫn']);
  const headers = (name: string) => (wb.getWorksheet(name)!.getRow(1).values as unknown[]).slice(1);
  t.same(headers('Phần I'), ['STT', 'Câu hỏi', 'Phương án A', 'Phương án B', 'Phương án C', 'Phương án D', 'Đáp án', 'Môn học', 'Lớp', 'Chủ đề', 'Mức độ', 'Điểm', 'Thẻ']);
  t.same(headers('Phần II'), ['STT', 'Câu hỏi', 'Ý a', 'Ý b', 'Ý c', 'Ý d', 'Đáp án a', 'Đáp án b', 'Đáp án c', 'Đáp án d', 'Môn học', 'Lớp', 'Chủ đề', 'Mức độ', 'Điểm', 'Thẻ']);
  t.same(headers('Phần III'), ['STT', 'Câu hỏi', 'Đáp án', 'Sai số', 'Môn học', 'Lớp', 'Chủ đề', 'Mức độ', 'Điểm', 'Thẻ']);

  // A teacher's typing, from row 2 on: decomposed Unicode from a Mac, a line break in a cell, words for the level.
  const row = (sheet: string, n: number, values: unknown[]) => {
    wb.getWorksheet(sheet)!.getRow(n).values = values as ExcelJS.CellValue[];
  };
  const nfd = (s: string) => s.normalize('NFD');
  row('Phần I', 2, [1, nfd('Hàm số \\(y = x^3 - 3x\\) có bao nhiêu điểm cực trị?\nChọn một đáp án.'), '0', '1', '2', '3', 'C', 'Toán', 12, 'Hàm số', 'Thông hiểu', 0.25, 'giữa kỳ, đại số']);
  row('Phần I', 3, [2, 'Câu thiếu đáp án', '0', '1', '2', '3', '', 'Toán', 12, 'Hàm số', 'Nhận biết', 0.25, '']);
  row('Phần II', 2, [1, 'Cho hàm số \\(f(x) = \\sin 2x\\).', 'f(0) = 0', 'Chu kỳ 2π', 'f lẻ', 'Max f = 2', 'Đ', 'S', 'Đ', 's', 'Toán', 11, 'Lượng giác', 'Vận dụng', 1, '']);
  row('Phần III', 2, [1, 'Nghiệm của \\(2x + 3 = 0\\) là', '-1,5', '0,01', 'Toán', 10, 'Phương trình', 2, 0.5, '']);
  row('Phần III', 3, [2, 'Thủ đô của Việt Nam?', 'Hà Nội', '', 'Địa lí', 10, 'Việt Nam', 1, '', '']);
  const file = Buffer.from(await wb.xlsx.writeBuffer());

  const imp = await author({ method: 'POST', url: '/api/items/import?format=xlsx', ...multipart('file', 'de-thi.xlsx', file) });
  t.equal(imp.statusCode, 200, imp.body.slice(0, 300));
  const body = imp.json();
  t.equal(body.imported, 4);
  t.match(body.failed, [{ index: 1, line: 3, error: { code: 'not_importable', message: /Phần I, dòng 3: Đáp án "" không phải một phương án/ } }]);
  const [p1, p2, p3, p3b] = await stored(body.ids);
  t.match(p1, {
    type: 'single_choice',
    stem: 'Hàm số \\(y = x^3 - 3x\\) có bao nhiêu điểm cực trị?<br />Chọn một đáp án.',
    subject: 'Toán',
    grade: 12,
    topic: 'ham-so',
    cognitiveLevel: 2,
    points: 0.25,
    language: 'vi',
    tags: ['giữa kỳ', 'đại số'],
    options: [{ id: 'A', text: '0' }, { id: 'B', text: '1' }, { id: 'C', text: '2' }, { id: 'D', text: '3' }],
    correct: ['C'],
  });
  t.equal(p1!.stem, (p1!.stem as string).normalize('NFC'), 'stored as NFC');
  t.match(p2, { type: 'true_false_cluster', topic: 'luong-giac', cognitiveLevel: 3, points: 1, statements: [{ id: 'a', text: 'f(0) = 0' }, { id: 'b' }, { id: 'c' }, { id: 'd' }], values: { a: true, b: false, c: true, d: false }, ladder: [0, 0.1, 0.25, 0.5, 1] });
  t.match(p3, { type: 'numeric', topic: 'phuong-trinh', value: -1.5, tolerance: 0.01, points: 0.5 });
  t.match(p3b, { type: 'short_text', subject: 'Địa lí', topic: 'viet-nam', accepted: ['Hà Nội'] });
});

t.test('a body over the configured limit is 413', async (t) => {
  const small = await build(t, { BODY_LIMIT: '4096' });
  const admin = await adminSession(small.app);
  const made = await as(small.app, admin.token)({ method: 'POST', url: '/api/users', payload: { username: 'big_author', password: 'author-password-1', displayName: 'GV', roles: [{ role: 'author', orgId: admin.rootId }] } });
  t.equal(made.statusCode, 201);
  const author = as(small.app, await login(small.app, 'big_author', 'author-password-1'));
  const res = await author({ method: 'POST', url: '/api/items/import?format=gift', payload: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
  t.equal(res.statusCode, 413);
  t.equal(res.json().error.code, 'payload_too_large');
  const multi = await author({ method: 'POST', url: '/api/items/import?format=gift', ...multipart('file', 'big.txt', Buffer.alloc(5000, 'x')) });
  t.equal(multi.statusCode, 413);
  t.equal(multi.json().error.code, 'payload_too_large');
  const notAuthor = await as(small.app, admin.token)({ method: 'POST', url: '/api/items/import?format=gift', payload: 'x'.repeat(5000), headers: { 'content-type': 'text/plain' } });
  t.equal(notAuthor.statusCode, 403, 'someone who may not import is refused before the body is read');
});
