// GET /api/exams/:id/analysis over HTTP, on a real database: the numbers are
// ExamAnalyzer's on the same attempts, the CSV and HTML reports carry them, the
// cache holds until a grade changes, the write-back puts the figures on the bank
// items (no new revision) for the next assembly, and only the exam's managers may
// read or write them.
import t, { type Test } from 'tap';
import type { ExamAnalysis } from '../../src/analysis/index.js';
import type { AnalysisReport } from '../../src/analysis/analysis-service.js';
import { as, build } from '../helper.js';
import { near } from '../support/analysis.js';
import { expectedAnalysis, gradedExam, status } from '../support/analysis-exam.js';

const { app } = await build(t);
const g = await gradedExam(app, { candidates: 40, pendingManual: 1 });
const manager = as(app, g.fx.managerToken);
const url = `/api/exams/${g.fx.examId}/analysis`;

function compare(tt: Test, body: AnalysisReport, expected: ExamAnalysis) {
  tt.equal(body.candidates, expected.candidates, 'candidates');
  near(tt, body.mean, expected.mean, 1e-9, 'mean');
  near(tt, body.sd, expected.sd, 1e-9, 'sd');
  near(tt, body.sem, expected.sem, 1e-9, 'sem');
  tt.same(Object.keys(body.reliability), Object.keys(expected.reliability), 'reliability kind');
  near(tt, Object.values(body.reliability)[0], Object.values(expected.reliability)[0], 1e-9, 'reliability');
  tt.equal(body.items.length, expected.items.length, 'items');
  expected.items.forEach((e, i) => {
    const b = body.items[i]!;
    tt.equal(b.itemId, e.itemId);
    tt.equal(b.revision, e.revision);
    tt.equal(b.n, e.n, `item ${i + 1} n`);
    near(tt, b.pValue, e.pValue, 1e-9, `item ${i + 1} pValue`);
    near(tt, b.pointBiserial, e.pointBiserial, 1e-9, `item ${i + 1} pointBiserial`);
    near(tt, b.discrimination, e.discrimination, 1e-9, `item ${i + 1} discrimination`);
    tt.same(Object.keys(b.options), Object.keys(e.options), `item ${i + 1} option ids`);
    for (const [id, o] of Object.entries(e.options)) {
      tt.equal(b.options[id]!.count, o.count, `item ${i + 1} option ${id} count`);
      near(tt, b.options[id]!.share, o.share, 1e-9, `item ${i + 1} option ${id} share`);
      near(tt, b.options[id]!.pointBiserial, o.pointBiserial, 1e-9, `item ${i + 1} option ${id} pointBiserial`);
    }
    tt.same(b.flags.map((f) => f.reason), e.flags.map((f) => f.reason), `item ${i + 1} flags`);
    near(tt, b.rasch?.difficulty ?? null, e.rasch?.difficulty ?? null, 1e-6, `item ${i + 1} rasch difficulty`);
    near(tt, b.rasch?.se ?? null, e.rasch?.se ?? null, 1e-6, `item ${i + 1} rasch se`);
  });
}

let first: AnalysisReport;

t.test('JSON: the contract fields, equal to ExamAnalyzer on the same attempts', async (t) => {
  const res = await manager({ method: 'GET', url });
  status(t, res, 200);
  t.match(res.headers['content-type'], /application\/json/);
  t.equal(res.headers['x-analysis-cache'], 'miss');
  const body = res.json<AnalysisReport>();
  for (const key of ['candidates', 'mean', 'sd', 'reliability', 'sem', 'items']) t.ok(key in body, `has ${key}`);
  for (const key of ['itemId', 'revision', 'n', 'pValue', 'pointBiserial', 'discrimination', 'options']) t.ok(key in body.items[0]!, `item has ${key}`);
  t.ok('kr20' in body.reliability || 'alpha' in body.reliability, 'reliability is kr20 or alpha');
  t.equal(body.candidates, 40, 'the pending essay result is left out');
  t.same(body.excluded, { pendingManual: 1, otherRevision: 0, invalid: 0 });
  t.equal(body.forms.length, 1, 'forms 101 and 102 carry the same items: one item set');
  t.equal(body.forms[0]!.candidates, 40);
  const single = body.items.find((i) => i.type === 'single_choice' && i.itemId !== g.miskeyedItemId)!;
  t.same(Object.keys(single.options), ['A', 'B', 'C', 'D'], 'option statistics of a single-choice item');
  t.equal(single.options.A!.key, true);
  const tf = body.items.find((i) => i.type === 'true_false')!;
  t.same(Object.keys(tf.options), ['true', 'false'], 'true/false answers as options');
  const miskeyed = body.items.find((i) => i.itemId === g.miskeyedItemId)!;
  t.ok(miskeyed.flags.some((f) => f.reason === 'possible_wrong_key' && f.optionId === 'B'), 'the miskeyed item is flagged');
  t.ok(body.rasch?.calibrated, 'Rasch calibrated');

  const expected = expectedAnalysis(g, body.items);
  compare(t, body, expected);
  first = body;
});

