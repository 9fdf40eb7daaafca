/**
 * `npm run faults:hosts` (issue 21): an exam on hosts, not processes. Network
 * namespaces on this machine (load-tests/hosts/netns.ts) make six hosts on a
 * private /24: two API hosts behind nginx (the configuration of
 * docs/operations.md, round robin, no sticky sessions), two worker hosts,
 * Redis and the database (FerretDB 1.24 on SQLite) on hosts of their own. The
 * load generator and nginx are in the root namespace.
 *
 *   flock /tmp/bench.lock npm run faults:hosts -- [--candidates 500] [--interval 5000] [--ramp 10]
 *       [--partition 10] [--drain-delay 2000] [--items 40] [--label text]
 *
 * During the exam, in order:
 *   1. a rolling restart of both API hosts (SIGTERM, drain, start again, wait
 *      for /ready, then the other);
 *   2. a partition of one API host from Redis for --partition s;
 *   3. half the candidates hand in, and one worker host is lost (SIGKILL of
 *      its processes, link down) while their grading jobs run;
 *   4. a partition of the database host for --partition s while the other
 *      half answer; then they hand in.
 * Checked: every acknowledged answer is in the attempt log; every candidate
 * resumed after each fault (times reported); every attempt graded exactly
 * once (one result, version 1, one completed grading job); one sector record
 * per attempt. Writes load-tests/results/load-faults-hosts-<date>-<stamp>.json
 * and .md. Needs root, iproute2, nginx and redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { dataDir } from '../../src/infra/paths.js';
import { ensureFerretBinary, portOpen, redisAnswers } from '../../src/infra/services.js';
import { drain, examWorld, joinAll, lossAudit, pct, random, round1, Run, seed, sleep, startProcess, useSources, waitFor, type Candidate, type Json, type Proc, type Stats } from '../live/harness.js';
import { Network, type Host } from './netns.js';
import { startNginx, type Nginx } from './nginx.js';

const { values: a } = parseArgs({
  options: {
    candidates: { type: 'string', default: '500' },
    interval: { type: 'string', default: '5000' },
    ramp: { type: 'string', default: '10' },
    partition: { type: 'string', default: '10' },
    'drain-delay': { type: 'string', default: '2000' },
    items: { type: 'string', default: '40' },
    label: { type: 'string', default: '' },
  },
});
const o = {
  candidates: Number(a.candidates),
  intervalMs: Number(a.interval),
  rampS: Number(a.ramp),
  partitionS: Number(a.partition),
  drainDelayMs: Number(a['drain-delay']),
  items: Number(a.items),
  label: a.label,
};
const API_PORT = 3000;
const NGINX_PORT = 8080;
/** Resume budget after each fault before the run counts a candidate as not resumed. */
const RESUME_WAIT_MS = 60_000;

if (process.getuid?.() !== 0) {
  console.error('faults:hosts makes network namespaces: run it as root');
  process.exit(2);
}

/** p50 / p95 / max of a list of ms. */
function quantiles(ms: number[]) {
  const s = [...ms].sort((x, y) => x - y);
  const q = (p: number) => (s.length ? round1(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!) : null);
  return { count: s.length, p50: q(0.5), p95: q(0.95), max: q(1) };
}

/** Waits until no candidate's socket is down; answers how many still are. */
async function allUp(people: Candidate[], timeoutMs = RESUME_WAIT_MS): Promise<number> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until && people.some((p) => p.down)) await sleep(100);
  return people.filter((p) => p.down).length;
}

/** What the candidates saw from `mark` on: resumes, acks, errors. */
function since(stats: Stats, mark: { at: number; acked: number; reconnects: number }) {
  return {
    resumes: quantiles(stats.resumeLog.filter(([at]) => at >= mark.at).map(([, ms]) => ms)),
    answersAcked: stats.answersAcked - mark.acked,
    toldToReconnect: stats.reconnectsAsked - mark.reconnects,
  };
}
const markOf = (stats: Stats) => ({ at: performance.now(), acked: stats.answersAcked, reconnects: stats.reconnectsAsked });

