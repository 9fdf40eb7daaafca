// A GET never writes: reading an exam's analysis leaves the bank items as they
// were. Statistics reach the bank only through the explicit, audited
// POST /api/exams/:id/analysis/write-back of an exam manager of the exam's
// organisation, and each item then says which exam they came from.
import t from 'tap';
import { as, build } from '../helper.js';
import { gradedExam } from '../support/analysis-exam.js';

const { app } = await build(t);
const g = await gradedExam(app, { candidates: 30 });
const w = g.fx.world;
const manager = as(app, g.fx.managerToken);
const url = `/api/exams/${g.fx.examId}/analysis`;
const itemIds = [...new Set(g.forms.flatMap((f) => f.items.map((i) => i.itemId)))];
const heads = () => app.models.Item.find({ _id: { $in: itemIds } }).sort({ _id: 1 }).lean();
const audit = () => app.models.Audit.countDocuments({});

t.test('GET /api/exams/:id/analysis changes no item and writes no audit record', async (t) => {
  const before = { heads: await heads(), audit: await audit() };
  for (const format of ['json', 'csv', 'html']) {
    const res = await manager({ method: 'GET', url: `${url}?format=${format}` });
    t.equal(res.statusCode, 200, `${format}: ${res.statusCode}`);
  }
  t.same(await heads(), before.heads, 'the bank items are untouched');
  t.equal(await audit(), before.audit);
  for (const id of itemIds) t.notOk('stats' in (await w.author({ method: 'GET', url: `/api/items/${id}` })).json(), 'no statistics on the item');
});

t.test('only an exam manager of the exam’s organisation writes statistics back', async (t) => {
  const before = { heads: await heads(), audit: await audit() };
  for (const [who, call, status] of [
    ['exam manager of another organisation', w.otherManager, 404],
    ['proctor', w.proctor, 403],
    ['author', w.author, 403],
    ['candidate', as(app, g.fx.tokens[0]!), 403],
  ] as const) {
    const res = await call({ method: 'POST', url: `${url}/write-back` });
    t.equal(res.statusCode, status, who);
  }
  t.same(await heads(), before.heads);
  t.equal(await audit(), before.audit);
});

t.test('the write-back writes, answers what it wrote, is audited once, and each item names its source', async (t) => {
  const report = (await manager({ method: 'GET', url })).json();
  const res = await manager({ method: 'POST', url: `${url}/write-back` });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.equal(body.examId, g.fx.examId);
  t.equal(body.updated, report.items.length, 'every item had enough responses');
  t.equal(body.items.length, body.updated);
  for (const written of body.items) {
    const analysed = report.items.find((i: { itemId: string }) => i.itemId === written.itemId);
    t.match(written, { itemId: analysed.itemId, revision: analysed.revision, difficulty: analysed.pValue, n: analysed.n });
  }
  const records = await app.models.Audit.find({ action: 'analysis.write_back' }).lean();
  t.equal(records.length, 1, 'one audit record');
  t.match(records[0], { target: `exam:${g.fx.examId}`, actorId: w.managerId, actorRole: 'exam_manager', summary: { items: body.updated } });

  for (const id of itemIds) {
    const view = (await w.author({ method: 'GET', url: `/api/items/${id}` })).json();
    t.match(view.stats, { examId: g.fx.examId, examTitle: g.exam.title, updatedAt: String }, 'the item owner sees which exam the figures came from');
    t.equal(view.latestRevision, 1, 'no new revision');
  }
  const again = await manager({ method: 'GET', url });
  t.equal(again.headers['x-analysis-cache'], 'hit', 'the report is still the cached one');
});
