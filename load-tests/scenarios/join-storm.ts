/**
 * `join-storm`: N candidates open a socket and join within `--window` ms
 * (uniformly spread), as when a whole exam day starts on the minute. Each must
 * receive `state` within `--within` ms. Then each sends one answer, so the run
 * ends with a loss audit like every other.
 */
import { cpuMeter, cpuTimeMeter, drain, loadavg, measuredProcesses, perUnit, examWorld, joinAll, lossAudit, metricsText, pct, rssKiB, serverDelta, sleep, type Json, type Run } from '../live/harness.js';

export interface JoinStormOptions {
  candidates: number;
  windowMs: number;
  withinMs: number;
}

export async function joinStorm(run: Run, o: JoinStormOptions): Promise<void> {
  const server = await run.server();
  const { examId, stats, people } = await examWorld(run, server.base, o.candidates);
  await sleep(1000);
  const rssBefore = rssKiB(server.pid);
  console.log(`join storm: ${o.candidates} candidates within ${o.windowMs} ms …`);
  const m0 = await metricsText(server.base);
  const pids = await measuredProcesses(run, server);
  const cpu = cpuMeter(pids);
  const cpuTime = cpuTimeMeter(pids);
  const loadBefore = loadavg();
  const j = await joinAll(people, server.wsUrl, examId, o.windowMs);
  const cpuPct = cpu();
  const cpuMsPerJoin = perUnit(cpuTime(), j.joined.length);
  const loadAfter = loadavg();
  const rssJoined = rssKiB(server.pid);
  const within = j.results.filter((r) => r.status === 'fulfilled' && r.value <= o.withinMs).length;
  console.log(`${j.joined.length} joined, ${within} within ${o.withinMs} ms, last after ${Math.round(j.wallMs)} ms`);
  stats.measuring = true;
  for (const p of j.joined) p.answer();
  const unanswered = await drain(j.joined);
  stats.measuring = false;
  const m1 = await metricsText(server.base);
  for (const p of j.joined) p.close();
  const audit = await lossAudit(run, examId, j.joined);
  run.report.result = {
    candidates: o.candidates,
    windowMs: o.windowMs,
    withinMs: o.withinMs,
    stateWithin: within,
    failed: j.failed,
    allWithin: within === o.candidates,
    lastStateAfterMs: Math.round(j.wallMs),
    openToStateMs: j.times.summary(),
    cpuPercentDuringStorm: cpuPct,
    cpuMsPerJoin,
    stateMessageBytes: stats.stateBytes,
    loadavgDuring: { before: loadBefore, after: loadAfter },
    rssBeforeMiB: Math.round(rssBefore / 1024),
    rssJoinedMiB: Math.round(rssJoined / 1024),
    firstAnswerAckMs: stats.acks.summary(),
    errors: { ...stats.errorsObject(), unansweredAtEnd: unanswered },
    server: serverDelta(m0, m1),
    lossAudit: audit,
  };
}

export function joinStormMarkdown(r: Json): string[] {
  const s = r.result as Json;
  const audit = s.lossAudit as Json;
  return [
    '## Join storm',
    '',
    `| candidates | window | \`state\` within ${s.withinMs} ms | failed | open → state p50 / p95 / p99 / max (ms) | last state after | CPU % (server, db) |`,
    '|---|---|---|---|---|---|---|',
    `| ${s.candidates} | ${s.windowMs} ms | **${s.stateWithin}** | ${s.failed} | ${pct(s.openToStateMs)} | ${s.lastStateAfterMs} ms | ${(s.cpuPercentDuringStorm as Json).server} / ${(s.cpuPercentDuringStorm as Json).db ?? '–'} |`,
    '',
    `\`state\` message: ${s.stateMessageBytes} bytes. CPU per join (ms): ${Object.entries(s.cpuMsPerJoin as Json).map(([k, v]) => `${k} ${v ?? '–'}`).join(', ')}; load average before / after the storm ${JSON.stringify(s.loadavgDuring)}.`,
    '',
    `Then one answer each: ack p50 / p95 / p99 / max ${pct(s.firstAnswerAckMs)} ms; acknowledged ${audit.acknowledged}, **lost ${audit.lost}**; errors \`${JSON.stringify(s.errors)}\`; server RSS ${s.rssBeforeMiB} → ${s.rssJoinedMiB} MiB.`,
  ];
}