function spawnOn(net: Network, host: Host, cmd: string[]): { child: ChildProcess; exited: Promise<void>; stop: () => Promise<void> } {
  const child = spawn(net.exec(host)[0]!, [...net.exec(host).slice(1), ...cmd], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

seed('faults-hosts-v1');
useSources(1);
const net = new Network();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faults-hosts-'));
mkdirSync(`${tmp}/db`, { recursive: true });
const api1 = net.add('api1', 11);
const api2 = net.add('api2', 12);
const wk1 = net.add('wk1', 21);
const wk2 = net.add('wk2', 22);
const redisHost = net.add('rds', 31);
const dbHost = net.add('db', 41);
console.log(`network ${net.prefix}.0/24: ${[...net.hosts.values()].map((h) => `${h.name} ${h.address}`).join(', ')}; nginx and the load generator at ${net.gateway}`);

const redisSrv = spawnOn(net, redisHost, ['redis-server', '--port', '6379', '--bind', redisHost.address, '--save', '', '--appendonly', 'no', '--protected-mode', 'no']);
const ferretBin = ensureFerretBinary(dataDir(process.env.DATA_DIR ?? '.data/test'));
const ferretSrv = spawnOn(net, dbHost, [ferretBin, `--listen-addr=${dbHost.address}:27017`, `--sqlite-url=file:${tmp}/db/`, '--log-level=error']);
let nginx: Nginx | null = null;
let run: Run | null = null;
let failure: unknown = null;
const apis = new Map<Host, Proc>();

async function startApi(host: Host): Promise<Proc> {
  const env = run!.env({ PORT: String(API_PORT), HOST: host.address, SHUTDOWN_DELAY_MS: String(o.drainDelayMs), TRUST_PROXY: net.gateway });
  const p = await startProcess('src/server.ts', env, () => fetch(`http://${host.address}:${API_PORT}/ready`).then((r) => r.ok, () => false), `the API on ${host.name}`, net.exec(host));
  run!.procs.push(p);
  apis.set(host, p);
  return p;
}

async function startWorkerOn(host: Host): Promise<Proc> {
  // Short locks so a dead worker's jobs are taken over within seconds (default 30 s).
  const env = run!.env({ WORKER_LOCK_MS: '5000', WORKER_STALLED_MS: '2000' });
  const p = await startProcess('workers/index.ts', env, async (x) => /workers ready/.test(x.log()), `the worker on ${host.name}`, net.exec(host));
  run!.procs.push(p);
  return p;
}

try {
  await waitFor(() => redisAnswers(6379, redisHost.address), 10_000, 'Redis on its host');
  await waitFor(() => portOpen(27017, dbHost.address), 30_000, 'FerretDB on its host');
  process.env.REDIS_URL = `redis://${redisHost.address}:6379`;
  process.env.LOAD_MONGODB_URI = `mongodb://${dbHost.address}:27017`;
  run = new Run('faults-hosts', { ...o, network: `${net.prefix}.0/24` });
  run.report.command = `npm run faults:hosts -- ${process.argv.slice(2).join(' ')}`.trim();
  await run.open();
  run.parameters.database = 'FerretDB 1.24 (SQLite) on its own host';
  run.parameters.hosts = Object.fromEntries([...net.hosts.values()].map((h) => [h.name, h.address]));

  await Promise.all([startApi(api1), startApi(api2), startWorkerOn(wk1), startWorkerOn(wk2)]);
  nginx = await startNginx(path.join(tmp, 'nginx'), [api1, api2].map((h) => `${h.address}:${API_PORT}`), net.gateway, NGINX_PORT, o.candidates + 1000);
  const base = `http://${net.gateway}:${NGINX_PORT}`;
  const wsUrl = `ws://${net.gateway}:${NGINX_PORT}/ws`;
  const result: Json = {};
  run.report.result = result;

  const { examId, stats, people } = await examWorld(run, base, o.candidates);
  console.log(`${o.candidates} candidates join through nginx over ${o.rampS} s …`);
  const j = await joinAll(people, wsUrl, examId, o.rampS * 1000, true);
  const joined = j.joined;
  result.candidatesConnected = joined.length;
  result.joinFailed = j.failed;
  result.joinMs = j.times.summary();
  for (const p of joined) p.answerEvery(o.intervalMs);
  stats.measuring = true;
  await sleep(10_000);

  // 1. Rolling restart.
  const rolling: Json[] = [];
  for (const host of [api1, api2]) {
    const old = apis.get(host)!;
    const mark = markOf(stats);
    console.log(`rolling restart: SIGTERM to ${host.name} …`);
    old.child.kill('SIGTERM');
    let readyOffMs: number | null = null;
    while (old.child.exitCode === null && readyOffMs === null) {
      const status = await fetch(`http://${host.address}:${API_PORT}/ready`).then((r) => r.status, () => 0);
      if (status === 503) readyOffMs = round1(performance.now() - mark.at);
      else await sleep(20);
    }
    await old.exited;
    const drainMs = round1(performance.now() - mark.at);
    const t1 = performance.now();
    await startApi(host);
    const restartToReadyMs = round1(performance.now() - t1);
    const stillDown = await allUp(joined);
    rolling.push({ host: host.name, readyTurned503AfterMs: readyOffMs, signalToExitMs: drainMs, exitCode: old.child.exitCode, restartToReadyMs, stillDown, ...since(stats, mark) });
    console.log(JSON.stringify(rolling.at(-1)));
  }
  result.rollingRestart = rolling;
  await sleep(5000);

  // 2. One API host cut off from Redis.
  {
    const mark = markOf(stats);
    console.log(`partition: ${api1.name} from Redis for ${o.partitionS} s …`);
    const readySeen = new Map<number, number>();
    net.partition(api1, redisHost);
    const until = performance.now() + o.partitionS * 1000;
    while (performance.now() < until) {
      const status = await fetch(`http://${api1.address}:${API_PORT}/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => 0);
      readySeen.set(status, (readySeen.get(status) ?? 0) + 1);
      await sleep(500);
    }
    const ackedDuring = stats.answersAcked - mark.acked;
    net.heal(api1, redisHost);
    const stillDown = await allUp(joined);
    await sleep(5000);
    result.redisPartition = { host: api1.name, seconds: o.partitionS, readyStatusesDuring: Object.fromEntries(readySeen), answersAckedDuring: ackedDuring, stillDown, ...since(stats, mark) };
    console.log(JSON.stringify(result.redisPartition));
  }

  // 3. Half hand in; a worker host is lost while their grading runs.
  const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
  const grading = new Queue('grading', { connection: redis, prefix: run.name });
  const events = new QueueEvents('grading', { connection: { host: redisHost.address, port: 6379 }, prefix: run.name });
  let stalled = 0;
  events.on('stalled', () => stalled++);
  await events.waitUntilReady();
  const results = run.db.collection('results');
  const half = Math.floor(joined.length / 2);
  const first = joined.slice(0, half);
  const rest = joined.slice(half);
  const handIn = async (group: Candidate[], windowMs: number) => {
    const settled = await Promise.allSettled(group.map(async (p) => {
      await sleep(random() * windowMs);
      for (let i = 0; p.down && i < 100; i++) await sleep(100);
      await p.submit();
    }));
    return settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason?.message ?? r));
  };
  {
    console.log(`${first.length} candidates hand in; one worker host is lost during their grading …`);
    const t0 = performance.now();
    const submitting = handIn(first, 5000);
    let killedAt = 0;
    let atKill: Json = {};
    while (!killedAt && performance.now() - t0 < 60_000) {
      const c = await grading.getJobCounts('completed', 'active', 'waiting');
      // Two jobs running (the workers run two each): likely one of them is on the host to be lost.
      const busy = (c.active ?? 0) >= (performance.now() - t0 < 20_000 ? 2 : 1);
      if ((c.completed ?? 0) >= Math.max(1, Math.floor(first.length / 10)) && busy) {
        const pids = net.pids(wk1);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        net.link(wk1, false);
        killedAt = performance.now();
        atKill = { completed: c.completed, active: c.active, waiting: c.waiting, processesKilled: pids.length, afterFirstHandInMs: round1(killedAt - t0) };
        console.log(`worker host ${wk1.name} lost: ${JSON.stringify(atKill)}`);
      } else await sleep(10);
    }
    const failures = await submitting;
    const submitted = first.filter((p) => p.submittedAt).length;
    await waitFor(async () => (await results.countDocuments({ examId })) >= submitted, 180_000, 'grading of the first half');
    const killToAllGradedMs = round1(performance.now() - killedAt);
    // A job the lost host was running was started twice (once there, once on the other worker).
    const jobs = await grading.getJobs(['completed'], 0, -1);
    const startedTwice = jobs.filter((x) => x.attemptsStarted > 1 || x.stalledCounter > 0).length;
    result.workerLoss = { host: wk1.name, handedIn: submitted, submitFailures: [...new Set(failures)], atKill, killToAllGradedMs, stalledEvents: stalled, jobsStartedTwice: startedTwice };
    console.log(JSON.stringify(result.workerLoss));
  }

  // 4. The database host off the network while the other half answer.
  {
    const mark = markOf(stats);
    console.log(`partition: the database host for ${o.partitionS} s …`);
    net.link(dbHost, false);
    await sleep(o.partitionS * 1000);
    const ackedDuring = stats.answersAcked - mark.acked;
    const unackedAtHeal = rest.reduce((n, p) => n + p.sent.size, 0);
    const lastSentAtHeal = new Map(rest.map((p) => [p, p.seq]));
    net.link(dbHost, true);
    const healedAt = performance.now();
    const stillDown = await allUp(rest);
    // Until every frame sent before the heal is acknowledged (≤ 60 s).
    const held = () => rest.some((p) => [...p.sent.keys()].some((seq) => seq <= lastSentAtHeal.get(p)!));
    const until = performance.now() + 60_000;
    while (performance.now() < until && held()) await sleep(50);
    result.dbPartition = { seconds: o.partitionS, answersAckedDuring: ackedDuring, unacknowledgedAtHeal: unackedAtHeal, healToBacklogAckedMs: round1(performance.now() - healedAt), backlogLeft: held(), stillDown, ...since(stats, mark) };
    console.log(JSON.stringify(result.dbPartition));
  }
  await sleep(5000);

  // The rest hand in; everything graded and pushed.
  {
    const failures = await handIn(rest, 5000);
    const submittedAll = joined.filter((p) => p.submittedAt).length;
    await waitFor(async () => (await results.countDocuments({ examId })) >= submittedAll, 180_000, 'grading of every hand-in');
    const sector = run.mongo.db(`${run.name}_sector`).collection('exam_results');
    await waitFor(async () => (await sector.countDocuments({ examId })) >= submittedAll, 180_000, 'a sector record for every result');
    result.secondHalf = { handedIn: rest.filter((p) => p.submittedAt).length, submitFailures: failures };
  }
  stats.measuring = false;
  const unanswered = await drain(joined);
  for (const p of joined) p.close();
  await events.close();
  const completedJobs = (await grading.getJobCounts('completed')).completed ?? 0;
  await grading.close();
  redis.disconnect();

  const audit = await lossAudit(run, examId, joined);
  const attemptsSubmitted = await run.db.collection('attempts').countDocuments({ examId, status: 'submitted' });
  const versions = async (coll: string, dbName: string) =>
    Object.fromEntries((await run!.mongo.db(dbName).collection(coll).aggregate<{ _id: number; n: number }>([{ $match: { examId } }, { $group: { _id: '$version', n: { $sum: 1 } } }]).toArray()).map((v) => [`v${v._id}`, v.n]));
  const resultCount = await results.countDocuments({ examId });
  const sectorCount = await run.mongo.db(`${run.name}_sector`).collection('exam_results').countDocuments({ examId });
  const submittedByClients = joined.filter((p) => p.submittedAt).length;
  result.exactlyOnce = {
    handedIn: submittedByClients,
    attemptsSubmitted,
    results: resultCount,
    resultVersions: await versions('results', run.name),
    gradingJobsCompleted: completedJobs,
    sectorRecords: sectorCount,
    sectorVersions: await versions('exam_results', `${run.name}_sector`),
    ok: attemptsSubmitted === submittedByClients && resultCount === attemptsSubmitted && sectorCount === attemptsSubmitted && completedJobs === attemptsSubmitted,
  };
  result.everyoneResumed = [...rolling.map((r) => r.stillDown), (result.redisPartition as Json).stillDown, (result.dbPartition as Json).stillDown].every((n) => n === 0);
  result.ackLatencyMs = stats.acks.summary();
  result.answersAcked = stats.answersAcked;
  result.errors = { ...stats.errorsObject(), unansweredAtEnd: unanswered };
  result.lossAudit = audit;
  if (audit.lost > 0 || !(result.exactlyOnce as Json).ok || !result.everyoneResumed) process.exitCode = 1;
} catch (err) {
  failure = err;
  console.error(err);
} finally {
  // Links back up so the databases of the run can be dropped.
  for (const h of net.hosts.values()) net.link(h, true);
  await nginx?.stop();
  if (run && nginx) run.report.nginxErrorLogTail = nginx.errors();
  if (run) {
    (run.report.machine as Json).network = 'network namespaces + veth on a bridge (iproute2), nginx in the root namespace';
    await run.close(failure, hostsMarkdown);
  }
  await redisSrv.stop();
  await ferretSrv.stop();
  net.teardown();
  rmSync(tmp, { recursive: true, force: true });
  const left = net.leftovers();
  if (left.length) {
    console.error(`left behind: ${left.join(', ')}`);
    process.exitCode = 1;
  } else console.log('namespaces, veths and bridge removed');
}

function hostsMarkdown(r: Json): string[] {
  const s = r.result as Json;
  const rolling = (s.rollingRestart as Json[] | undefined) ?? [];
  const rp = s.redisPartition as Json | undefined;
  const wl = s.workerLoss as Json | undefined;
  const dp = s.dbPartition as Json | undefined;
  const once = s.exactlyOnce as Json | undefined;
  const audit = s.lossAudit as Json | undefined;
  const q = (x: unknown) => {
    const v = x as { count: number; p50: number | null; p95: number | null; max: number | null } | undefined;
    if (!v) return '–';
    return v.count ? `${v.count} resumes, ${v.p50} / ${v.p95} / ${v.max} ms` : 'none (no socket closed)';
  };
  const lines: (string | null)[] = [
    '## An exam on six hosts: rolling restart, partitions, a lost worker host',
    '',
    `${s.candidatesConnected} candidates through nginx (join p50 / p95 / p99 / max ${pct(s.joinMs)} ms), one answer per ${(r.parameters as Json).intervalMs} ms each.`,
    '',
    '| fault | what happened | candidates told to reconnect | resume (socket closed → `state`) p50 / p95 / max | not resumed |',
    '|---|---|---|---|---|',
    ...rolling.map((x) => `| rolling restart, ${x.host} | /ready 503 after ${x.readyTurned503AfterMs} ms; SIGTERM → exit ${x.signalToExitMs} ms (code ${x.exitCode}); restart → ready ${x.restartToReadyMs} ms | ${x.toldToReconnect} | ${q(x.resumes)} | ${x.stillDown} |`),
    rp ? `| ${rp.host} cut from Redis ${rp.seconds} s | /ready statuses seen ${JSON.stringify(rp.readyStatusesDuring)}; ${rp.answersAckedDuring} answers acknowledged during it | ${rp.toldToReconnect} | ${q(rp.resumes)} | ${rp.stillDown} |` : null,
    wl ? `| worker host ${wl.host} lost (SIGKILL + link down) | ${wl.handedIn} hand-ins; at the kill ${JSON.stringify(wl.atKill)}; ${wl.jobsStartedTwice} grading jobs started on the lost host and finished on the other; kill → all graded ${wl.killToAllGradedMs} ms | – | – | – |` : null,
    dp ? `| database host off the network ${dp.seconds} s | ${dp.answersAckedDuring} answers acknowledged during it, ${dp.unacknowledgedAtHeal} waiting at the heal; heal → backlog acknowledged ${dp.healToBacklogAckedMs} ms | ${dp.toldToReconnect} | ${q(dp.resumes)} | ${dp.stillDown} |` : null,
    '',
    '| check | value |',
    '|---|---|',
    audit ? `| acknowledged answers / **lost** | ${audit.acknowledged} / **${audit.lost}** |` : null,
    once ? `| hand-ins / attempts submitted / results / grading jobs completed / sector records | ${once.handedIn} / ${once.attemptsSubmitted} / ${once.results} / ${once.gradingJobsCompleted} / ${once.sectorRecords} |` : null,
    once ? `| result versions / sector versions (version 1 = graded once) | \`${JSON.stringify(once.resultVersions)}\` / \`${JSON.stringify(once.sectorVersions)}\` |` : null,
    once ? `| **exactly once** | **${once.ok}** |` : null,
    `| **every candidate resumed** | **${s.everyoneResumed}** |`,
    `| ack latency over the run p50 / p95 / p99 / max | ${pct(s.ackLatencyMs)} ms |`,
    `| errors seen by clients (closes are the faults) | \`${JSON.stringify(s.errors)}\` |`,
  ];
  return lines.filter((l): l is string => l !== null);
}
