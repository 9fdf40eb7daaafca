/**
 * Simulation of adaptive tests: simulated candidates answering from the Rasch
 * model, a simulated calibrated bank, and the fixed form of the same blueprint
 * as the baseline. Used by `npm run cat:simulate`, by the Sympson–Hetter
 * derivation and by the tests. Pure and seeded throughout.
 *
 * The simulated bank's difficulties are taken as the true ones (no calibration
 * error), so the figures show what the design loses or gains, not what a noisy
 * calibration adds.
 */
import seedrandom from 'seedrandom';
import { abilityGrid, addResponse, posteriorSummary, type NormalPrior, type QuadratureRule } from './ability.js';
import type { AdaptiveItem } from './adaptive-config.js';
import type { CatEngine, AdaptiveResult, AdaptiveState } from './cat-engine.js';
import { cellMatches, contentCells, type AdaptiveBlueprint, type ContentCell } from './content-balance.js';
import { probabilityRight } from './rasch-model.js';

/** A seeded stream named by its parts. */
export function simulationRandom(...parts: (string | number)[]): () => number {
  return seedrandom(parts.join('\u0000'));
}

/** Standard normal deviates by Box–Muller. */
export function normalDeviates(count: number, mean: number, sd: number, random: () => number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - random(); // (0, 1]: log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * random();
    out[i] = mean + sd * r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = mean + sd * r * Math.sin(angle);
  }
  return out;
}

/** Splits `total` over weights by largest remainders (ties to the earlier). */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (w * total) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((x, y) => y.r - x.r || x.i - y.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

/**
 * The blueprint of the simulations and the benchmark: 30 items in three
 * sections in the manner of a Vietnamese school test — 18 single choice over
 * three topics at levels 1–3, 6 true/false at level 2, 6 numeric answers at
 * levels 3–4 — in 16 cells (9 + 12 + 6 + 3 items at levels 1..4).
 */
export const SIMULATION_BLUEPRINT: AdaptiveBlueprint = {
  sections: [
    {
      title: 'Phần I',
      type: 'single_choice',
      cells: ['t1', 't2', 't3'].flatMap((topic) => [
        { topic, cognitiveLevel: 1 as const, count: 3 },
        { topic, cognitiveLevel: 2 as const, count: 2 },
        { topic, cognitiveLevel: 3 as const, count: 1 },
      ]),
    },
    { title: 'Phần II', type: 'true_false', cells: ['t1', 't2', 't3'].map((topic) => ({ topic, cognitiveLevel: 2 as const, count: 2 })) },
    {
      title: 'Phần III',
      type: 'numeric',
      cells: [
        { topic: 't1', cognitiveLevel: 3, count: 2 },
        { topic: 't2', cognitiveLevel: 3, count: 1 },
        { topic: 't2', cognitiveLevel: 4, count: 1 },
        { topic: 't3', cognitiveLevel: 4, count: 2 },
      ],
    },
  ],
};

export interface SimulatedBankOptions {
  size: number;
  blueprint: AdaptiveBlueprint;
  seed: string;
  /** Mean difficulty of cognitive levels 1..4 (logits). @defaultValue [−1, −0.3, 0.4, 1.1] */
  levelMeans?: readonly [number, number, number, number];
  /** Spread of difficulties within a level. @defaultValue 0.8 */
  levelSd?: number;
}

export const DEFAULT_LEVEL_MEANS = [-1, -0.3, 0.4, 1.1] as const;

/**
 * A calibrated bank shaped like the blueprint: each cell holds items in
 * proportion to its count, with difficulties N(levelMean, levelSd²) by
 * cognitive level — recall items easy, high-application items hard, the whole
 * bank centred a little below 0 with an SD of about 1.
 */
export function simulateBank(options: SimulatedBankOptions): AdaptiveItem[] {
  const cells = contentCells(options.blueprint);
  const means = options.levelMeans ?? DEFAULT_LEVEL_MEANS;
  const sd = options.levelSd ?? 0.8;
  const sizes = apportion(
    cells.map((c) => c.count),
    options.size,
  );
  const random = simulationRandom(options.seed, 'bank');
  const items: AdaptiveItem[] = [];
  cells.forEach((cell, c) => {
    const level = cell.cognitiveLevel ?? 2;
    const b = normalDeviates(sizes[c]!, means[level - 1]!, sd, random);
    for (let j = 0; j < sizes[c]!; j++) {
      items.push({
        itemId: `sim-${String(c).padStart(2, '0')}-${String(j).padStart(4, '0')}`,
        revision: 1,
        type: cell.type ?? 'single_choice',
        topic: cell.topic ?? 'any',
        cognitiveLevel: level,
        b: b[j]!,
      });
    }
  });
  return items;
}

/**
 * The fixed-form baseline: `length` items split over the blueprint's cells by
 * their counts, and within each cell of n items the items nearest the
 * population's quantiles at (j − ½)/n, so the form spreads its difficulties
 * over the candidates it will meet while meeting the blueprint exactly.
 */
export function assembleFixedForm(items: readonly AdaptiveItem[], blueprint: AdaptiveBlueprint | undefined, length: number, population: NormalPrior): AdaptiveItem[] {
  const cells = contentCells(blueprint);
  const per = apportion(
    cells.map((c) => c.count),
    length,
  );
  const used = new Set<string>();
  const form: AdaptiveItem[] = [];
  cells.forEach((cell: ContentCell, c) => {
    const pool = items.filter((item) => cellMatches(cell, item));
    const n = per[c]!;
    for (let j = 1; j <= n; j++) {
      const target = population.mean + population.sd * normalQuantile((j - 0.5) / n);
      let best: AdaptiveItem | null = null;
      for (const item of pool) {
        if (used.has(item.itemId)) continue;
        if (best === null || Math.abs(item.b - target) < Math.abs(best.b - target)) best = item;
      }
      if (best === null) throw new RangeError(`the bank cannot fill cell ${c} of the fixed form`);
      used.add(best.itemId);
      form.push(best);
    }
  });
  return form;
}

/** Φ(x) by Simpson's rule on the density from 0 (error far below 1e-9 for |x| ≤ 8). */
function normalCdf(x: number): number {
  const steps = 400;
  const h = x / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const t = i * h;
    sum += (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2) * Math.exp(-0.5 * t * t);
  }
  return 0.5 + (sum * h) / 3 / Math.sqrt(2 * Math.PI);
}

