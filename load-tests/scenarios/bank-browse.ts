/**
 * `bank-browse`: authors search the question bank and edit items while an exam
 * runs. First the authors alone (`--baseline` s), then the same author load
 * alongside N answering candidates (`--duration` s): search latency must not
 * collapse (the run reports the ratio of the two p95s), and answers keep
 * their ack latency and zero loss.
 */
import { itemBodies } from '../../test/support/fixtures/index.js';
import { client, examWorld, HttpError, joinAll, Latencies, lossAudit, pct, pick, random, round1, sleep, type Json, type Run } from '../live/harness.js';
import { answerPhase, answerRows } from './steady.js';

export interface BankBrowseOptions {
  candidates: number;
  intervalMs: number;
  durationS: number;
  rampS: number;
  baselineS: number;
  /** Concurrent authors (closed loop). */
  authors: number;
  /** Pause between one author's requests, in ms. */
  thinkMs: number;
  /** Draft items in the bank besides the exam's. */
  bank: number;
  /** Share of author requests that are edits (GET then PUT). */
  editShare: number;
}

const WORDS = ['phuong trinh', 'ham so', 'dao ham', 'tich phan', 'xac suat', 'luong giac', 'logarit', 'so phuc'];

interface AuthorStats {
  search: Latencies;
  searchByKind: Record<string, Latencies>;
  edit: Latencies;
  errors: Map<string, number>;
}

const newAuthorStats = (): AuthorStats => ({ search: new Latencies(), searchByKind: { filtered: new Latencies(), q: new Latencies(), 'filtered+q': new Latencies() }, edit: new Latencies(), errors: new Map() });

