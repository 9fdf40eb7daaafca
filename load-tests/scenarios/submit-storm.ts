/**
 * `submit-storm`: N candidates answer for `--duration` s, then everyone hands
 * in within the last `--window` ms (uniformly spread, answering until their
 * own submit), as at the end of a timed session. A worker process grades as
 * production does (one grading job per hand-in); the run measures submit →
 * `submitted` latency, then grading throughput until every hand-in has a
 * result. Ends with the loss audit and a count of submitted attempts.
 */
import { cpuMeter, drain, examWorld, joinAll, lossAudit, pct, random, round1, sleep, type Json, type Run } from '../live/harness.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { answerPhase } from './steady.js';

export interface SubmitStormOptions {
  candidates: number;
  intervalMs: number;
  durationS: number;
  rampS: number;
  windowMs: number;
  /** Give up waiting for grading after this long, in s. */
  gradeTimeoutS: number;
}

export async function submitStorm(run: Run, o: SubmitStormOptions): Promise<void> {
  const server = await run.server();
  const worker = await run.worker();
  const { examId, stats, people } = await examWorld(run, server.base, o.candidates);
  console.log(`submit storm: ${o.candidates} candidates join over ${o.rampS} s …`);
  const j = await joinAll(people, server.wsUrl, examId, o.rampS * 1000);
  console.log(`${j.joined.length} joined (${j.failed} failed); answering for ${o.durationS} s …`);
  const before = await answerPhase(server, j.joined, stats, o.intervalMs, o.durationS, { server: server.pid, worker: worker.pid, db: run.ferret?.pid ?? null });

  console.log(`everyone submits within ${o.windowMs} ms …`);
  const results = run.db.collection('results');
  // Progress comes from the grading queue (one job per hand-in, job id = attempt id), in Redis:
  // counting results in FerretDB decodes every result (seconds for a few thousand), and doing that
  // every second would load the database being measured. The results are counted once at the end.
  const redis = new Redis(run.redisUrl, { maxRetriesPerRequest: null });
  const grading = new Queue('grading', { connection: redis, prefix: run.name });
  const gradedSoFar = async () => (await grading.getJobCounts('completed')).completed ?? 0;
  const gradedSeries: [number, number][] = [];
  const cpu = cpuMeter({ server: server.pid, worker: worker.pid, db: run.ferret?.pid ?? null });
  const t0 = performance.now();
  let stormDone = false;
  const sampler = (async () => {
    while (!stormDone) {
      gradedSeries.push([Math.round(performance.now() - t0), await gradedSoFar()]);
      await sleep(1000);
    }
  })();
  // Answering goes on until each candidate's own hand-in.
  for (const p of j.joined) {
    p.stopped = false;
    p.answerEvery(o.intervalMs);
  }
  const submitResults = await Promise.allSettled(j.joined.map(async (p) => {
    await sleep(random() * o.windowMs);
    await p.submit();
  }));
  const submitWallMs = performance.now() - t0;
  const submitFailed = submitResults.filter((r) => r.status === 'rejected');
  const cpuStorm = cpu();
  const submittedCount = stats.submits.count;
  console.log(`${submittedCount} submitted (${submitFailed.length} failed) in ${Math.round(submitWallMs)} ms; waiting for grading …`);
  const cpuGrading = cpuMeter({ worker: worker.pid, db: run.ferret?.pid ?? null });
  const gradeDeadline = performance.now() + o.gradeTimeoutS * 1000;
  let graded = 0;
  while (performance.now() < gradeDeadline) {
    graded = await gradedSoFar();
    if (graded >= submittedCount) break;
    await sleep(250);
  }
  const allGradedMs = performance.now() - t0;
  stormDone = true;
  await sampler;
  const cpuAfter = cpuGrading();
  await grading.close();
  redis.disconnect();
  // What the queue said, checked against the database once.
  graded = await results.countDocuments({ examId });
  const unanswered = await drain(j.joined);
  for (const p of j.joined) p.close();
  const audit = await lossAudit(run, examId, j.joined);
  const attemptsSubmitted = await run.db.collection('attempts').countDocuments({ examId, status: 'submitted' });
  // Grading rate after the last hand-in (the worker's own pace, no longer limited by arrivals).
  const atStormEnd = gradedSeries.filter(([t]) => t <= submitWallMs).at(-1)?.[1] ?? 0;
  run.report.result = {
    candidatesConnected: j.joined.length,
    joinFailed: j.failed,
    answeringBefore: before,
    submit: {
      windowMs: o.windowMs,
      submitted: submittedCount,
      failed: submitFailed.length,
      failures: [...new Set(submitFailed.map((r) => String((r as PromiseRejectedResult).reason?.message ?? r)))].slice(0, 5),
      submitToSubmittedMs: stats.submits.summary(),
      wallMs: Math.round(submitWallMs),
      cpuPercent: cpuStorm,
    },
    grading: {
      graded,
      allGraded: graded >= submittedCount,
      gradedAtStormEnd: atStormEnd,
      lastGradedAfterFirstSubmitS: round1(allGradedMs / 1000),
      drainAfterStormS: round1((allGradedMs - submitWallMs) / 1000),
      attemptsPerSecondOverall: round1(graded / (allGradedMs / 1000)),
      attemptsPerSecondAfterStorm: allGradedMs > submitWallMs ? round1((graded - atStormEnd) / ((allGradedMs - submitWallMs) / 1000)) : null,
      cpuPercentAfterStorm: cpuAfter,
      series: gradedSeries.filter((_, i) => i % 5 === 0),
    },
    attemptsSubmitted,
    errors: { ...stats.errorsObject(), unansweredAtEnd: unanswered },
    lossAudit: audit,
  };
}

export function submitStormMarkdown(r: Json): string[] {
  const s = r.result as Json;
  const b = s.answeringBefore as Json;
  const sub = s.submit as Json;
  const g = s.grading as Json;
  const audit = s.lossAudit as Json;
  return [
    '## Submit storm',
    '',
    `${s.candidatesConnected} sockets answered ${b.measuredSeconds} s at ${b.savesPerSecond} saves/s (ack p50 / p95 / p99 / max ${pct(b.ackLatencyMs)} ms), then all handed in within ${sub.windowMs} ms; one worker process grades.`,
    '',
    '| metric | value |',
    '|---|---|',
    `| hand-ins \`submitted\` / failed | ${sub.submitted} / ${sub.failed} ${(sub.failures as string[]).length ? `(${(sub.failures as string[]).join('; ')})` : ''} |`,
    `| submit → \`submitted\` p50 / p95 / p99 / max | ${pct(sub.submitToSubmittedMs)} ms |`,
    `| attempts with status submitted (database) | ${s.attemptsSubmitted} |`,
    `| CPU during the storm (% of one core) | ${JSON.stringify(sub.cpuPercent)} |`,
    `| graded / all graded | ${g.graded} / ${g.allGraded} |`,
    `| graded by the end of the storm | ${g.gradedAtStormEnd} |`,
    `| last result after the first hand-in / after the last | ${g.lastGradedAfterFirstSubmitS} s / ${g.drainAfterStormS} s |`,
    `| grading throughput: overall / after the storm | ${g.attemptsPerSecondOverall} / ${g.attemptsPerSecondAfterStorm ?? '–'} attempts/s |`,
    `| CPU while grading after the storm | ${JSON.stringify(g.cpuPercentAfterStorm)} |`,
    `| acknowledged frames / **lost** | ${audit.acknowledged} / **${audit.lost}** |`,
    `| errors | \`${JSON.stringify(s.errors)}\` |`,
  ];
}
