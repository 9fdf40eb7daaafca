// An exam's roster is stored whatever the backend. FerretDB's PostgreSQL
// backend would index the whole `candidateIds` array as one B-tree entry, and
// PostgreSQL refuses an entry above 8,191 bytes even compressed: with the
// roster index an exam of 2,000 candidates could not be stored there
// (`npm run bench:backends`). On FerretDB the index is not built (FerretDB
// never reads one); on MongoDB it is.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { isFerret } from '../../src/infra/store.js';
import { build, uniqueName } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';

const ROSTER = 5000;
const { app } = await build(t, {}, uniqueName('exam-roster'));

t.test(`an exam's roster of ${ROSTER} candidates is stored and its candidates find the exam`, async (t) => {
  const fx = await publishedExam(app, { candidates: 2, types: ['single_choice'] });
  // The rest of a large roster (ids of the shape the engine makes; no user behind them is needed to store it).
  const others = Array.from({ length: ROSTER - fx.candidateIds.length }, () => randomBytes(12).toString('hex'));
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { candidateIds: [...others, ...fx.candidateIds] } });
  const stored = await app.models.Exam.findById(fx.examId).lean();
  t.equal(stored!.candidateIds.length, ROSTER, 'the whole roster is stored');
  t.ok(Buffer.byteLength(JSON.stringify(stored!.candidateIds)) > 8 * 8191, 'far larger than one PostgreSQL index entry may be, even compressed');
  // The last candidate on the roster finds the exam in their list (the query the roster index serves on MongoDB).
  const res = await app.inject({ method: 'GET', url: '/api/my/exams', headers: { authorization: `Bearer ${fx.tokens.at(-1)}` } });
  t.equal(res.statusCode, 200, res.body);
  t.ok(JSON.stringify(res.json()).includes(fx.examId), 'the exam is in the candidate’s list');

  const indexes = (await app.models.Exam.collection.indexes()).map((i) => Object.keys(i.key).join(','));
  if (await isFerret(app.models.Exam.db.db!)) t.notOk(indexes.includes('candidateIds'), 'no roster index on FerretDB');
  else t.ok(indexes.includes('candidateIds'), 'the roster index on MongoDB');
});