export async function bankBrowse(run: Run, o: BankBrowseOptions): Promise<void> {
  const server = await run.server();
  const { world, examId, stats, people } = await examWorld(run, server.base, o.candidates);
  const http = client(server.base);

  console.log(`bank: ${o.bank} draft items, ${o.authors} authors …`);
  const tokens: string[] = [];
  for (let a = 0; a < o.authors; a++) {
    const username = `loadauthor${a}`;
    await http('POST', '/api/users', world.admin, { username, password: 'load-staff-password', displayName: username, roles: [{ role: 'author', orgId: world.depId }] });
    tokens.push((await http('POST', '/api/auth/login', null, { username, password: 'load-staff-password' })).token as string);
  }
  // Each author owns a share of the bank and edits only its own items (no revision conflicts between authors).
  const owned: { id: string; body: Json; revision: number }[][] = tokens.map(() => []);
  const bodies = itemBodies(o.bank, `bank-browse-${run.stamp}`, random);
  for (let a = 0; a < tokens.length; a++) {
    const mine = bodies.filter((_, i) => i % tokens.length === a);
    for (let start = 0; start < mine.length; start += 1000) {
      const chunk = mine.slice(start, start + 1000);
      const res = await http('POST', '/api/items/bulk', tokens[a]!, { items: chunk });
      (res.results as { index: number; id?: string }[]).forEach((r) => {
        if (r.id) owned[a]!.push({ id: r.id, body: chunk[r.index]!, revision: 1 });
      });
    }
  }
  run.parameters.bankItems = owned.reduce((n, x) => n + x.length, 0);

  let phase: AuthorStats = newAuthorStats();
  let running = true;
  const author = async (a: number) => {
    const token = tokens[a]!;
    while (running) {
      const stats = phase;
      const t0 = performance.now();
      try {
        if (random() < o.editShare && owned[a]!.length) {
          const it = pick(owned[a]!);
          const current = await http('GET', `/api/items/${it.id}`, token);
          const stem = `<p>Sửa lúc ${new Date().toISOString()}: ${String(it.body.stem).replace(/<\/?p>/g, '')}</p>`;
          await http('PUT', `/api/items/${it.id}`, token, { ...it.body, stem, revision: current.revision });
          stats.edit.push(performance.now() - t0);
        } else {
          const kind = pick(['filtered', 'q', 'filtered+q'] as const);
          const filter = `subject=math&grade=12&cognitiveLevel=${1 + Math.floor(random() * 4)}`;
          const q = encodeURIComponent(pick(WORDS));
          const qs = kind === 'filtered' ? filter : kind === 'q' ? `q=${q}` : `${filter}&q=${q}`;
          await http('GET', `/api/items?${qs}&limit=50`, token);
          const ms = performance.now() - t0;
          stats.search.push(ms);
          stats.searchByKind[kind]!.push(ms);
        }
      } catch (err) {
        const k = err instanceof HttpError ? `http:${err.status}` : `error:${(err as Error).message.slice(0, 40)}`;
        stats.errors.set(k, (stats.errors.get(k) ?? 0) + 1);
      }
      await sleep(o.thinkMs * (0.5 + random()));
    }
  };
  const summary = (s: AuthorStats, seconds: number) => ({
    searches: s.search.count,
    searchesPerSecond: round1(s.search.count / seconds),
    searchMs: s.search.summary(),
    searchByKindMs: Object.fromEntries(Object.entries(s.searchByKind).map(([k, v]) => [k, v.summary()])),
    edits: s.edit.count,
    editMs: s.edit.summary(),
    errors: Object.fromEntries(s.errors),
  });

  console.log(`baseline: authors alone for ${o.baselineS} s …`);
  const authorsDone = Promise.all(tokens.map((_, a) => author(a)));
  await sleep(o.baselineS * 1000);
  const baseline = summary(phase, o.baselineS);
  phase = newAuthorStats();
  // The candidates' join ramp is not part of either phase.
  const j = await joinAll(people, server.wsUrl, examId, o.rampS * 1000);
  console.log(`${j.joined.length} candidates joined; authors and candidates together for ${o.durationS} s …`);
  phase = newAuthorStats();
  const t0 = performance.now();
  const exam = await answerPhase(server, j.joined, stats, o.intervalMs, o.durationS, { server: server.pid, db: run.ferret?.pid ?? null });
  const during = summary(phase, (performance.now() - t0) / 1000);
  running = false;
  await authorsDone;
  for (const p of j.joined) p.close();
  const audit = await lossAudit(run, examId, j.joined);
  const ratio = (during.searchMs.p95 as number) / (baseline.searchMs.p95 as number);
  run.report.result = {
    candidatesConnected: j.joined.length,
    joinFailed: j.failed,
    baseline,
    duringExam: during,
    searchP95Ratio: round1(ratio),
    exam,
    lossAudit: audit,
  };
}

export function bankBrowseMarkdown(r: Json): string[] {
  const s = r.result as Json;
  const p = r.parameters as Json;
  const b = s.baseline as Json;
  const d = s.duringExam as Json;
  const audit = s.lossAudit as Json;
  const row = (name: string, x: Json) => `| ${name} | ${x.searches} (${x.searchesPerSecond}/s) | ${pct(x.searchMs)} | ${Object.entries(x.searchByKindMs as Json).map(([k, v]) => `${k} ${(v as Json).p95}`).join(', ')} | ${x.edits}: ${pct(x.editMs)} | \`${JSON.stringify(x.errors)}\` |`;
  return [
    '## Bank browsing during an exam',
    '',
    `${p.authors} authors (think time ~${p.thinkMs} ms, ${Math.round(Number(p.editShare) * 100)} % edits) over a bank of ${p.bankItems} items.`,
    '',
    '| phase | searches | search p50 / p95 / p99 / max (ms) | p95 by kind (ms) | edits: p50 / p95 / p99 / max (ms) | errors |',
    '|---|---|---|---|---|---|',
    row('authors alone', b),
    row(`with ${s.candidatesConnected} candidates answering`, d),
    '',
    `Search p95 during the exam / alone: **${s.searchP95Ratio}×**.`,
    '',
    '| exam metric | value |',
    '|---|---|',
    ...answerRows(s.exam as Json, p, s.candidatesConnected as number),
    `| acknowledged answers / **lost** | ${audit.acknowledged} / **${audit.lost}** |`,
  ];
}
