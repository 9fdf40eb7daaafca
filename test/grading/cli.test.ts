import t from 'tap';
import { runEntry } from '../support/processes.js';
import { sectorUri } from '../../src/config.js';
import { build, TEST_DATA_DIR, TEST_JWT_SECRET } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { dropSectorAtEnd, inProcessWorkers, rightAnswer, submitAttempts, wrongAnswer } from '../support/grading.js';

/** Runs the CLI from source, as `npm run grade -- <args>` runs it from dist/. */
function grade(env: NodeJS.ProcessEnv, args: string[]) {
  return runEntry('src/cli/grade.ts', args, env);
}

t.test('npm run grade: queues the run, shows progress until it ends, prints what changed', async (t) => {
  const { app, config, name } = await build(t, { GRADING_BATCH_SIZE: '1' });
  dropSectorAtEnd(t, sectorUri(config));
  const fx = await publishedExam(app, { candidates: 3, types: ['single_choice', 'true_false'], prefix: 'cl' });
  const submitted = await submitAttempts(app, fx.examId, fx.candidateIds, (i, item) => (i === 0 ? wrongAnswer(item) : rightAnswer(item)));
  await inProcessWorkers(t, config);
  const env = {
    MONGODB_URI: config.MONGODB_URI!,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: name,
    REDIS_KEY_PREFIX: `${name}:`,
    NODE_ENV: 'test',
    DATA_DIR: TEST_DATA_DIR,
    JWT_SECRET: TEST_JWT_SECRET,
  };

  const first = await grade(env, ['--exam', fx.examId]);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, /grading "Bài thi trực tuyến"/);
  t.match(first.stderr, /\[#{30}\] 100% {2}3\/3 attempts/, 'a progress bar that ends full');
  t.match(first.stdout, /graded 3 of 3: 3 changed \(3 graded for the first time\), 0 unchanged, 0 waiting for a person/);
  t.equal(await app.models.Result.countDocuments({ examId: fx.examId }), 3);

  const again = await grade(env, ['--exam', fx.examId, '--regrade']);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stderr, /regrading/);
  t.match(again.stdout, /graded 3 of 3: 0 changed/);

  // A poison attempt: the run fails and the CLI says why, with a non-zero exit.
  await app.models.Attempt.updateOne({ _id: submitted[1]!.attemptId }, { $set: { formCode: '999' } });
  const failed = await grade(env, ['--exam', fx.examId, '--regrade']);
  t.equal(failed.code, 1);
  t.match(failed.stderr, new RegExp(`attempt ${submitted[1]!.attemptId}: Form 999`));

  const unknown = await grade(env, ['--exam', 'no-such-exam']);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /no exam no-such-exam/);
  const usage = await grade(env, []);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /usage: npm run grade -- --exam <examId> \[--regrade\]/);
});
