/**
 * `failover` (run by `npm run faults`): two API processes share the database
 * and Redis; candidates are spread over both and answer at a rate. After
 * `--before` s one process is killed with SIGKILL. Its candidates reconnect to
 * the other (as the browser client does behind a load balancer), rejoin and
 * resend every frame not yet acknowledged. Measured: the share resumed within
 * 10 s of the kill, resume times, and the loss audit (every ack before or
 * after the kill is in the database).
 */
import { drain, examWorld, joinAll, lossAudit, pct, round1, sleep, type Candidate, type Json, type Run } from '../live/harness.js';

export interface FailoverOptions {
  candidates: number;
  intervalMs: number;
  rampS: number;
  beforeS: number;
  afterS: number;
  /** Target: every candidate of the killed process resumed within this, in ms. */
  resumeWithinMs: number;
}

export async function failover(run: Run, o: FailoverOptions): Promise<void> {
  const a = await run.server();
  const b = await run.server();
  const { examId, stats, people } = await examWorld(run, a.base, o.candidates);
  console.log(`failover: ${o.candidates} candidates join two processes over ${o.rampS} s …`);
  // joinAll rotates the address list per candidate: even ones start on A, odd ones on B.
  const j = await joinAll(people, [a.wsUrl, b.wsUrl], examId, o.rampS * 1000, true);
  const onA = j.joined.filter((p) => p.url === a.wsUrl);
  console.log(`${j.joined.length} joined (${j.failed} failed), ${onA.length} on the process to be killed; answering for ${o.beforeS} s …`);
  for (const p of j.joined) p.answerEvery(o.intervalMs);
  stats.measuring = true;
  await sleep(o.beforeS * 1000);
  const ackedBeforeKill = stats.answersAcked;
  const inFlightAtKill = onA.reduce((n, p) => n + p.sent.size, 0);
  const maxAckedAtKill = new Map(onA.map((p) => [p, Math.max(0, ...p.acked)]));
  const killAt = performance.now();
  a.child.kill('SIGKILL');
  await a.exited;
  console.log(`SIGKILL sent; ${inFlightAtKill} frames of its candidates were unacknowledged`);
  // Wait (≤ 30 s) until every candidate of the killed process is back.
  const resumedAt = new Map<Candidate, number>();
  const until = performance.now() + 30_000;
  while (performance.now() < until && resumedAt.size < onA.length) {
    for (const p of onA) if (!resumedAt.has(p) && p.resumed && p.lastSeqOnResume >= 0 && p.ws?.readyState === 1) resumedAt.set(p, performance.now() - killAt);
    await sleep(50);
  }
  const resumeMs = [...resumedAt.values()].sort((x, y) => x - y);
  const within = resumeMs.filter((ms) => ms <= o.resumeWithinMs).length;
  console.log(`${resumedAt.size}/${onA.length} resumed, ${within} within ${o.resumeWithinMs} ms; answering for ${o.afterS} s more …`);
  await sleep(o.afterS * 1000);
  stats.measuring = false;
  const unanswered = await drain(j.joined);
  for (const p of j.joined) p.close();
  const audit = await lossAudit(run, examId, j.joined);
  // Every ack the killed process sent must be covered by the lastSeq its candidate saw on resume.
  const behind = onA.filter((p) => p.lastSeqOnResume >= 0 && maxAckedAtKill.get(p)! > p.lastSeqOnResume).length;
  const q = (x: number) => (resumeMs.length ? round1(resumeMs[Math.min(resumeMs.length - 1, Math.ceil(x * resumeMs.length) - 1)]!) : NaN);
  run.report.result = {
    candidatesConnected: j.joined.length,
    joinFailed: j.failed,
    onKilledProcess: onA.length,
    inFlightAtKill,
    ackedBeforeKill,
    resumed: resumedAt.size,
    resumedWithin: within,
    resumeWithinMs: o.resumeWithinMs,
    allResumedWithin: within === onA.length,
    resumeAfterKillMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
    socketCloseToStateMs: stats.resumes.summary(),
    ackLatencyMs: stats.acks.summary(),
    answersAcked: stats.answersAcked,
    /** Candidates whose resumed lastSeq was below a seq the killed process had acknowledged (must be 0). */
    resumedBehindAnAck: behind,
    errors: { ...stats.errorsObject(), unansweredAtEnd: unanswered },
    lossAudit: audit,
  };
}

export function failoverMarkdown(r: Json): string[] {
  const s = r.result as Json;
  const audit = s.lossAudit as Json;
  return [
    '## SIGKILL of one of two API processes under load',
    '',
    '| metric | value |',
    '|---|---|',
    `| candidates / on the killed process | ${s.candidatesConnected} / ${s.onKilledProcess} |`,
    `| frames unacknowledged at the kill (resent after the resume) | ${s.inFlightAtKill} |`,
    `| resumed on the other process / within ${s.resumeWithinMs} ms | **${s.resumed} / ${s.resumedWithin}** of ${s.onKilledProcess} |`,
    `| kill → \`state\` on the other process p50 / p95 / p99 / max | ${pct(s.resumeAfterKillMs)} ms |`,
    `| socket closed → \`state\` (client side, HDR) p50 / p95 / p99 / max | ${pct(s.socketCloseToStateMs)} ms |`,
    `| ack latency over the whole run p50 / p95 / p99 / max | ${pct(s.ackLatencyMs)} ms |`,
    `| resumed with lastSeq below an ack of the killed process | ${s.resumedBehindAnAck} |`,
    `| acknowledged frames / **lost** | ${audit.acknowledged} / **${audit.lost}** |`,
    `| errors (the closes are the kill) | \`${JSON.stringify(s.errors)}\` |`,
  ];
}
