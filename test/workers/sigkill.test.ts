import { once } from 'node:events';
import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { newId } from '../../src/ids.js';
import { SectorStore } from '../../src/sector/sector-service.js';
import { build, TEST_DATA_DIR, TEST_JWT_SECRET } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, queueEvents, rightAnswer, settled, submitAttempts, until, wrongAnswer } from '../support/grading.js';
import { startProcess } from '../support/processes.js';

const CANDIDATES = 120;
// Two worker processes, a stalled-job takeover and a SIGTERM hand-back on a shared FerretDB: more than the default 180 s.
t.setTimeout(600_000);

t.test('a worker killed with SIGKILL mid-batch: another worker finishes the run, every attempt is graded once in the sector database', { timeout: 600_000 }, async (t) => {
  const { app, config, name } = await build(t);
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'true_false'], prefix: 'sk' });
  // More candidates, written straight into the database (the roster API is not what this test is about).
  const extra = Array.from({ length: CANDIDATES - 1 }, (_, i) => ({
    _id: newId(),
    username: `sk_extra_${i}`,
    usernameKey: `sk_extra_${i}`,
    passwordHash: 'not-a-login',
    displayName: `Học sinh ${i}`,
    studentId: `SK${String(i).padStart(4, '0')}`,
    roles: [{ role: 'candidate', orgId: fx.world.orgs.school }],
    active: true,
    createdAt: new Date(),
  }));
  await app.models.User.collection.insertMany(extra as never[]);
  const candidateIds = [...fx.candidateIds, ...extra.map((u) => u._id)];
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { candidateIds } });
  const submitted = await submitAttempts(app, fx.examId, candidateIds, (i, item) => (i % 3 === 0 ? wrongAnswer(item) : rightAnswer(item)));

  const env = {
    MONGODB_URI: config.MONGODB_URI!,
    SECTOR_MONGODB_URI: sectorUri(config),
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: `${name}:`,
    NODE_ENV: 'test',
    DATA_DIR: TEST_DATA_DIR,
    JWT_SECRET: TEST_JWT_SECRET,
    GRADING_BATCH_SIZE: '20',
    // A dead worker's job is taken up again within seconds.
    WORKER_LOCK_MS: '3000',
    WORKER_STALLED_MS: '1000',
    JOB_BACKOFF_MS: '200',
  };
  const startWorker = async () => {
    const worker = await startProcess('workers/index.ts', env, /workers ready/);
    t.teardown(async () => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
        await once(worker.child, 'exit');
      }
    });
    return worker;
  };
  const gradingEvents = await queueEvents(t, config, 'grading');
  const bulkEvents = await queueEvents(t, config, 'bulk');
  const sectorEvents = await queueEvents(t, config, 'sector');

  const first = await startWorker();
  const active = once(gradingEvents, 'active');
  const started = await fx.world.manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'all' } });
  const jobId = started.json().jobId as string;
  await active;
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  t.equal(first.child.signalCode, 'SIGKILL', 'killed mid-batch');

  const second = await startWorker();
  const job = await settled(app.queues.bulk, bulkEvents, jobId, 180_000);
  const view = (await fx.world.manager({ method: 'GET', url: `/api/jobs/${jobId}` })).json();
  t.equal(view.state, 'completed', JSON.stringify({ view, out: second.output().slice(-2000) }));
  // The run taken over plans what is left (in `all` mode, attempts already in the sector database are done).
  t.equal(view.progress.done, view.progress.total);
  t.ok(job.data.kind === 'grade-exam' && job.data.plan, 'the run saved its plan');

  await until(sectorEvents, async () => (await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json().pushed === CANDIDATES, 180_000);
  t.same((await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json(), { pushed: CANDIDATES, pending: 0, failed: 0 });
  const store = new SectorStore(sectorUri(config));
  t.teardown(() => store.close());
  const records = await (await store.records()).find({ examId: fx.examId }).lean();
  t.equal(records.length, CANDIDATES, 'one record per attempt');
  t.same([...new Set(records.map((r) => r.version))], [1], 'each graded once: version 1 everywhere');
  t.same(new Set(records.map((r) => r._id)), new Set(submitted.map((s) => s.attemptId)));
  const results = await app.models.Result.find({ examId: fx.examId }, { version: 1 }).lean();
  t.equal(results.length, CANDIDATES);
  t.same([...new Set(results.map((r) => r.version))], [1]);

  await t.test('SIGTERM: the worker finishes its batches in flight, hands the run back, and exits cleanly', async (t) => {
    const active = once(gradingEvents, 'active');
    const regrade = (await fx.world.manager({ method: 'POST', url: `/api/exams/${fx.examId}/grading`, payload: { mode: 'regrade' } })).json().jobId as string;
    const [{ jobId: inFlight }] = (await active) as [{ jobId: string }];
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    t.equal(code, 0, second.output().slice(-2000));
    const batch = await app.queues.grading.getJob(inFlight);
    t.equal(await batch!.getState(), 'completed', 'the batch in flight was finished, not abandoned');
    const run = await app.queues.bulk.getJob(regrade);
    t.match(await run!.getState(), /^(delayed|waiting|wait)$/, 'the run went back to the queue');
    // Another worker takes the run over and completes it.
    await startWorker();
    await settled(app.queues.bulk, bulkEvents, regrade, 180_000);
    t.match((await fx.world.manager({ method: 'GET', url: `/api/jobs/${regrade}` })).json(), { state: 'completed', progress: { done: CANDIDATES, total: CANDIDATES }, result: { changed: 0, unchanged: CANDIDATES } });
  });
});
