/**
 * `adaptive`: N candidates sit an adaptive exam at once (docs/adaptive.md).
 * A calibrated pool of `--bank` single-choice items in three cells (difficulties
 * drawn from N(0, 1) and written onto the items as item analysis' write-back
 * leaves them), a blueprint of `--items` items, randomesque exposure (k = 5).
 * Candidates join within `--window` ms, then each answers its current item after
 * an exponential think time of mean `--interval` ms, waits for the next item and
 * goes on until the stopping rule hands in.
 *
 * Measured: next-item latency, from sending an answer to receiving the next
 * `item` (the durable write of the answer, the ack, the engine's choice), and
 * the ack latency; then the loss audit: every acknowledged answer must be in its
 * attempt's final answers.
 */
import { WebSocket } from 'ws';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { approveBodies, httpApi, sendAs } from '../../test/support/fixtures/index.js';
import { cpuMeter, expo, generatorRandom, Latencies, loadavg, measuredProcesses, pct, rssKiB, setupWorld, sleep, spread, waitFor, type Json, type Run } from '../live/harness.js';

export interface AdaptiveLoadOptions {
  candidates: number;
  /** Test length (maxItems); a multiple of 3 (three cells). */
  maxItems: number;
  /** Calibrated items in the pool. */
  poolSize: number;
  /** Mean think time between two answers, ms. */
  intervalMs: number;
  /** Joins spread over this window, ms. */
  windowMs: number;
}

type Item = { itemId: string; options: { id: string }[] };

/** A standard normal draw from the generator's seeded stream (Box–Muller). */
function normal(): number {
  const u = 1 - generatorRandom();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * generatorRandom());
}

