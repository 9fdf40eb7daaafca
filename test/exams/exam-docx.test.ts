// Word exports of an exam: the paper of each mã đề and the key table; who may read them, and what they say.
import { unzipSync, strFromU8 } from 'fflate';
import t from 'tap';
import { adminSession, as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const common = { subject: 'math', grade: 12 };
const bodies = [
  {
    ...common,
    type: 'single_choice',
    stem: '<p>Nghiệm dương của phương trình \\(x^{2}=4\\) là <img src="' + PNG + '" alt="" width="20" height="20" /></p>',
    options: [
      { id: 'A', text: 'Phương án một' },
      { id: 'B', text: 'Phương án hai' },
      { id: 'C', text: 'Phương án ba' },
      { id: 'D', text: 'Phương án bốn' },
    ],
    correct: ['C'],
  },
  {
    ...common,
    type: 'true_false_cluster',
    stem: '<p>Cho hàm số \\(y=\\frac{1}{x}\\).</p>',
    statements: [
      { id: 'a', text: 'Ý thứ nhất' },
      { id: 'b', text: 'Ý thứ hai' },
      { id: 'c', text: 'Ý thứ ba' },
      { id: 'd', text: 'Ý thứ tư' },
    ],
    values: { a: true, b: false, c: false, d: true },
  },
  { ...common, type: 'numeric', stem: '<p>Tính \\(\\sqrt{2{,}25}\\).</p>', value: 1.5 },
];

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 1, bodies, formCount: 2, prefix: 'dx', constraints: { maxItemOverlap: 1, difficultyTolerance: 1 } });
const w = fx.world;
const admin = as(app, (await adminSession(app)).token);
const codes = (await app.models.Exam.findById(fx.examId).lean())!.formCodes;
const paperUrl = (code: string) => `/api/exams/${fx.examId}/forms/${code}?format=docx`;
const keyUrl = `/api/exams/${fx.examId}/answer-key?format=docx`;

/** The visible text of the document's body and footers, paragraph by paragraph. */
function docText(bytes: Buffer): { body: string; footer: string; files: string[]; xml: string } {
  const zip = unzipSync(new Uint8Array(bytes));
  const text = (xml: string) =>
    xml
      .split(/<\/w:p>/)
      .map((p) => [...p.matchAll(/<(?:w|m):t(?: [^>]*)?>([^<]*)<\/(?:w|m):t>|<w:tab\/>/g)].map((m) => (m[0] === '<w:tab/>' ? '\t' : m[1])).join(''))
      .join('\n');
  const xml = strFromU8(zip['word/document.xml']!);
  const footers = Object.keys(zip).filter((f) => /^word\/footer\d*\.xml$/.test(f));
  return { body: text(xml), footer: footers.map((f) => strFromU8(zip[f]!)).join(''), files: Object.keys(zip), xml };
}

t.test('who may read the Word paper and key: exam managers of the organisation only, never candidates', async (t) => {
  const callers = [
    { who: 'exam manager of the organisation', call: w.manager, status: 200 },
    { who: 'candidate of the exam', call: w.candidate, status: 403 },
    { who: 'proctor of the organisation', call: w.proctor, status: 403 },
    { who: 'author of the items', call: w.author, status: 403 },
    { who: 'administrator above the organisation', call: admin, status: 403 },
    { who: 'exam manager of another organisation', call: w.otherManager, status: 404 },
  ];
  for (const { who, call, status } of callers) {
    for (const url of [paperUrl(codes[0]!), keyUrl]) {
      const res = await call({ method: 'GET', url });
      t.equal(res.statusCode, status, `${who}: ${url}`);
      if (status === 200) {
        t.equal(res.headers['content-type'], DOCX);
        t.match(String(res.headers['content-disposition']), /^attachment; filename="[A-Za-z0-9_.-]+\.docx"$/);
        t.equal(res.headers['cache-control'], 'private, no-store');
      } else {
        t.equal(res.json().error.code, status === 403 ? 'forbidden' : 'not_found', `${who}: error body`);
        t.notOk(res.rawPayload.subarray(0, 2).toString() === 'PK', 'not a document');
        t.notMatch(res.body, /ĐSS|Phương án/, 'nothing of the paper or key in a refusal');
      }
    }
  }
  const noToken = await app.inject({ method: 'GET', url: keyUrl });
  t.equal(noToken.statusCode, 401);
  const reads = await app.models.Audit.find({ target: `exam:${fx.examId}`, 'summary.format': 'docx' }).lean();
  t.same(reads.map((r) => r.action).sort(), ['exam.form_read', 'exam.key_read'], 'each successful read is audited, with the format');
});

