// Issue 19: staff notes (a scorer's or tutor's guidance, QTI rubric blocks for
// staff) go where the key goes and nowhere else: never to a candidate (live
// state, exam and form reads, item reads, results before or after release),
// never to staff without key rights (bank reads, forms whose key is withheld,
// printable papers, exports).
import t from 'tap';
import { safeUnzip } from '../../src/interop/zip.js';
import { as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { submitAttempts } from '../support/grading.js';
import { listen, TestSocket } from '../support/live-client.js';

const { app } = await build(t);
const url = await listen(app);

const SECRET = /GHICHUGV/;
const bodies = [
  {
    type: 'single_choice',
    subject: 'math',
    grade: 12,
    language: 'vi',
    stem: 'Số nguyên tố chẵn là',
    options: [
      { id: 'A', text: '2' },
      { id: 'B', text: '4' },
      { id: 'C', text: '6' },
    ],
    correct: ['A'],
    feedback: { general: 'Phản hồi chung' },
    staffNotes: '<p>GHICHUGV-1: đáp án là A vì 2 chỉ có hai ước.</p>',
  },
  { type: 'numeric', subject: 'math', grade: 12, language: 'vi', stem: '2 + 2 = ?', value: 4, staffNotes: 'GHICHUGV-2: chấp nhận cả 4,0.' },
];
const fx = await publishedExam(app, { candidates: 2, bodies, prefix: 'sgn' });
const [choiceId, numericId] = fx.itemIds as [string, string];

/** Every text an answer carries, zips (docx, QTI packages) opened. */
function texts(body: Buffer): string {
  if (body[0] === 0x50 && body[1] === 0x4b) return [...safeUnzip(body).values()].map((b) => Buffer.from(b).toString('utf8')).join('\n');
  return body.toString('utf8');
}

t.test('the author reads and writes staff notes; they are sanitised and size-limited', async (t) => {
  const own = await fx.world.author({ method: 'GET', url: `/api/items/${choiceId}` });
  t.match(own.json(), { keyIncluded: true, staffNotes: /GHICHUGV-1/ });
  const item = own.json() as Record<string, unknown>;
  const dirty = await fx.world.author({ method: 'PUT', url: `/api/items/${choiceId}`, payload: { ...item, staffNotes: '<p onclick="x()">GHICHUGV-1 <script>alert(1)</script>sửa</p>' } });
  t.equal(dirty.statusCode, 200, dirty.body);
  t.equal(dirty.json().staffNotes, '<p>GHICHUGV-1 sửa</p>', 'unsafe markup is removed as in stems');
  t.equal(dirty.json().revision, 2, 'a note is no key: editing it on a live exam needs no override');
  const long = await fx.world.author({ method: 'PUT', url: `/api/items/${choiceId}`, payload: { ...(dirty.json() as Record<string, unknown>), staffNotes: 'x'.repeat(5001) } });
  t.equal(long.statusCode, 400);
  t.match(long.json(), { error: { code: 'validation_failed', details: [{ instancePath: '/staffNotes', keyword: 'maxLength' }] } }, 'at most 5,000 characters, said with the error body');
});

t.test('attack: nothing of the staff notes reaches a sitting candidate', async (t) => {
  const { socket, first } = await TestSocket.join(url, fx.tokens[1]!, fx.examId);
  t.teardown(() => socket.close());
  t.equal(first.type, 'state');
  t.equal((first.items as unknown[]).length, 2, 'the candidate has the form');
  t.notMatch(JSON.stringify(first), SECRET, 'no staff note in the state');
  t.notMatch(JSON.stringify(first), /staffNotes/, 'not even the field name');
  const candidate = as(app, fx.tokens[1]!);
  for (const path of [`/api/exams/${fx.examId}`, '/api/exams', `/api/items/${choiceId}`, `/api/items/${numericId}`, `/api/exams/${fx.examId}/forms/101`, '/api/items?limit=50']) {
    const res = await candidate({ method: 'GET', url: path });
    t.notMatch(res.body, SECRET, `${path} (${res.statusCode}) carries no staff note`);
  }
});

t.test('attack: staff without key rights read no staff notes in the bank or in exports', async (t) => {
  for (const who of ['manager', 'proctor', 'otherManager'] as const) {
    const caller = fx.world[who];
    for (const path of [`/api/items/${choiceId}`, `/api/items/${numericId}`, '/api/items?limit=50']) {
      const res = await caller({ method: 'GET', url: path });
      if (res.statusCode === 200 && path.startsWith('/api/items/')) t.equal(res.json().keyIncluded, false, `${who} ${path}: read without the key`);
      t.notMatch(res.body, SECRET, `${who} ${path} (${res.statusCode})`);
    }
    for (const format of ['qti', 'moodle-xml', 'csv', 'docx']) {
      const res = await caller({ method: 'GET', url: `/api/items/export?format=${format}&topic=${encodeURIComponent(String((await fx.world.author({ method: 'GET', url: `/api/items/${choiceId}` })).json().topic))}` });
      t.notMatch(res.statusCode === 200 ? texts(res.rawPayload) : res.body, SECRET, `${who} export ${format} (${res.statusCode})`);
    }
  }
  const own = await fx.world.author({ method: 'GET', url: `/api/items/export?format=qti&topic=${encodeURIComponent(String((await fx.world.author({ method: 'GET', url: `/api/items/${choiceId}` })).json().topic))}` });
  t.equal(own.statusCode, 200);
  t.match(texts(own.rawPayload), /<qti-rubric-block use="instructions" view="tutor"><qti-content-body><p>GHICHUGV-1 sửa<\/p>/, 'the author exports them, as a rubric block for tutors');
});

t.test('attack: exam forms carry staff notes only with the key; papers never', async (t) => {
  // Before the exam opens, the manager reads no key of an item of another organisation's author… nor its notes.
  const early = await publishedExam(app, { candidates: 1, bodies, prefix: 'sgn2', opensInMs: 3_600_000, closesInMs: 7_200_000 });
  const withheld = await early.world.manager({ method: 'GET', url: `/api/exams/${early.examId}/forms/101` });
  t.equal(withheld.statusCode, 200, withheld.body.slice(0, 200));
  const items = withheld.json().items as { keyWithheld?: boolean }[];
  if (items.every((i) => i.keyWithheld)) t.notMatch(withheld.body, SECRET, 'key withheld: notes withheld');
  else t.ok(items.every((i) => !i.keyWithheld), 'or the manager reads every key, and with it the notes');
  const open = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/forms/101` });
  t.equal(open.statusCode, 200);
  t.match(open.body, SECRET, 'once the exam is open its manager reads the key, and the notes with it');
  for (const format of ['html', 'docx']) {
    const paper = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/forms/101?format=${format}` });
    t.equal(paper.statusCode, 200, `${format} paper`);
    t.notMatch(texts(paper.rawPayload), SECRET, `the ${format} paper for candidates has no staff note`);
  }
  const key = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/answer-key` });
  t.notMatch(key.body, SECRET, 'nor the answer key');
});

t.test('attack: results never carry staff notes, to the candidate or to staff', async (t) => {
  const [attempt] = await submitAttempts(app, fx.examId, fx.candidateIds.slice(0, 1), (_i, item) => (item.type === 'single_choice' ? 'B' : '4'));
  await app.grading.gradeBatch([attempt!.attemptId]);
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { closesAt: new Date(Date.now() - 1000) } });
  const resultUrl = `/api/attempts/${attempt!.attemptId}/result`;
  const mine = await as(app, fx.tokens[0]!)({ method: 'GET', url: resultUrl });
  t.equal(mine.statusCode, 200, mine.body.slice(0, 300));
  t.match(mine.body, /Phản hồi chung/, 'the released feedback is there');
  t.notMatch(mine.body, SECRET, 'the staff notes are not');
  for (const path of [resultUrl, `/api/exams/${fx.examId}/results`]) {
    const staff = await fx.world.manager({ method: 'GET', url: path });
    t.notMatch(staff.body, SECRET, `${path} (${staff.statusCode})`);
  }
});