t.test('CSV: BOM, a header and one row per item', async (t) => {
  const res = await manager({ method: 'GET', url: `${url}?format=csv` });
  status(t, res, 200);
  t.match(res.headers['content-type'], /text\/csv/);
  t.match(res.headers['content-disposition'], /attachment; filename="analysis-/);
  t.ok(res.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'UTF-8 BOM');
  const lines = res.body.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
  const header = lines[0]!.split(',');
  t.same(header.slice(0, 12), ['number', 'item_id', 'revision', 'type', 'topic', 'cognitive_level', 'max_points', 'n', 'mean', 'p_value', 'point_biserial', 'discrimination']);
  t.ok(header.includes('flags') && header.includes('rasch_difficulty'));
  t.equal(lines.length, 1 + first.items.length, 'one row per item');
  first.items.forEach((item, i) => {
    const cells = lines[i + 1]!.split(',');
    t.equal(cells[1], item.itemId);
    t.equal(Number(cells[7]), item.n);
    near(t, Number(cells[9]), item.pValue, 5e-5, `row ${i + 1} p_value`);
  });
  const miskeyedRow = lines.find((l) => l.includes(g.miskeyedItemId))!;
  t.match(miskeyedRow, /possible_wrong_key\(B\)/, 'flags in the row');
});

t.test('HTML: a printable Vietnamese report with the three charts as inline SVG', async (t) => {
  const res = await manager({ method: 'GET', url: `${url}?format=html` });
  status(t, res, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.headers['content-security-policy'], /default-src 'none'/);
  const html = res.body;
  t.match(html, /<html lang="vi">/);
  t.match(html, /Báo cáo phân tích đề thi/);
  t.match(html, /Phổ điểm/);
  t.match(html, /Độ khó – độ phân biệt/);
  t.match(html, /Các câu cần xem xét/);
  t.match(html, /Có thể sai đáp án/);
  t.match(html, /<svg class="chart histogram"/, 'score histogram');
  t.match(html, /<svg class="chart scatter"/, 'difficulty vs discrimination scatter');
  t.match(html, /<svg class="chart options"/, 'option distribution of a flagged item');
  const histogram = html.match(/<svg class="chart histogram"[\s\S]*?<\/svg>/)![0];
  t.equal((histogram.match(/<rect class="bar"/g) ?? []).length, 10, 'ten bins on the ten-point scale');
  const scatter = html.match(/<svg class="chart scatter"[\s\S]*?<\/svg>/)![0];
  t.equal((scatter.match(/<circle class="point/g) ?? []).length, first.items.filter((i) => i.pValue !== null && i.discrimination !== null).length, 'one point per item');
  const flagged = first.items.filter((i) => i.flags.length && Object.keys(i.options).length).length;
  t.equal((html.match(/<svg class="chart options"/g) ?? []).length, flagged, 'one option chart per flagged choice item');
  t.notMatch(html, /<script|<link|src="http|href="http/i, 'no scripts and no external assets');
});

t.test('the cache is reused until a grade changes', async (t) => {
  const again = await manager({ method: 'GET', url });
  t.equal(again.headers['x-analysis-cache'], 'hit');
  t.equal(again.json().computedAt, first.computedAt, 'the stored report');

  // A regrade of one attempt: its version and gradedAt move.
  const target = g.attempts[0]!;
  const perItem = target.perItem.map((p) => ({ ...p, points: p.points === p.maxPoints ? 0 : p.maxPoints }));
  await g.Result.updateOne({ _id: target.attemptId }, { $set: { perItem, gradedAt: new Date(), version: 2 } });
  const changed = await manager({ method: 'GET', url });
  t.equal(changed.headers['x-analysis-cache'], 'miss', 'recomputed after the grade changed');
  const body = changed.json<AnalysisReport>();
  t.not(body.fingerprint, first.fingerprint);
  t.not(body.mean, first.mean, 'the new grade is in the numbers');
  compare(t, body, expectedAnalysis({ ...g, attempts: g.attempts.map((a) => (a === target ? { ...a, perItem } : a)) }, body.items));
  const hit = await manager({ method: 'GET', url });
  t.equal(hit.headers['x-analysis-cache'], 'hit', 'and cached again');
  t.equal(hit.json().computedAt, body.computedAt);

  // An essay graded by a person: the pending result becomes graded.
  const pending = await g.Result.findOne({ examId: g.exam._id, status: 'pending_manual' }).lean();
  await g.Result.updateOne({ _id: pending!._id }, { $set: { status: 'graded', version: 2, gradedAt: new Date() } });
  const graded = await manager({ method: 'GET', url });
  t.equal(graded.headers['x-analysis-cache'], 'miss');
  t.equal(graded.json().candidates, 41);
  t.equal(graded.json().excluded.pendingManual, 0);
  // Put it back so the other tests see the first data set.
  await g.Result.updateOne({ _id: pending!._id }, { $set: { status: 'pending_manual', version: 3, gradedAt: new Date() } });
  await g.Result.updateOne({ _id: target.attemptId }, { $set: { perItem: target.perItem, gradedAt: new Date(), version: 3 } });
});

t.test('statistics are written back to the bank items, without a new revision', async (t) => {
  const res = await manager({ method: 'GET', url });
  t.equal(res.statusCode, 200);
  const body = res.json<AnalysisReport>();
  t.equal(body.bank.eligible, body.items.length, 'every item had enough responses');
  const written = await manager({ method: 'POST', url: `${url}/write-back` });
  status(t, written, 200);
  t.equal(written.json().updated, body.items.length);
  for (const item of body.items) {
    const got = await g.fx.world.author({ method: 'GET', url: `/api/items/${item.itemId}` });
    t.equal(got.statusCode, 200);
    const view = got.json();
    t.equal(view.latestRevision, 1, 'no new revision');
    t.equal(view.revision, 1);
    t.equal(view.status, 'approved', 'still approved');
    t.equal(view.stats.difficulty, item.pValue, 'classical difficulty');
    t.equal(view.stats.n, item.n);
    t.equal(view.stats.examId, g.fx.examId);
    t.equal(view.stats.examTitle, g.exam.title);
    t.equal(view.stats.revision, item.revision);
    if (item.discrimination !== null) t.equal(view.stats.discrimination, item.discrimination);
    if (item.pointBiserial !== null) t.equal(view.stats.pointBiserial, item.pointBiserial);
    if (item.rasch) {
      t.equal(view.stats.raschDifficulty, item.rasch.difficulty, 'Rasch difficulty');
      t.equal(view.stats.raschSE, item.rasch.se, 'Rasch SE');
    } else t.notOk('raschDifficulty' in view.stats);
  }
  const noRevision2 = await g.fx.world.author({ method: 'GET', url: `/api/items/${body.items[0]!.itemId}?revision=2` });
  t.equal(noRevision2.statusCode, 404, 'no revision 2');

  // The next assembly balances on the measured difficulties.
  const exam = await manager({
    method: 'POST',
    url: '/api/exams',
    payload: { title: 'Đề sau phân tích', blueprintId: g.fx.blueprintId, formCount: 1, opensAt: '2031-01-01T00:00:00Z', closesAt: '2031-01-01T02:00:00Z', durationMinutes: 60, candidateIds: [], showResults: 'never' },
  });
  status(t, exam, 201);
  const assembled = await manager({ method: 'POST', url: `/api/exams/${exam.json().id}/assemble` });
  status(t, assembled, 200);
  const mean = body.items.reduce((s, i) => s + i.pValue!, 0) / body.items.length;
  // The form's mean is rounded to 4 decimals after summing in the form's order: a mean on a …5 boundary may round either way here.
  near(t, assembled.json().forms[0].meanDifficulty, mean, 0.5e-4 + 1e-9, 'form mean difficulty from the written p-values');
});

t.test('authorisation: exam managers of the exam’s organisation only', async (t) => {
  const w = g.fx.world;
  t.equal((await w.otherManager({ method: 'GET', url })).statusCode, 404, 'exam manager of another organisation');
  t.equal((await w.proctor({ method: 'GET', url })).statusCode, 403, 'proctor');
  t.equal((await w.author({ method: 'GET', url })).statusCode, 403, 'author of the organisation');
  const candidate = await as(app, g.fx.tokens[0]!)({ method: 'GET', url: `${url}?format=html` });
  t.equal(candidate.statusCode, 403, 'candidate of the exam');
  t.equal(candidate.json().error.code, 'forbidden');
  t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, 'no token');
  t.equal((await manager({ method: 'GET', url: '/api/exams/000000000000000000000000/analysis' })).statusCode, 404, 'unknown exam');
  t.equal((await manager({ method: 'GET', url: `${url}?format=pdf` })).statusCode, 400, 'unknown format');
});
