/**
 * Adaptive tests simulated (issue 22): a population θ ~ N(0, 1) and a
 * simulated calibrated bank, through the adaptive engine of src/adaptive and
 * through a fixed form of the same length and blueprint, scored by the same
 * EAP. Reports bias and RMSE of θ (overall and by ability band), test length,
 * item exposure, content-balance violations, overlap between candidates,
 * pretest items, and the 10-point score against each candidate's true
 * expected score.
 *
 *   npm run cat:simulate -- [--simulees 10000] [--bank 1000] [--length 30]
 *     [--exposure sympson-hetter|randomesque|none] [--k 5] [--rmax 0.25]
 *     [--sh-simulees 2000] [--sh-rounds 20] [--se 0.3 --min-length 10 --max-length 60]
 *     [--pretest 20 --pretest-positions 6,16,26] [--seed cat-simulate] [--out name]
 *
 * `--se` adds a variable-length adaptive scenario (stop at SE ≤ se, between
 * min-length and max-length items) to the same run. With sympson-hetter the
 * exposure parameters are derived first, by simulation, for each adaptive
 * scenario. Writes load-tests/results/<name>.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { estimateAbility } from '../src/adaptive/ability.js';
import type { AdaptiveConfig, ExposureControl, PretestItem } from '../src/adaptive/adaptive-config.js';
import { createCatEngine } from '../src/adaptive/cat-engine.js';
import { overlapReport } from '../src/adaptive/overlap.js';
import {
  assembleFixedForm,
  normalDeviates,
  raschRmseBound,
  recovery,
  SIMULATION_BLUEPRINT,
  simulateBank,
  simulateCandidate,
  simulateFixedForm,
  simulationRandom,
  type Recovery,
} from '../src/adaptive/simulation.js';
import { deriveSympsonHetter, type SympsonHetterRound } from '../src/adaptive/sympson-hetter.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    simulees: { type: 'string', default: '10000' },
    bank: { type: 'string', default: '1000' },
    length: { type: 'string', default: '30' },
    exposure: { type: 'string', default: 'sympson-hetter' },
    k: { type: 'string', default: '5' },
    rmax: { type: 'string', default: '0.25' },
    'sh-simulees': { type: 'string', default: '2000' },
    'sh-rounds': { type: 'string', default: '20' },
    se: { type: 'string' },
    'min-length': { type: 'string', default: '10' },
    'max-length': { type: 'string', default: '60' },
    pretest: { type: 'string', default: '0' },
    'pretest-positions': { type: 'string', default: '6,16,26' },
    seed: { type: 'string', default: 'cat-simulate' },
    out: { type: 'string' },
  },
});
const SIMULEES = Number(args.simulees);
const BANK = Number(args.bank);
const LENGTH = Number(args.length);
const R_MAX = Number(args.rmax);
const SEED = args.seed;
const PRIOR = { mean: 0, sd: 1 };
const BANDS: [string, number, number][] = [
  ['θ < −2', -Infinity, -2],
  ['−2 ≤ θ < −1', -2, -1],
  ['−1 ≤ θ < 0', -1, 0],
  ['0 ≤ θ < 1', 0, 1],
  ['1 ≤ θ < 2', 1, 2],
  ['θ ≥ 2', 2, Infinity],
];
if (!['sympson-hetter', 'randomesque', 'none'].includes(args.exposure)) throw new Error('--exposure is sympson-hetter, randomesque or none');
const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

const bank = simulateBank({ size: BANK, blueprint: SIMULATION_BLUEPRINT, seed: SEED });
const bankIds = bank.map((i) => i.itemId);
const thetas = normalDeviates(SIMULEES, PRIOR.mean, PRIOR.sd, simulationRandom(SEED, 'population'));
const pretestItems: PretestItem[] = Array.from({ length: Number(args.pretest) }, (_, j) => ({ itemId: `pretest-${String(j).padStart(3, '0')}`, revision: 1 }));
const pretestTruth = new Map(pretestItems.map((p, j) => [p.itemId, normalDeviates(1, -0.2, 1, simulationRandom(SEED, 'pretest', j))[0]!]));
const pretestPositions = args['pretest-positions'].split(',').map(Number);

function byBand(truth: ArrayLike<number>, est: ArrayLike<number>, se: ArrayLike<number>) {
  return BANDS.map(([band, lo, hi]) => ({ band, ...recovery(truth, est, se, (t) => t >= lo && t < hi) }));
}
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const roundAll = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o, (_, v) => (typeof v === 'number' ? round(v) : v)));

interface Scenario {
  name: string;
  stop: AdaptiveConfig['stop'];
  exposure: string;
  derivation: { rounds: SympsonHetterRound[]; converged: boolean; seconds: number } | null;
  recovery: Recovery;
  byBand: (Recovery & { band: string })[];
  length: { mean: number; min: number; max: number };
  stopReasons: Record<string, number>;
  exposureRates: { max: number; neverUsedShare: number; itemsAboveRMax: number; itemsUsed: number };
  overlap: { average: number; max: number };
  contentBalance: { candidatesWithViolations: number; cellViolations: number };
  score10: { mean: number; rmseAgainstTrueExpected: number };
  pretest: { responses: number; perItemMin: number; perItemMax: number; largestThetaChange: number } | null;
  seconds: number;
}

function adaptive(name: string, stop: AdaptiveConfig['stop']): Scenario {
  const base: Omit<AdaptiveConfig, 'exposure'> = {
    prior: PRIOR,
    blueprint: SIMULATION_BLUEPRINT,
    stop,
    ...(pretestItems.length > 0 ? { pretest: { items: pretestItems, positions: pretestPositions } } : {}),
  };
  let exposure: ExposureControl;
  let derivation: Scenario['derivation'] = null;
  if (args.exposure === 'sympson-hetter') {
    const t0 = performance.now();
    log(`${name}: deriving Sympson–Hetter parameters (r_max ${R_MAX}, ${args['sh-simulees']} simulees per round)`);
    const sh = deriveSympsonHetter(bank, base, { rMax: R_MAX, seed: `${SEED}:${name}`, simulees: Number(args['sh-simulees']), maxRounds: Number(args['sh-rounds']), population: PRIOR });
    derivation = { rounds: sh.rounds, converged: sh.converged, seconds: (performance.now() - t0) / 1000 };
    for (const r of sh.rounds) log(`  round ${r.round}: max exposure ${r.maxExposure.toFixed(4)}, ${r.itemsHeldBack} items held back`);
    exposure = { method: 'sympson-hetter', parameters: sh.parameters };
  } else {
    exposure = args.exposure === 'randomesque' ? { method: 'randomesque', k: Number(args.k) } : { method: 'none' };
  }
  const engine = createCatEngine(bank, { ...base, exposure });
  const t0 = performance.now();
  const est = new Float64Array(SIMULEES);
  const se = new Float64Array(SIMULEES);
  const tests: string[][] = [];
  const stopReasons: Record<string, number> = {};
  const pretestCounts = new Map(pretestItems.map((p) => [p.itemId, 0]));
  let violated = 0;
  let cellViolations = 0;
  let score10Sum = 0;
  let score10Err = 0;
  let largestThetaChange = 0;
  thetas.forEach((theta, s) => {
    const { result } = simulateCandidate(engine, theta, `${SEED}\u0000${name}\u0000${s}`, pretestTruth);
    est[s] = result.theta;
    se[s] = result.se;
    tests.push(result.items.map((i) => i.itemId));
    stopReasons[result.stop ?? 'none'] = (stopReasons[result.stop ?? 'none'] ?? 0) + 1;
    if (result.contentBalance.violations.length > 0) violated++;
    cellViolations += result.contentBalance.violations.length;
    score10Sum += result.score10;
    score10Err += (result.score10 - engine.score10(theta)) ** 2;
    for (const p of result.pretest) pretestCounts.set(p.itemId, pretestCounts.get(p.itemId)! + 1);
    if (result.pretest.length > 0) {
      // θ from the operational answers alone must be the reported θ.
      largestThetaChange = Math.max(largestThetaChange, Math.abs(estimateAbility(result.items, PRIOR).theta - result.theta));
    }
    if ((s + 1) % 2000 === 0) log(`${name}: ${s + 1} simulees`);
  });
  const seconds = (performance.now() - t0) / 1000;
  const overlap = overlapReport(tests, bankIds);
  const lengths = tests.map((t) => t.length);
  const counts = [...pretestCounts.values()];
  return {
    name,
    stop,
    exposure: args.exposure === 'randomesque' ? `randomesque (k = ${args.k})` : args.exposure,
    derivation,
    recovery: recovery(thetas, est, se),
    byBand: byBand(thetas, est, se),
    length: { mean: lengths.reduce((a, b) => a + b, 0) / SIMULEES, min: Math.min(...lengths), max: Math.max(...lengths) },
    stopReasons,
    exposureRates: {
      max: overlap.maxExposure,
      neverUsedShare: overlap.neverUsedShare!,
      itemsAboveRMax: overlap.exposure.filter((e) => e.rate > R_MAX).length,
      itemsUsed: overlap.itemsUsed,
    },
    overlap: { average: overlap.averageOverlap, max: overlap.maxOverlap },
    contentBalance: { candidatesWithViolations: violated, cellViolations },
    score10: { mean: score10Sum / SIMULEES, rmseAgainstTrueExpected: Math.sqrt(score10Err / SIMULEES) },
    pretest: pretestItems.length > 0 ? { responses: counts.reduce((a, b) => a + b, 0), perItemMin: Math.min(...counts), perItemMax: Math.max(...counts), largestThetaChange } : null,
    seconds,
  };
}

function fixedForm() {
  const t0 = performance.now();
  const form = assembleFixedForm(bank, SIMULATION_BLUEPRINT, LENGTH, PRIOR);
  const { theta, se } = simulateFixedForm(form, thetas, SEED, PRIOR, { points: 81, halfWidth: 6 });
  const engine = createCatEngine(bank, { prior: PRIOR, blueprint: SIMULATION_BLUEPRINT, stop: { maxItems: LENGTH } });
  // The fixed form's own 10-point score: the share of its items answered right, against the same truth.
  let err = 0;
  let sum = 0;
  thetas.forEach((truth, s) => {
    const random = simulationRandom(SEED, 'fixed', s);
    let right = 0;
    for (const item of form) if (random() < 1 / (1 + Math.exp(item.b - truth))) right++;
    const raw10 = (10 * right) / form.length;
    sum += raw10;
    err += (raw10 - engine.score10(truth)) ** 2;
  });
  const bs = form.map((i) => i.b);
  return {
    name: `fixed form, ${LENGTH} items`,
    difficulties: { mean: bs.reduce((a, b) => a + b, 0) / bs.length, min: Math.min(...bs), max: Math.max(...bs) },
    recovery: recovery(thetas, theta, se),
    byBand: byBand(thetas, theta, se),
    overlap: { average: 1, max: 1 },
    exposureRates: { max: 1, neverUsedShare: 1 - form.length / bank.length },
    raw10: { mean: sum / SIMULEES, rmseAgainstTrueExpected: Math.sqrt(err / SIMULEES) },
    seconds: (performance.now() - t0) / 1000,
  };
}

const started = new Date();
const t0 = performance.now();
log(`bank of ${BANK} items, ${SIMULEES} simulees, length ${LENGTH}, exposure ${args.exposure}`);
const scenarios = [adaptive(`adaptive, ${LENGTH} items`, { maxItems: LENGTH })];
if (args.se !== undefined) {
  scenarios.push(adaptive(`adaptive, SE ≤ ${args.se}`, { seTarget: Number(args.se), minItems: Number(args['min-length']), maxItems: Number(args['max-length']) }));
}
const fixed = fixedForm();
const bs = bank.map((i) => i.b);
const bMean = bs.reduce((a, b) => a + b, 0) / bs.length;
const report = roundAll({
  benchmark: 'cat-simulate',
  date: started.toISOString(),
  command: `npm run cat:simulate -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg: os.loadavg() },
  options: { simulees: SIMULEES, bank: BANK, length: LENGTH, exposure: args.exposure, k: Number(args.k), rMax: R_MAX, seed: SEED, pretest: pretestItems.length, pretestPositions },
  population: PRIOR,
  bankSummary: { items: BANK, cells: SIMULATION_BLUEPRINT.sections.reduce((n, s) => n + s.cells.length, 0), bMean, bSd: Math.sqrt(bs.reduce((a, b) => a + (b - bMean) ** 2, 0) / bs.length) },
  raschRmseBound: raschRmseBound(LENGTH, PRIOR.sd),
  targets: { rmseAt30: 0.3, maxExposure: R_MAX },
  scenarios,
  fixedForm: fixed,
  seconds: (performance.now() - t0) / 1000,
});

const name = args.out ?? `cat-simulate-${args.exposure}-${LENGTH}${args.se !== undefined ? `-se${args.se}` : ''}`;
const dir = path.join(root, 'load-tests', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(dir, `${name}.md`), markdown(report));
log(`wrote load-tests/results/${name}.json and .md in ${report.seconds} s`);
console.log(markdown(report));

function markdown(r: typeof report): string {
  const f = (x: number, d = 3) => x.toFixed(d);
  const lines = [
    `# Adaptive test simulation (${r.date})`,
    '',
    `\`${r.command}\` — ${r.machine.cpus} cores (${r.machine.model}), Node ${r.machine.node}, load average ${r.machine.loadavg.join(' / ')}.`,
    '',
    `${r.options.simulees} simulees θ ~ N(${r.population.mean}, ${r.population.sd}²); simulated calibrated bank of ${r.bankSummary.items} items in ${r.bankSummary.cells} blueprint cells (b mean ${f(r.bankSummary.bMean, 2)}, SD ${f(r.bankSummary.bSd, 2)}); EAP with the N(0, 1) prior for every design. No estimator can beat RMSE ${f(r.raschRmseBound)} with ${r.options.length} Rasch items (van Trees bound, item information ≤ 0.25).`,
    '',
    '| design | bias | RMSE | mean SE | r(θ̂, θ) | length mean (min–max) | max exposure | bank never used | avg / max overlap | content violations | 10-point RMSE |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.name} (${s.exposure}) | ${f(s.recovery.bias)} | **${f(s.recovery.rmse)}** | ${f(s.recovery.meanSE)} | ${f(s.recovery.correlation)} | ${f(s.length.mean, 1)} (${s.length.min}–${s.length.max}) | **${f(s.exposureRates.max)}** | ${f(s.exposureRates.neverUsedShare)} | ${f(s.overlap.average)} / ${f(s.overlap.max)} | ${s.contentBalance.candidatesWithViolations} candidates, ${s.contentBalance.cellViolations} cells | ${f(s.score10.rmseAgainstTrueExpected, 2)} |`,
    ),
    `| ${r.fixedForm.name} | ${f(r.fixedForm.recovery.bias)} | **${f(r.fixedForm.recovery.rmse)}** | ${f(r.fixedForm.recovery.meanSE)} | ${f(r.fixedForm.recovery.correlation)} | ${r.options.length} | 1 | ${f(r.fixedForm.exposureRates.neverUsedShare)} | 1 / 1 | 0 (by construction) | ${f(r.fixedForm.raw10.rmseAgainstTrueExpected, 2)} (raw score) |`,
    '',
    'RMSE of θ by ability band:',
    '',
    `| band | n | ${r.scenarios.map((s) => s.name).join(' | ')} | ${r.fixedForm.name} |`,
    `|---|---|${r.scenarios.map(() => '---|').join('')}---|`,
    ...r.fixedForm.byBand.map((b, i) => `| ${b.band} | ${b.n} | ${r.scenarios.map((s) => f(s.byBand[i]!.rmse)).join(' | ')} | ${f(b.rmse)} |`),
    '',
  ];
  for (const s of r.scenarios) {
    if (s.derivation) {
      lines.push(
        `Sympson–Hetter parameters for "${s.name}": ${s.derivation.rounds.length} rounds (${s.derivation.converged ? 'converged' : 'NOT converged'}, ${f(s.derivation.seconds, 1)} s); largest exposure per round: ${s.derivation.rounds.map((x) => f(x.maxExposure)).join(', ')}.`,
        '',
      );
    }
    if (s.pretest) {
      lines.push(
        `Pretest items in "${s.name}": ${s.pretest.responses} responses collected, ${s.pretest.perItemMin}–${s.pretest.perItemMax} per item; largest difference between the reported θ and θ from the operational answers alone: ${s.pretest.largestThetaChange}.`,
        '',
      );
    }
    lines.push(`"${s.name}": stop reasons ${JSON.stringify(s.stopReasons)}; ${s.exposureRates.itemsAboveRMax} items above r_max; ${s.exposureRates.itemsUsed} items used; ${f(s.seconds, 1)} s for the simulees.`, '');
  }
  lines.push(`Fixed form difficulties: mean ${f(r.fixedForm.difficulties.mean, 2)}, from ${f(r.fixedForm.difficulties.min, 2)} to ${f(r.fixedForm.difficulties.max, 2)}. Whole run: ${f(r.seconds, 1)} s.`, '');
  return lines.join('\n');
}
