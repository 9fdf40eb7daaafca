/**
 * `steady`: N candidates answer at exponentially distributed intervals (mean
 * `--interval` ms) for `--duration` s: ack latency (client and server side),
 * saves/s, errors, server memory per socket, CPU, then the loss audit.
 */
import { cpuMeter, cpuTimeMeter, drain, loadavg, measuredProcesses, perUnit, examWorld, joinAll, lossAudit, metricsText, pct, rssKiB, serverDelta, sleep, type Candidate, type Json, type Run, type Server, type Stats } from '../live/harness.js';

export interface AnswerPhaseResult extends Json {
  measuredSeconds: number;
  savesPerSecond: number;
  savesPerSecondMin: number;
  savesPerSecondMax: number;
  ackLatencyMs: Json;
  errors: Json;
}

/**
 * Everyone in `people` answers every ~`intervalMs` for `seconds`; measured from
 * the moment every socket is at its pace. `during` runs alongside (other load).
 */
export async function answerPhase(server: Server, people: Candidate[], stats: Stats, intervalMs: number, seconds: number, pids: Record<string, number | null>, during?: () => Promise<void>): Promise<AnswerPhaseResult> {
  for (const p of people) p.answerEvery(intervalMs);
  // Let every socket reach its pace before measuring.
  await sleep(Math.min(intervalMs, 5000));
  const m0 = await metricsText(server.base);
  const cpu = cpuMeter(pids);
  const cpuTime = cpuTimeMeter(pids);
  const loadBefore = loadavg();
  const t0 = performance.now();
  stats.measuring = true;
  const rssSamples: number[] = [];
  const perSecond: number[] = [];
  let lastAcked = 0;
  const tick = setInterval(() => {
    perSecond.push(stats.answersAcked - lastAcked);
    lastAcked = stats.answersAcked;
    if (perSecond.length % 5 === 0) {
      rssSamples.push(rssKiB(server.pid));
      const l = stats.acks.summary();
      console.log(`  t=${perSecond.length}s saves/s=${perSecond.at(-1)} acked=${stats.answersAcked} p50=${l.p50} p99=${l.p99} rss=${Math.round(rssSamples.at(-1)! / 1024)}MiB`);
    }
  }, 1000);
  await Promise.all([sleep(seconds * 1000), during?.()]);
  clearInterval(tick);
  stats.measuring = false;
  const measured = (performance.now() - t0) / 1000;
  const cpuPct = cpu();
  const cpuMs = cpuTime();
  const acked = stats.answersAcked;
  const loadAfter = loadavg();
  const m1 = await metricsText(server.base);
  const unanswered = await drain(people);
  return {
    measuredSeconds: Math.round(measured * 10) / 10,
    savesPerSecond: Math.round((stats.answersAcked / measured) * 10) / 10,
    savesPerSecondMin: Math.min(...perSecond),
    savesPerSecondMax: Math.max(...perSecond),
    ackLatencyMs: stats.acks.summary(),
    errors: { ...stats.errorsObject(), unansweredAtEnd: unanswered },
    rssMaxDuringKiB: Math.max(0, ...rssSamples),
    cpuPercent: cpuPct,
    // CPU per acknowledged answer (heartbeats, presence and Redis clients included): robust on a shared machine.
    cpuMsPerAnswer: perUnit(cpuMs, acked),
    loadavgDuring: { before: loadBefore, after: loadAfter },
    server: serverDelta(m0, m1),
  };
}

export interface SteadyOptions {
  candidates: number;
  intervalMs: number;
  durationS: number;
  rampS: number;
}

