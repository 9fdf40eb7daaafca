import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, rightAnswer, submitAttempts, wrongAnswer } from '../support/grading.js';

const NAMES = ['Nguyễn Thị Hằng', 'Trần Văn Đức', 'Lê Hoàng Yến, "lớp 12A"'];

t.test('results: JSON and CSV for the exam manager, the candidate\'s own result by showResults', async (t) => {
  const { app, config } = await build(t);
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 3, types: ['single_choice', 'essay'], prefix: 'rs' });
  const { manager } = fx.world;
  // Vietnamese display names and student ids (one typed in decomposed Unicode: stored as written, shown NFC).
  for (const [i, id] of fx.candidateIds.entries()) {
    await app.models.User.updateOne({ _id: id }, { $set: { displayName: i === 0 ? NAMES[0]!.normalize('NFD') : NAMES[i]!, studentId: `HS00${i + 1}` } });
  }
  // cand0 right, cand1 wrong, both essays blank (final); cand2 writes an essay (waits for a person).
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (i, item) =>
    item.type === 'essay' ? (i === 2 ? rightAnswer(item) : undefined) : i === 1 ? wrongAnswer(item) : rightAnswer(item),
  );
  // Graded here rather than by a worker: this file is about reading results.
  await app.grading.gradeBatch(submitted.map((s) => s.attemptId));

  await t.test('JSON', async (t) => {
    const res = await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` });
    t.equal(res.statusCode, 200);
    const rows = res.json().results;
    t.same(rows.map((r: { studentId: string }) => r.studentId), ['HS001', 'HS002', 'HS003']);
    t.match(rows[0], { candidateId: fx.candidateIds[0], studentId: 'HS001', displayName: NAMES[0]!.normalize('NFD'), attemptId: submitted[0]!.attemptId, formCode: '101', score: 1, maxScore: 2, score10: 5, status: 'graded' });
    t.match(rows[2], { status: 'pending_manual', score: 1 });
    t.ok(!Number.isNaN(Date.parse(rows[0].gradedAt)));
  });

  await t.test('CSV: UTF-8 with a BOM, Vietnamese names intact', async (t) => {
    const res = await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results?format=csv` });
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
    t.match(res.headers['content-disposition'], /attachment; filename="results-.*\.csv"/);
    const bytes = res.rawPayload;
    t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3));
    const lines = text.split('\r\n');
    t.equal(lines[0], 'student_id,display_name,candidate_id,attempt_id,form_code,score,max_score,score10,status,graded_at');
    t.equal(lines.length, 5, 'header, three rows, final CRLF');
    t.ok(lines[1]!.startsWith(`HS001,${NAMES[0]},${fx.candidateIds[0]},${submitted[0]!.attemptId},101,1,2,5,graded,`), lines[1]);
    t.ok(text.includes('Nguyễn Thị Hằng'), 'NFC, as a spreadsheet shows it');
    t.ok(lines[2]!.startsWith('HS002,Trần Văn Đức,'), lines[2]);
    t.ok(lines[3]!.startsWith('HS003,"Lê Hoàng Yến, ""lớp 12A""",'), 'quoted per RFC 4180');
    t.ok(bytes.includes(Buffer.from('Trần Văn Đức', 'utf8')), 'raw UTF-8 bytes present');
    t.equal((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results?format=xls` })).statusCode, 400);
  });

  await t.test('who may read the exam\'s results', async (t) => {
    t.equal((await fx.world.candidate({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).statusCode, 403);
    t.equal((await fx.world.proctor({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).statusCode, 403);
    t.equal((await fx.world.otherManager({ method: 'GET', url: `/api/exams/${fx.examId}/results?format=csv` })).statusCode, 404);
    t.equal((await manager({ method: 'GET', url: '/api/exams/no-such-exam/results' })).statusCode, 404);
  });

  await t.test('the candidate\'s own result follows showResults', async (t) => {
    const own = fx.world.candidate; // candidate 0
    const url = (i: number) => `/api/attempts/${submitted[i]!.attemptId}/result`;
    const setExam = (set: Record<string, unknown>) => app.models.Exam.updateOne({ _id: fx.examId }, { $set: set });

    // after_submit (the fixture's): once graded, the total only while the exam is open.
    const mine = await own({ method: 'GET', url: url(0) });
    t.equal(mine.statusCode, 200, mine.body);
    t.match(mine.json(), { attemptId: submitted[0]!.attemptId, examTitle: 'Bài thi trực tuyến', score: 1, maxScore: 2, score10: 5, status: 'graded' });
    t.equal(mine.json().perItem, undefined, 'no points per item before the exam closes');
    t.notMatch(mine.body, /correct|accepted|rubric/, 'no key, no scoring data');
    t.equal((await own({ method: 'GET', url: url(1) })).statusCode, 404, 'not another candidate\'s');
    t.equal((await own({ method: 'GET', url: '/api/attempts/no-such-attempt/result' })).statusCode, 404);
    const cand2 = fx.world.app.tokens.issue(fx.candidateIds[2]!).token;
    const pending = await app.inject({ method: 'GET', url: url(2), headers: { authorization: `Bearer ${cand2}` } });
    t.equal(pending.statusCode, 403, 'an essay still waits for a person');
    t.same(pending.json().error.details, [{ reason: 'pending_manual' }], 'the client can say "awaiting marking"');
    t.equal((await manager({ method: 'GET', url: url(2) })).statusCode, 200, 'staff see it any time');
    t.equal((await fx.world.otherManager({ method: 'GET', url: url(2) })).statusCode, 404);

    await setExam({ showResults: 'never' });
    const never = await own({ method: 'GET', url: url(0) });
    t.equal(never.statusCode, 403);
    t.equal(never.json().error.code, 'forbidden');
    t.same(never.json().error.details, [{ reason: 'not_shown' }]);

    await setExam({ showResults: 'after_close', closesAt: new Date(Date.now() + 3600_000) });
    const early = await own({ method: 'GET', url: url(0) });
    t.equal(early.statusCode, 403, 'not before the exam closes');
    t.same(early.json().error.details, [{ reason: 'after_close', availableAt: (await app.models.Exam.findById(fx.examId).lean())!.closesAt.toISOString() }]);
    await setExam({ closesAt: new Date(Date.now() - 1000) });
    const closed = await own({ method: 'GET', url: url(0) });
    t.equal(closed.statusCode, 200, 'after it closes');
    t.same(closed.json().perItem.map((p: { number: number; points: number; maxPoints: number }) => [p.number, p.points, p.maxPoints]), [
      [1, 1, 1],
      [2, 0, 1],
    ], 'with points per item');
    t.notMatch(closed.body, /correct|accepted|rubric/, 'no key, no scoring data');
  });
});
