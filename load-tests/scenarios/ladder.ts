/**
 * `ladder`: the answer path's ceiling. One server and one exam; every
 * candidate joins once, then the offered rate climbs in steps (`--rates`,
 * answers per second over all candidates, exponential intervals). Each step
 * is measured on its own: client ack latency p50/p95/p99 (HDR), the server's
 * receipt → ack, event-loop lag, CPU of each process (% of a core and ms per
 * acknowledged answer), group-commit sizes, then the loss audit of the whole
 * run. A step whose p95 exceeds `--p95-limit` ends the climb after it (the
 * steps above it would only queue).
 *
 * `--generator-nice N` lowers the generator's priority for the steps (see
 * LadderOptions.generatorNice).
 *
 * Candidates answer at most 20 frames/s each (the server's flood limit), so
 * the default of 4,000 candidates reaches 8,000 answers/s at one frame every
 * 500 ms per socket.
 */
import os from 'node:os';
import { cpuMeter, cpuTimeMeter, drain, examWorld, joinAll, measuredProcesses, lossAudit, metricsText, pct, perUnit, round1, serverDelta, sleep, loadavg, type Json, type Run } from '../live/harness.js';

export interface LadderOptions {
  candidates: number;
  /** Offered answers per second, one step each. */
  rates: number[];
  /** Measured seconds per step. */
  stepS: number;
  rampS: number;
  /** Stop climbing after a step whose client p95 is above this, in ms. */
  p95LimitMs: number;
  /**
   * Niceness the generator's main thread takes once every process is up and
   * every candidate joined (0: unchanged), so that on a shared machine the
   * generator yields the cores to the server and database when both want
   * them. Processes started after it would inherit it; the ladder starts none.
   */
  generatorNice: number;
}

/** Moodle 5.1's quiz on the same kind of machine (issue 23), the reference of every step. */
export const MOODLE_REFERENCE = 'Moodle 5.1 quiz autosave, same machine kind: ≈ 650 answers/s (126–133 requests/s of 5 answers), p95 118–440 ms; ≈ 9 ms PHP + 5.5 ms PostgreSQL CPU per autosave request';

export async function ladder(run: Run, o: LadderOptions): Promise<void> {
  const server = await run.server();
  const { examId, stats, people } = await examWorld(run, server.base, o.candidates);
  await sleep(1000);
  console.log(`ladder: ${o.candidates} candidates join over ${o.rampS} s …`);
  const j = await joinAll(people, server.wsUrl, examId, o.rampS * 1000);
  console.log(`${j.joined.length} joined (${j.failed} failed)`);
  const pids = await measuredProcesses(run, server);
  if (o.generatorNice) os.setPriority(o.generatorNice);
  const steps: Json[] = [];
  for (const rate of o.rates) {
    const intervalMs = (j.joined.length / rate) * 1000;
    if (intervalMs < 50) {
      steps.push({ offered: rate, skipped: `needs a frame every ${round1(intervalMs)} ms per socket (flood limit 20/s): add candidates` });
      continue;
    }
    stats.reset();
    for (const p of j.joined) p.answerEvery(intervalMs);
    // Every socket at its new pace before measuring.
    await sleep(Math.min(intervalMs * 2, 3000));
    stats.reset();
    const m0 = await metricsText(server.base);
    const cpu = cpuMeter(pids);
    const cpuTime = cpuTimeMeter(pids);
    const loadBefore = loadavg();
    const t0 = performance.now();
    stats.measuring = true;
    await sleep(o.stepS * 1000);
    stats.measuring = false;
    const seconds = (performance.now() - t0) / 1000;
    const acked = stats.answersAcked;
    const step: Json = {
      offered: rate,
      intervalMs: round1(intervalMs),
      measuredSeconds: round1(seconds),
      answersPerSecond: round1(acked / seconds),
      ackLatencyMs: stats.acks.summary(),
      cpuPercent: cpu(),
      cpuMsPerAnswer: perUnit(cpuTime(), acked),
      loadavg: { before: loadBefore, after: loadavg() },
      server: serverDelta(m0, await metricsText(server.base)),
    };
    step.errors = { ...stats.errorsObject(), unansweredAtEnd: await drain(j.joined) };
    steps.push(step);
    const l = step.ackLatencyMs as Json;
    console.log(`  offered ${rate}/s: ${step.answersPerSecond}/s, p50/p95/p99 ${l.p50}/${l.p95}/${l.p99} ms, cpu ${JSON.stringify(step.cpuPercent)}`);
    if (Number(l.p95) > o.p95LimitMs) break;
  }
  for (const p of j.joined) p.close();
  run.report.result = { candidatesConnected: j.joined.length, joinFailed: j.failed, reference: MOODLE_REFERENCE, steps, lossAudit: await lossAudit(run, examId, j.joined) };
}

const fmt = (o: unknown) =>
  Object.entries((o as Json | undefined) ?? {})
    .map(([k, v]) => `${k} ${v ?? '–'}`)
    .join(', ');

export function ladderMarkdown(r: Json): string[] {
  const res = r.result as Json;
  const audit = res.lossAudit as Json;
  const rows = (res.steps as Json[]).map((s) => {
    if (s.skipped) return `| ${s.offered} | skipped: ${s.skipped} | | | | | | |`;
    const srv = s.server as Json;
    const lag = srv.eventLoopLagMs as Json;
    return `| ${s.offered} | ${s.answersPerSecond} | ${pct(s.ackLatencyMs)} | ${(srv.ackLatency as Json).p95} / ${(srv.ackLatency as Json).p99} | ${lag.p99} / ${lag.max} | ${fmt(s.cpuPercent)} | ${fmt(s.cpuMsPerAnswer)} | ${srv.meanEntriesPerWrite} × ${srv.meanWriteMs} ms | ${JSON.stringify((s.loadavg as Json).before)} |`;
  });
  return [
    '## Answer-rate ladder',
    '',
    `${res.candidatesConnected} sockets (${res.joinFailed} joins failed). Reference: ${res.reference}.`,
    '',
    '| offered /s | acked /s | client ack p50 / p95 / p99 / max (ms) | server receipt → ack p95 / p99 | event-loop lag p99 / max (ms) | CPU % of a core | CPU ms per answer | group commit (entries × ms per write) | load average before |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Loss audit over every step: acknowledged ${audit.acknowledged}, **lost ${audit.lost}**.`,
  ];
}
