// Exams above ANALYSIS_INLINE_LIMIT are analysed by an `analyse-exam` bulk job:
// the request answers 202 {jobId} (the same job while it runs), a worker process
// built from the real registry computes and caches the report (and writes nothing
// to the bank), and the request then answers 200 from the cache; the write-back
// waits for it.
import t from 'tap';
import type { Job } from 'bullmq';
import type { AnalysisReport } from '../../src/analysis/analysis-service.js';
import { createWorkerContext } from '../../workers/context.js';
import { startWorkers } from '../../workers/runner.js';
import { as, build } from '../helper.js';
import { near } from '../support/analysis.js';
import { expectedAnalysis, gradedExam, status } from '../support/analysis-exam.js';

const { app, config } = await build(t, { ANALYSIS_INLINE_LIMIT: '10' });
const g = await gradedExam(app, { candidates: 30, seed: 'job' });
const manager = as(app, g.fx.managerToken);
const url = `/api/exams/${g.fx.examId}/analysis`;

t.test('202 with a job, then the report the job cached', async (t) => {
  const queued = await manager({ method: 'GET', url });
  status(t, queued, 202);
  const { jobId } = queued.json<{ jobId: string }>();
  t.match(jobId, /^analyse-/);
  const again = await manager({ method: 'GET', url: `${url}?format=html` });
  t.equal(again.statusCode, 202, 'still running: 202 whatever the format');
  t.equal(again.json().jobId, jobId, 'the same job, not a second one');
  const job = await app.queues.bulk.getJob(jobId);
  t.match(job?.data, { kind: 'analyse-exam', examId: g.fx.examId });

  const early = await manager({ method: 'POST', url: `${url}/write-back` });
  status(t, early, 409);
  t.match(early.json().error, { code: 'analysis_pending', details: [{ jobId }] }, 'the write-back waits for the analysis');

  const ctx = await createWorkerContext(config);
  const running = startWorkers(ctx, () => {});
  t.teardown(async () => {
    await running.close();
    await ctx.close();
  });
  const bulk = running.workers.find((w) => w.name === 'bulk');
  t.ok(bulk, 'the registry runs a bulk worker');
  const finished = await new Promise<{ ok: boolean; job: Job; err?: Error }>((resolve) => {
    bulk!.on('completed', (j) => j.id === jobId && resolve({ ok: true, job: j }));
    bulk!.on('failed', (j, err) => j?.id === jobId && resolve({ ok: false, job: j, err }));
  });
  t.ok(finished.ok, finished.err?.message ?? 'job completed');
  t.match(finished.job.returnvalue, { examId: g.fx.examId, candidates: 30, cached: false });
  t.match(finished.job.progress, { done: 30, total: 30 });
  const followed = await manager({ method: 'GET', url: `/api/jobs/${jobId}` });
  status(t, followed, 200);
  t.match(followed.json(), { id: jobId, queue: 'bulk', state: 'completed', progress: { done: 30, total: 30 } }, 'followable at GET /api/jobs/:jobId');
  status(t, await g.fx.world.otherManager({ method: 'GET', url: `/api/jobs/${jobId}` }), 404);

  const ready = await manager({ method: 'GET', url });
  status(t, ready, 200);
  t.equal(ready.headers['x-analysis-cache'], 'hit', 'served from what the job stored');
  const body = ready.json<AnalysisReport>();
  t.equal(body.candidates, 30);
  const expected = expectedAnalysis(g, body.items);
  expected.items.forEach((e, i) => {
    near(t, body.items[i]!.pValue, e.pValue, 1e-9, `item ${i + 1} pValue`);
    near(t, body.items[i]!.discrimination, e.discrimination, 1e-9, `item ${i + 1} discrimination`);
  });
  near(t, body.mean, expected.mean, 1e-9, 'mean');
  t.equal(body.bank.eligible, body.items.length, 'every item could be written back');
  const item = await g.fx.world.author({ method: 'GET', url: `/api/items/${body.items[0]!.itemId}` });
  t.notOk('stats' in item.json(), 'the job wrote nothing to the bank');
  status(t, await manager({ method: 'POST', url: `${url}/write-back` }), 200);
  const after = await g.fx.world.author({ method: 'GET', url: `/api/items/${body.items[0]!.itemId}` });
  t.equal(after.json().stats.difficulty, body.items[0]!.pValue, 'the write-back did, from the cached report');

  const csv = await manager({ method: 'GET', url: `${url}?format=csv` });
  t.equal(csv.statusCode, 200);
  t.ok(csv.body.startsWith('\uFEFF'));

  // A changed grade makes the cache stale again: a new job.
  await g.Result.updateOne({ _id: g.attempts[0]!.attemptId }, { $set: { gradedAt: new Date(), version: 2 } });
  const stale = await manager({ method: 'GET', url });
  t.equal(stale.statusCode, 202);
  t.not(stale.json().jobId, jobId, 'a job for the new grades');
});