export async function adaptive(run: Run, o: AdaptiveLoadOptions): Promise<void> {
  const server = await run.server();
  const world = await setupWorld(run, server.base, { candidates: o.candidates, exams: 0, items: 1 });
  const topic = `cat-load-${run.stamp}`;
  const levels = [1, 2, 3] as const;
  console.log(`creating, approving and calibrating a pool of ${o.poolSize} items …`);
  const bodies = Array.from({ length: o.poolSize }, (_, i) => ({
    type: 'single_choice',
    subject: 'math',
    grade: 12,
    topic,
    cognitiveLevel: levels[i % 3],
    stem: `<p>Câu thích ứng ${i + 1}</p>`,
    options: ['A', 'B', 'C', 'D'].map((id) => ({ id, text: `${i + 1}-${id}` })),
    correct: ['A'],
  }));
  const api = httpApi(server.base);
  const ids = await approveBodies(sendAs(api, world.author), sendAs(api, world.reviewer), bodies);
  const items = run.db.collection<{ _id: string }>('items');
  for (let i = 0; i < ids.length; i += 50) {
    // Setup only: the Rasch difficulties item analysis would have written back.
    await items.bulkWrite(ids.slice(i, i + 50).map((id) => ({ updateOne: { filter: { _id: id }, update: { $set: { 'stats.raschDifficulty': Math.round(normal() * 1000) / 1000, 'stats.n': 1000 } } } })));
  }
  const per = Math.max(1, Math.round(o.maxItems / 3));
  const blueprint = await world.http('POST', '/api/blueprints', world.manager, {
    title: 'Đánh giá năng lực – thích ứng',
    subject: 'math',
    grade: 12,
    sections: [{ title: 'Phần I', type: 'single_choice', cells: levels.map((cognitiveLevel) => ({ topic, cognitiveLevel, count: per })) }],
  });
  const exam = await world.http('POST', '/api/exams', world.manager, {
    title: 'Thi thích ứng',
    blueprintId: blueprint.id,
    formCount: 1,
    opensAt: new Date(Date.now() - 60_000).toISOString(),
    closesAt: new Date(Date.now() + 4 * 3600_000).toISOString(),
    durationMinutes: 180,
    candidateIds: world.candidates.map((c) => c.id),
    showResults: 'after_close',
    mode: 'adaptive',
    adaptive: { stop: { maxItems: per * 3 }, exposure: { method: 'randomesque', k: 5 } },
  });
  await world.http('POST', `/api/exams/${exam.id}/assemble`, world.manager);
  await world.http('POST', `/api/exams/${exam.id}/publish`, world.manager);
  const examId = exam.id as string;
  await sleep(1000);

  const nextItem = new Latencies();
  const acks = new Latencies();
  const errors = new Map<string, number>();
  const bump = (k: string) => errors.set(k, (errors.get(k) ?? 0) + 1);
  const acked = new Map<string, Set<string>>();
  let itemsGiven = 0;
  let finished = 0;
  const pids = await measuredProcesses(run, server);
  const cpu = cpuMeter(pids);
  const loadBefore = loadavg();
  const t0 = performance.now();
  console.log(`${o.candidates} candidates sit ${per * 3} adaptive items each, one answer per ~${o.intervalMs} ms …`);

  const sit = (c: { id: string; token: string }) =>
    new Promise<void>((resolve) => {
      const mine = new Set<string>();
      acked.set(c.id, mine);
      const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
      let seq = 0;
      let sentAt = 0;
      const sent = new Map<number, string>();
      let timer: NodeJS.Timeout | null = null;
      const answer = (item: Item) => {
        timer = setTimeout(() => {
          seq++;
          sent.set(seq, item.itemId);
          sentAt = performance.now();
          ws.send(JSON.stringify({ type: 'answer', seq, itemId: item.itemId, response: item.options[Math.floor(generatorRandom() * item.options.length)]!.id }));
        }, expo(o.intervalMs));
      };
      ws.on('open', () => ws.send(JSON.stringify({ type: 'join', token: c.token, examId })));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as Json;
        switch (m.type) {
          case 'state': {
            const a = m.adaptive as { current: string | null } | undefined;
            const current = (m.items as Item[]).find((i) => i.itemId === a?.current);
            itemsGiven++;
            if (current) answer(current);
            return;
          }
          case 'ack': {
            acks.push(performance.now() - sentAt);
            const id = sent.get(m.seq as number);
            if (id) mine.add(id);
            return;
          }
          case 'item':
            nextItem.push(performance.now() - sentAt);
            itemsGiven++;
            answer(m.item as Item);
            return;
          case 'nack':
            bump(`nack:${(m.error as { code: string }).code}`);
            return;
          case 'ended':
            finished++;
            ws.close();
            return;
          default:
            return;
        }
      });
      ws.on('error', () => bump('socket_error'));
      ws.on('close', () => {
        if (timer) clearTimeout(timer);
        resolve();
      });
    });

  await spread(world.candidates.length, o.windowMs, (i) => sit(world.candidates[i]!));
  const wallS = Math.round((performance.now() - t0) / 100) / 10;
  const cpuPct = cpu();
  const loadAfter = loadavg();
  const rss = rssKiB(server.pid);
  console.log(`${finished} finished in ${wallS} s; next item ${pct(nextItem.summary())} ms`);

  // The loss audit: every acknowledged answer is among its attempt's final answers.
  const attempts = run.db.collection<{ _id: string; status: string; answers?: Record<string, unknown> }>('attempts');
  await waitFor(async () => (await attempts.countDocuments({ examId, status: 'submitted' })) >= finished, 120_000, 'every finished attempt to be stored as submitted');
  const stored = new Map((await attempts.find({ examId }).toArray()).map((a) => [a._id, a]));
  let acknowledged = 0;
  let lost = 0;
  const lostExamples: string[] = [];
  for (const c of world.candidates) {
    const doc = stored.get(attemptIdFor(examId, c.id));
    for (const itemId of acked.get(c.id) ?? []) {
      acknowledged++;
      if (!doc?.answers || !Object.hasOwn(doc.answers, itemId)) {
        lost++;
        if (lostExamples.length < 5) lostExamples.push(`${c.id}:${itemId}`);
      }
    }
  }
  run.report.result = {
    candidates: o.candidates,
    testLength: per * 3,
    poolSize: ids.length,
    meanThinkMs: o.intervalMs,
    finished,
    wallSeconds: wallS,
    itemsGiven,
    answersPerSecond: Math.round((acks.count / wallS) * 10) / 10,
    nextItemMs: nextItem.summary(),
    ackMs: acks.summary(),
    cpuPercent: cpuPct,
    loadavg: { before: loadBefore, after: loadAfter },
    serverRssMiB: Math.round(rss / 1024),
    errors: Object.fromEntries(errors),
    lossAudit: { acknowledged, lost, lostExamples },
  };
}

export function adaptiveMarkdown(r: Json): string[] {
  const s = r.result as Json;
  const audit = s.lossAudit as Json;
  return [
    '## Adaptive sitting',
    '',
    '| candidates | items each | pool | think (mean) | finished | answers/s | next item p50 / p95 / p99 / max (ms) | ack p50 / p95 / p99 / max (ms) | lost |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${s.candidates} | ${s.testLength} | ${s.poolSize} | ${s.meanThinkMs} ms | ${s.finished} | ${s.answersPerSecond} | ${pct(s.nextItemMs)} | ${pct(s.ackMs)} | **${audit.lost}** of ${audit.acknowledged} |`,
    '',
    `Wall time ${s.wallSeconds} s; CPU % ${JSON.stringify(s.cpuPercent)}; load average ${JSON.stringify(s.loadavg)}; server RSS ${s.serverRssMiB} MiB; errors \`${JSON.stringify(s.errors)}\`.`,
  ];
}
