// Item analysis benchmark (issue 7): 100,000 attempts × 50 single-choice items
// simulated from the Rasch model, streamed one attempt at a time into
// ExamAnalyzer, then the full result (CTT, flags, CML calibration) computed.
// Target: ≤ 10 s for the analysis. Prints a summary and writes
// load-tests/results/analysis-bench.json (or --out).
//
//   npm run bench:analysis [-- --attempts 100000 --items 50 --seed bench]
//   npm run bench:analysis -- --forms 24 --pool 200 --out load-tests/results/analysis-bench-forms.json
//
// With --forms F --pool P every form draws --items of a P-item pool, and
// attempts rotate over the forms (an incomplete design, as assembled exams are).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';
import { ExamAnalyzer, type AnalysisItem } from '../src/analysis/index.js';

const { values } = parseArgs({
  options: {
    attempts: { type: 'string', default: '100000' },
    items: { type: 'string', default: '50' },
    seed: { type: 'string', default: 'analysis-bench' },
    forms: { type: 'string', default: '1' },
    pool: { type: 'string' },
    out: { type: 'string' },
  },
});
const N = Number(values.attempts);
const M = Number(values.items); // items per form
const F = Number(values.forms);
const K = Number(values.pool ?? values.items); // items in the exam's pool
if (!(M >= 2 && K >= M && F >= 1 && N >= 1)) throw new Error('need attempts ≥ 1, items ≥ 2, pool ≥ items, forms ≥ 1');
const TARGET_MS = 10_000;
const OPTIONS = ['A', 'B', 'C', 'D'];

// Difficulties spread evenly over [-2.5, 2.5] logits, abilities N(0, 1).
const rng = seedrandom(values.seed);
const difficulties = Array.from({ length: K }, (_, i) => -2.5 + (5 * i) / (K - 1));
const keys = Array.from({ length: K }, (_, i) => i % OPTIONS.length);
const forms = Array.from({ length: F }, () => {
  if (M === K) return Array.from({ length: K }, (_, i) => i);
  const pool = Array.from({ length: K }, (_, i) => i);
  for (let j = K - 1; j > 0; j--) {
    const r = Math.floor(rng() * (j + 1));
    [pool[j], pool[r]] = [pool[r]!, pool[j]!];
  }
  return pool.slice(0, M).sort((x, y) => x - y);
});

const NONE = 255;
const generateStart = performance.now();
// Compact pre-generated responses (option index per cell, NONE = not on the form)
// so the timed phase measures the analysis, not the simulation.
const picks = new Uint8Array(N * K).fill(NONE);
for (let a = 0; a < N; a++) {
  const theta = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  for (const i of forms[a % F]!) {
    const right = rng() < 1 / (1 + Math.exp(difficulties[i]! - theta));
    picks[a * K + i] = right ? keys[i]! : (keys[i]! + 1 + Math.floor(rng() * 3)) % OPTIONS.length;
  }
}
const generateMs = performance.now() - generateStart;

const items: AnalysisItem[] = difficulties.map((_, i) => ({
  itemId: `item-${String(i + 1).padStart(2, '0')}`,
  revision: 1,
  maxPoints: 1,
  options: OPTIONS,
  key: [OPTIONS[keys[i]!]!],
}));

const heapBefore = process.memoryUsage().heapUsed;
const start = performance.now();
const analyzer = new ExamAnalyzer(items, { expectedAttempts: N });
const itemScores = new Float64Array(K);
const choices: (string | null)[] = new Array<string | null>(K);
for (let a = 0; a < N; a++) {
  for (let i = 0; i < K; i++) {
    const pick = picks[a * K + i]!;
    itemScores[i] = pick === NONE ? NaN : pick === keys[i] ? 1 : 0;
    choices[i] = pick === NONE ? null : OPTIONS[pick]!;
  }
  analyzer.add({ itemScores, choices });
}
const addMs = performance.now() - start;
const resultStart = performance.now();
const result = analyzer.result();
const resultMs = performance.now() - resultStart;
const totalMs = performance.now() - start;
const memory = process.memoryUsage();

// How well the calibration recovers the generating difficulties (centred like the estimates).
const calibrated = result.items.flatMap((item, i) => (item.rasch ? [{ estimate: item.rasch.difficulty, truth: difficulties[i]! }] : []));
const meanB = calibrated.reduce((s, c) => s + c.truth, 0) / calibrated.length;
let squares = 0;
let maxError = 0;
for (const { estimate, truth } of calibrated) {
  const error = estimate - (truth - meanB);
  squares += error * error;
  maxError = Math.max(maxError, Math.abs(error));
}
const reliability = 'kr20' in result.reliability ? result.reliability.kr20 : result.reliability.alpha;

const report = {
  benchmark: 'item analysis (CTT + flags + Rasch CML)',
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  input: {
    attempts: N,
    itemsPerForm: M,
    forms: F,
    pool: K,
    seed: values.seed,
    model: 'Rasch, pool b evenly in [-2.5, 2.5], theta ~ N(0,1), 4 options',
  },
  timingsMs: {
    generate: round(generateMs),
    addAttempts: round(addMs),
    result: round(resultMs),
    analysisTotal: round(totalMs),
  },
  targetMs: TARGET_MS,
  withinTarget: totalMs <= TARGET_MS,
  memoryMiB: {
    heapGrowth: round((memory.heapUsed - heapBefore) / 2 ** 20),
    arrayBuffers: round(memory.arrayBuffers / 2 ** 20),
    rss: round(memory.rss / 2 ** 20),
  },
  outcome: {
    candidates: result.candidates,
    forms: result.forms.length,
    mean: round(result.mean!),
    sd: round(result.sd!),
    kr20: round(reliability!),
    sem: round(result.sem!),
    flaggedItems: result.items.filter((i) => i.flags.length > 0).length,
    rasch: {
      converged: result.rasch!.converged,
      iterations: result.rasch!.iterations,
      maxChange: result.rasch!.maxChange,
      calibratedPersons: result.rasch!.persons.calibrated,
      excludedPersons: result.rasch!.persons.extremeZero + result.rasch!.persons.extremeFull,
      calibratedItems: calibrated.length,
      difficultyRmse: round(Math.sqrt(squares / calibrated.length), 4),
      difficultyMaxError: round(maxError, 4),
    },
  },
};

const out = values.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'analysis-bench.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `item analysis: ${N.toLocaleString('en')} attempts × ${M} items (${F} form(s), pool ${K}) in ${(totalMs / 1000).toFixed(2)} s ` +
    `(add ${(addMs / 1000).toFixed(2)} s, result ${(resultMs / 1000).toFixed(2)} s; target ≤ ${TARGET_MS / 1000} s) ` +
    `${report.withinTarget ? 'PASS' : 'FAIL'}`,
);
console.log(JSON.stringify(report.outcome));
console.log(`written to ${path.relative(process.cwd(), out)}`);
if (!report.withinTarget) process.exitCode = 1;

function round(x: number, places = 2): number {
  return Math.round(x * 10 ** places) / 10 ** places;
}