export async function steady(run: Run, o: SteadyOptions): Promise<void> {
  const server = await run.server();
  const { examId, stats, people } = await examWorld(run, server.base, o.candidates);
  await sleep(1000);
  const rssBefore = rssKiB(server.pid);
  console.log(`steady: ${o.candidates} candidates join over ${o.rampS} s (server RSS ${Math.round(rssBefore / 1024)} MiB) …`);
  const j = await joinAll(people, server.wsUrl, examId, o.rampS * 1000);
  await sleep(2000);
  const rssJoined = rssKiB(server.pid);
  console.log(`${j.joined.length} joined (${j.failed} failed); RSS ${Math.round(rssJoined / 1024)} MiB; answering for ${o.durationS} s …`);
  const phase = await answerPhase(server, j.joined, stats, o.intervalMs, o.durationS, await measuredProcesses(run, server));
  const rssEnd = rssKiB(server.pid);
  for (const p of j.joined) p.close();
  const audit = await lossAudit(run, examId, j.joined);
  const rssMax = Math.max(phase.rssMaxDuringKiB as number, rssJoined);
  run.report.result = {
    candidatesConnected: j.joined.length,
    joinFailed: j.failed,
    joinOpenToStateMs: j.times.summary(),
    ...phase,
    memory: {
      rssBeforeJoinMiB: Math.round(rssBefore / 1024),
      rssJoinedMiB: Math.round(rssJoined / 1024),
      rssMaxDuringMiB: Math.round(rssMax / 1024),
      rssEndMiB: Math.round(rssEnd / 1024),
      rssPerCandidateKiB: Math.round(((rssMax - rssBefore) / j.joined.length) * 10) / 10,
      rssIdlePerCandidateKiB: Math.round(((rssJoined - rssBefore) / j.joined.length) * 10) / 10,
      rssTotalPerCandidateKiB: Math.round((rssMax / j.joined.length) * 10) / 10,
    },
    lossAudit: audit,
  };
}

/** Table rows of an answering phase (shared by the scenarios that run one). */
export function answerRows(st: Json, p: Json, candidates: number): string[] {
  const srv = st.server as Json;
  const lat = srv.ackLatency as Json;
  const cpu = st.cpuPercent as Json;
  return [
    `| ack latency p50 / p95 / p99 / max (client: send → ack, HDR) | ${pct(st.ackLatencyMs)} ms |`,
    `| ack latency in the server (receipt → ack), p50 / p95 / p99; share ≤ 150 ms | ${lat.p50} / ${lat.p95} / ${lat.p99}; ${lat.shareWithin150ms} % |`,
    `| server event-loop lag p99 / max | ${(srv.eventLoopLagMs as Json).p99} / ${(srv.eventLoopLagMs as Json).max} ms |`,
    `| saves/s (mean, min–max per second) | ${st.savesPerSecond} (${st.savesPerSecondMin}–${st.savesPerSecondMax}); offered ≈ ${Math.round(candidates / (Number(p.intervalMs) / 1000))} |`,
    `| errors | \`${JSON.stringify(st.errors)}\` |`,
    `| CPU (% of one core) | ${Object.entries(cpu).map(([k, v]) => `${k} ${v ?? '–'}`).join(', ')} |`,
    `| CPU per acknowledged answer (ms) | ${Object.entries((st.cpuMsPerAnswer as Json | undefined) ?? {}).map(([k, v]) => `${k} ${v ?? '–'}`).join(', ')} |`,
    `| load average before / after the measured phase | ${JSON.stringify(st.loadavgDuring)} |`,
    `| group commit: writes, entries per write, ms per write | ${srv.groupCommitWrites}, ${srv.meanEntriesPerWrite}, ${srv.meanWriteMs} |`,
  ];
}

export function steadyMarkdown(r: Json): string[] {
  const st = r.result as Json;
  const p = r.parameters as Json;
  const mem = st.memory as Json;
  const audit = st.lossAudit as Json;
  return [
    '## Steady answering',
    '',
    `${st.candidatesConnected} sockets (${st.joinFailed} joins failed), one answer every ~${p.intervalMs} ms each (exponential), ${st.measuredSeconds} s measured.`,
    '',
    '| metric | value |',
    '|---|---|',
    ...answerRows(st, p, st.candidatesConnected as number),
    `| acknowledged answers / **lost** | ${audit.acknowledged} / **${audit.lost}** |`,
    `| server RSS per connected candidate: growth while answering · idle after join · whole process / candidates | ${mem.rssPerCandidateKiB} · ${mem.rssIdlePerCandidateKiB} · ${mem.rssTotalPerCandidateKiB} KiB |`,
    `| server RSS before join / joined / max / end | ${mem.rssBeforeJoinMiB} / ${mem.rssJoinedMiB} / ${mem.rssMaxDuringMiB} / ${mem.rssEndMiB} MiB |`,
    `| join (open → state) p50 / p95 / p99 / max during the ramp | ${pct(st.joinOpenToStateMs)} ms |`,
  ];
}