/** Φ⁻¹(p) by bisection on Φ: slow but exact enough, and only form assembly uses it. */
export function normalQuantile(p: number): number {
  let lo = -8;
  let hi = 8;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface SimulatedCandidate {
  state: AdaptiveState;
  result: AdaptiveResult;
}

/**
 * One simulee of ability `theta` through the engine: each item answered right
 * with the Rasch probability at its difficulty (`trueDifficulty` for pretest
 * items, which the engine does not know).
 */
export function simulateCandidate(engine: CatEngine, theta: number, seed: string, trueDifficulty?: ReadonlyMap<string, number>): SimulatedCandidate {
  const random = simulationRandom(seed, 'answers');
  let state = engine.start(seed);
  for (;;) {
    const step = engine.next(state);
    if (step.item === null) break;
    const b = step.item.pretest ? trueDifficulty?.get(step.item.itemId) : step.state.items[step.state.items.length - 1]!.b;
    if (b === undefined || b === null) throw new RangeError(`no true difficulty for ${step.item.itemId}`);
    state = engine.record(step.state, step.item.itemId, random() < probabilityRight(theta, b));
  }
  return { state, result: engine.result(state) };
}

/** EAP estimates of simulees taking one fixed form (answers drawn as for the adaptive test). */
export function simulateFixedForm(
  form: readonly AdaptiveItem[],
  thetas: Float64Array,
  seed: string,
  prior: NormalPrior,
  quadrature: QuadratureRule,
): { theta: Float64Array; se: Float64Array } {
  const grid = abilityGrid(prior, quadrature);
  const theta = new Float64Array(thetas.length);
  const se = new Float64Array(thetas.length);
  const likelihood = new Float64Array(grid.nodes.length);
  thetas.forEach((truth, s) => {
    const random = simulationRandom(seed, 'fixed', s);
    likelihood.fill(0);
    for (const item of form) addResponse(grid, likelihood, item.b, random() < probabilityRight(truth, item.b));
    const estimate = posteriorSummary(grid, likelihood);
    theta[s] = estimate.theta;
    se[s] = estimate.se;
  });
  return { theta, se };
}

export interface Recovery {
  n: number;
  /** Mean of θ̂ − θ. */
  bias: number;
  /** √mean (θ̂ − θ)². */
  rmse: number;
  /** Mean reported SE. */
  meanSE: number;
  correlation: number;
}

/** How well estimates recover the true abilities; `where` restricts to some simulees. */
export function recovery(truth: ArrayLike<number>, estimate: ArrayLike<number>, se: ArrayLike<number>, where: (theta: number) => boolean = () => true): Recovery {
  let n = 0;
  let e1 = 0;
  let e2 = 0;
  let s1 = 0;
  let t1 = 0;
  let h1 = 0;
  for (let i = 0; i < truth.length; i++) {
    if (!where(truth[i]!)) continue;
    n++;
    const err = estimate[i]! - truth[i]!;
    e1 += err;
    e2 += err * err;
    s1 += se[i]!;
    t1 += truth[i]!;
    h1 += estimate[i]!;
  }
  const mt = t1 / n;
  const mh = h1 / n;
  let stt = 0;
  let shh = 0;
  let sth = 0;
  for (let i = 0; i < truth.length; i++) {
    if (!where(truth[i]!)) continue;
    const dt = truth[i]! - mt;
    const dh = estimate[i]! - mh;
    stt += dt * dt;
    shh += dh * dh;
    sth += dt * dh;
  }
  return { n, bias: e1 / n, rmse: Math.sqrt(e2 / n), meanSE: s1 / n, correlation: sth / Math.sqrt(stt * shh) };
}

/**
 * The van Trees (Bayesian Cramér–Rao) bound on the RMSE of any estimator of θ
 * from `length` Rasch items when θ ~ N(μ, σ²): 1/√(1/σ² + 0.25·length), since
 * no item gives more information than 0.25. With σ = 1 and 30 items: 0.343.
 */
export function raschRmseBound(length: number, populationSd: number): number {
  return 1 / Math.sqrt(1 / (populationSd * populationSd) + 0.25 * length);
}
