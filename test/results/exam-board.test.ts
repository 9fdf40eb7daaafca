// The exam board (hội đồng thi): grading and regrading, results, analysis and the
// sector push of the exams of its organisation and the schools below it; no
// authoring, no exam building, no live-exam control; nothing of another department.
import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { adminSession, as, build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, rightAnswer, submitAttempts } from '../support/grading.js';
import { validItem } from '../support/fixtures/index.js';

t.test('what an exam board may and may not do', async (t) => {
  const { app, config } = await build(t);
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'essay'], prefix: 'eb' });
  const admin = as(app, (await adminSession(app)).token);
  const board = async (username: string, orgId: string) => {
    const res = await admin({ method: 'POST', url: '/api/users', payload: { username, password: 'board-password-1', displayName: username, roles: [{ role: 'exam_board', orgId }] } });
    t.equal(res.statusCode, 201, res.body);
    return as(app, app.tokens.issue(res.json().id).token);
  };
  const ours = await board('eb_board', fx.world.orgs.dep);
  const theirs = await board('eb_other_board', fx.world.orgs.otherDep);
  await submitAttempts(app, fx.examId, fx.candidateIds, (_i, item) => (item.type === 'essay' ? undefined : rightAnswer(item)));
  const exam = `/api/exams/${fx.examId}`;

  await t.test('runs the grades of its exams', async (t) => {
    const listed = await ours({ method: 'GET', url: '/api/exams' });
    t.equal(listed.statusCode, 200, listed.body);
    t.ok(listed.json().exams.some((e: { id: string }) => e.id === fx.examId), 'the exam is on its list');
    const read = await ours({ method: 'GET', url: exam });
    t.equal(read.statusCode, 200, 'it reads the exam');
    t.equal(read.json().seed, undefined, 'as staff, without the assembly seed');
    const graded = await ours({ method: 'POST', url: `${exam}/grading`, payload: { mode: 'all' } });
    t.equal(graded.statusCode, 202, `starts grading: ${graded.body}`);
    const jobId = graded.json().jobId as string;
    t.equal((await ours({ method: 'GET', url: `/api/jobs/${encodeURIComponent(jobId)}` })).statusCode, 200, 'follows the job');
    await app.grading.gradeBatch((await app.models.Attempt.find({ examId: fx.examId }, { _id: 1 }).lean()).map((a) => String(a._id)));
    t.equal((await ours({ method: 'GET', url: `${exam}/results` })).statusCode, 200, 'reads the results');
    t.equal((await ours({ method: 'GET', url: `${exam}/results?format=csv` })).statusCode, 200, 'and exports them');
    t.equal((await ours({ method: 'GET', url: `${exam}/manual-queue` })).statusCode, 200, 'sees what waits for a person');
    t.ok([200, 202].includes((await ours({ method: 'GET', url: `${exam}/analysis` })).statusCode), 'analyses the exam');
    t.equal((await ours({ method: 'GET', url: `${exam}/sector-sync` })).statusCode, 200, 'follows the sector push');
    const audit = await app.models.Audit.find({ action: 'exam.grading', target: `exam:${fx.examId}` }).lean();
    t.match(audit, [{ actorRole: 'exam_board' }], 'its grading run is audited under its role');
  });

  await t.test('writes nothing, builds nothing, runs no live exam', async (t) => {
    t.equal((await ours({ method: 'POST', url: '/api/items', payload: validItem('single_choice') })).statusCode, 403, 'no authoring');
    t.equal((await ours({ method: 'POST', url: '/api/exams', payload: { title: 'x' } })).statusCode, 403, 'no new exams');
    t.equal((await ours({ method: 'POST', url: `${exam}/publish` })).statusCode, 403, 'no publishing');
    t.equal((await ours({ method: 'POST', url: `${exam}/extensions`, payload: { candidateId: fx.candidateIds[0], extraMinutes: 5 } })).statusCode, 403, 'no extra time');
    t.equal((await ours({ method: 'GET', url: `${exam}/monitor` })).statusCode, 403, 'no monitor');
    t.equal((await ours({ method: 'POST', url: `/api/users/${fx.candidateIds[0]}/unlock` })).statusCode, 403, 'no unlocking');
    t.equal((await ours({ method: 'POST', url: `${exam}/analysis/write-back` })).statusCode, 403, 'no writing statistics into the bank');
  });

  await t.test('another department\'s board does not see the exam', async (t) => {
    for (const url of [exam, `${exam}/results`, `${exam}/analysis`, `${exam}/sector-sync`]) {
      t.equal((await theirs({ method: 'GET', url })).statusCode, 404, url);
    }
    t.equal((await theirs({ method: 'POST', url: `${exam}/grading`, payload: { mode: 'all' } })).statusCode, 404);
    const list = (await theirs({ method: 'GET', url: '/api/exams' })).json().exams as { id: string }[];
    t.notOk(list.some((e) => e.id === fx.examId), 'nor lists it');
  });
});