t.test('the paper of each mã đề: header, parts, questions in the form order with options relabelled, equations, picture, footer', async (t) => {
  for (const code of codes) {
    const res = await w.manager({ method: 'GET', url: paperUrl(code) });
    t.equal(res.statusCode, 200);
    const doc = docText(res.rawPayload);
    t.match(doc.body, /SGD-HN/i, 'the organisation in the header');
    t.match(doc.body, /BÀI THI TRỰC TUYẾN/, 'exam name');
    t.match(doc.body, /Môn: Toán – Lớp 12/, 'subject');
    t.match(doc.body, /Thời gian làm bài: 60 phút/, 'time allowed');
    t.match(doc.body, new RegExp(`Mã đề ${code}`), 'mã đề');
    t.match(doc.body, /Họ và tên thí sinh: …/);
    t.match(doc.body, /Số báo danh: …/);
    t.match(doc.body, /PHẦN I\. Câu trắc nghiệm nhiều phương án lựa chọn\. Thí sinh trả lời câu 1\. Mỗi câu hỏi thí sinh chỉ chọn một phương án\./);
    t.match(doc.body, /PHẦN II\. Câu trắc nghiệm đúng sai\. .*Trong mỗi ý a\), b\), c\), d\) ở mỗi câu, thí sinh chọn đúng hoặc sai\./);
    t.match(doc.body, /PHẦN III\. Câu trắc nghiệm trả lời ngắn\./);
    t.equal([...doc.body.matchAll(/^Câu 1\. /gm)].length, 3, 'numbering restarts in each part');
    t.match(doc.xml, /<m:oMath>.*<m:sSup>.*<\/m:oMath>/s, 'x² as a Word equation');
    t.match(doc.xml, /<m:f>/, 'the fraction as a Word equation');
    t.ok(doc.files.some((f) => /^word\/media\/.+\.png$/.test(f)), 'the picture is embedded');
    // The bank moved the item's data: picture into the media library on write; the paper reads it back from there.
    const embedded = Object.entries(unzipSync(new Uint8Array(res.rawPayload))).find(([f]) => /^word\/media\/.+\.png$/.test(f))![1];
    t.same(Buffer.from(embedded), Buffer.from(PNG.split(',')[1]!, 'base64'), "the picture's own bytes, from the media library");
    t.match(doc.footer, /Trang /);
    t.match(doc.footer, /PAGE/);
    t.match(doc.footer, /NUMPAGES/);
    t.match(doc.footer, new RegExp(`– Mã đề ${code}`));
    // The options as the manager's view of this form delivers them, labelled A–D in that order.
    const form = (await w.manager({ method: 'GET', url: `/api/exams/${fx.examId}/forms/${code}` })).json();
    const choice = form.items.find((i: { type: string }) => i.type === 'single_choice');
    const line = doc.body.split('\n').find((l) => l.startsWith('A. '))!;
    const printed = line.split('\t').map((s) => s.replace(/^[A-D]\. /, ''));
    t.same(printed, choice.options.map((o: { text: string }) => o.text), `mã đề ${code}: options in delivery order`);
    t.same(line.split('\t').map((s) => s.slice(0, 2)), ['A.', 'B.', 'C.', 'D.'], 'relabelled A–D');
    t.notMatch(doc.body, /Đáp án|ĐSSĐ/, 'no key on the paper');
  }
});

t.test('the key table: every mã đề, Phần I letters as delivered, Phần II as Đ/S, Phần III values', async (t) => {
  const res = await w.manager({ method: 'GET', url: keyUrl });
  t.equal(res.statusCode, 200);
  const doc = docText(res.rawPayload);
  t.match(doc.body, /BẢNG ĐÁP ÁN/);
  const json = (await w.manager({ method: 'GET', url: `/api/exams/${fx.examId}/answer-key` })).json();
  const cells = doc.body.split('\n');
  const header = cells.indexOf('Câu');
  t.same(cells.slice(header + 1, header + 1 + codes.length), codes, 'a column per mã đề');
  // Rows: PHẦN I, 1, keys…; PHẦN II, 1, keys…; PHẦN III, 1, keys…
  const row = (part: string) => {
    const at = cells.indexOf(part);
    return cells.slice(at + 2, at + 2 + codes.length);
  };
  const keyOf = (code: string, type: string) => json.forms.find((f: { code: string }) => f.code === code).items.find((i: { type: string }) => i.type === type).key as string;
  t.same(row('PHẦN I'), codes.map((c) => keyOf(c, 'single_choice')), 'letters as on each mã đề');
  t.same(row('PHẦN II'), codes.map(() => 'ĐSSĐ'), 'statements as Đ/S');
  t.same(row('PHẦN III'), codes.map(() => '1,5'), 'value with a decimal comma');
});

t.test('unknown format values are refused', async (t) => {
  const res = await w.manager({ method: 'GET', url: `/api/exams/${fx.examId}/answer-key?format=doc` });
  t.equal(res.statusCode, 400);
});
