import t from 'tap';
import { SectorStore } from '../../src/sector/sector-service.js';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { inProcessWorkers, ownFerret, queueEvents, rightAnswer, settled, submitAttempts, until } from '../support/grading.js';

t.test('while the sector database is down, pushes keep retrying and the API stays healthy; when it returns, the push completes', async (t) => {
  const sector = await ownFerret(t);
  // The sector database is this test's own FerretDB, not started yet: nothing listens on its port.
  const { app, config } = await build(t, { SECTOR_MONGODB_URI: sector.uri('sector'), JOB_BACKOFF_MS: '200', JOB_BACKOFF_MAX_MS: '1000' });
  const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'numeric'], prefix: 'su' });
  const { manager } = fx.world;
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (_i, item) => rightAnswer(item));
  const { ctx } = await inProcessWorkers(t, config);
  const bulkEvents = await queueEvents(t, config, 'bulk');
  const sectorEvents = await queueEvents(t, config, 'sector');

  const jobId = (await manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } })).json().jobId as string;
  await settled(ctx.queues.bulk, bulkEvents, jobId);
  t.equal((await manager({ method: 'GET', url: `/api/jobs/${jobId}` })).json().state, 'completed', 'grading does not wait for the sector database');

  // The push fails and is retried.
  await until(sectorEvents, async () => {
    const jobs = await ctx.queues.sector.getJobs(['delayed', 'wait', 'active']);
    return jobs.some((j) => j.attemptsMade >= 1);
  });
  t.same((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json(), { pushed: 0, pending: 2, failed: 0 });
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200, 'readiness does not depend on the sector database');
  t.equal((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` })).json().results.length, 2, 'results are served');

  await sector.start();
  await until(sectorEvents, async () => (await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json().pushed === 2, 120_000);
  t.same((await manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json(), { pushed: 2, pending: 0, failed: 0 });
  const store = new SectorStore(sector.uri('sector'));
  t.teardown(() => store.close());
  const records = await (await store.records()).find({}).lean();
  t.same(records.map((r) => [r._id, r.version]).sort(), submitted.map((s) => [s.attemptId, 1]).sort(), 'each attempt once');
});
