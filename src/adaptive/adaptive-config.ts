/**
 * What an adaptive test is configured with, its defaults, and the checks that
 * refuse a configuration the engine could not honour.
 */
import type { CognitiveLevel, ItemType } from '../bank/item-types.js';
import { Unprocessable, type ErrorDetail } from '../errors.js';
import { DEFAULT_PRIOR, DEFAULT_QUADRATURE, type NormalPrior, type QuadratureRule } from './ability.js';
import type { AdaptiveBlueprint, ContentTagged } from './content-balance.js';

/** An operational item: calibrated, dichotomously scored, tagged for the blueprint. */
export interface AdaptiveItem extends ContentTagged {
  itemId: string;
  revision: number;
  /** Rasch difficulty in logits on the bank's common scale (the item's `raschDifficulty`). */
  b: number;
}

/** An item being tried out: delivered like the others, never scored, answers kept for calibration. */
export interface PretestItem {
  itemId: string;
  revision: number;
}

/** How often one item may be shown. */
export type ExposureControl =
  /** Always the most informative item (highest exposure; for comparisons). */
  | { method: 'none' }
  /** A seeded draw among the `k` most informative eligible items. */
  | { method: 'randomesque'; k: number }
  /**
   * Sympson–Hetter: the most informative item is given with probability
   * `parameters[itemId]` (missing: 1), else passed over for the rest of this
   * candidate's test and the next one tried. `deriveSympsonHetter` computes the
   * parameters from simulations.
   */
  | { method: 'sympson-hetter'; parameters: Readonly<Record<string, number>> };

/** When the test ends; every rule given applies, whichever is met first. */
export interface StopRules {
  /** Operational items after which the test always ends (fixed length: only this). */
  maxItems: number;
  /** No SE-based stop before this many operational items. @defaultValue 1 */
  minItems?: number;
  /** End once the SE of θ is at most this (logits). @defaultValue no SE rule */
  seTarget?: number;
}

/** Pretest items seeded into the sequence. */
export interface PretestPlan {
  items: readonly PretestItem[];
  /** 1-based delivery positions (counting every item delivered) that carry a pretest item. */
  positions?: readonly number[];
  /** Else, or besides: the chance that any other position carries one. @defaultValue 0 */
  rate?: number;
  /** Most pretest items one candidate sees. @defaultValue 5 */
  maxPerCandidate?: number;
}

/** How θ maps to the 10-point scale; see scoring.ts. */
export type Score10Scale =
  /** 10 × the expected share of points on a form of the same blueprint from the same pool. */
  | { method: 'expected-score' }
  /** θ in [thetaMin, thetaMax] mapped linearly onto [0, 10], clamped. */
  | { method: 'linear'; thetaMin: number; thetaMax: number };

export interface AdaptiveConfig {
  /** Prior of θ. @defaultValue N(0, 1) */
  prior?: NormalPrior;
  /** Quadrature of the EAP. @defaultValue 81 nodes over ±6 prior SDs */
  quadrature?: QuadratureRule;
  /** Content targets; without one the whole pool is one cell. */
  blueprint?: AdaptiveBlueprint;
  stop: StopRules;
  /** @defaultValue randomesque with k = 5 */
  exposure?: ExposureControl;
  pretest?: PretestPlan;
  /** @defaultValue expected-score */
  score10?: Score10Scale;
}

/** The configuration with every default filled in. */
export interface ResolvedConfig {
  prior: NormalPrior;
  quadrature: QuadratureRule;
  blueprint?: AdaptiveBlueprint;
  stop: Required<Pick<StopRules, 'maxItems' | 'minItems'>> & Pick<StopRules, 'seTarget'>;
  exposure: ExposureControl;
  pretest: Required<Pick<PretestPlan, 'items' | 'positions' | 'rate' | 'maxPerCandidate'>>;
  score10: Score10Scale;
}

export const DEFAULT_EXPOSURE: ExposureControl = Object.freeze({ method: 'randomesque', k: 5 });

/** A configuration or pool the engine cannot honour. */
export class AdaptiveConfigInvalid extends Unprocessable {
  override name = 'AdaptiveConfigInvalid';
  constructor(details: ErrorDetail[]) {
    super('adaptive_config_invalid', `The adaptive test configuration is invalid: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
}

const isInt = (x: unknown, min: number, max = Number.MAX_SAFE_INTEGER): x is number => Number.isInteger(x) && (x as number) >= min && (x as number) <= max;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const LEVELS: readonly number[] = [1, 2, 3, 4];

/** Fills in defaults and checks everything; throws AdaptiveConfigInvalid listing every problem. */
export function resolveConfig(items: readonly AdaptiveItem[], config: AdaptiveConfig): ResolvedConfig {
  const problems: ErrorDetail[] = [];
  const bad = (path: string, message: string) => problems.push({ path, message });

  const prior = config.prior ?? DEFAULT_PRIOR;
  if (!isNum(prior.mean)) bad('/prior/mean', 'must be a finite number');
  if (!isNum(prior.sd) || prior.sd <= 0) bad('/prior/sd', 'must be a positive number');
  const quadrature = config.quadrature ?? DEFAULT_QUADRATURE;
  if (!isInt(quadrature.points, 21, 1001)) bad('/quadrature/points', 'must be an integer from 21 to 1001');
  if (!isNum(quadrature.halfWidth) || quadrature.halfWidth < 3 || quadrature.halfWidth > 10) bad('/quadrature/halfWidth', 'must be from 3 to 10 prior SDs');

  const stop = config.stop;
  if (!isInt(stop?.maxItems, 1, 10_000)) bad('/stop/maxItems', 'must be an integer from 1 to 10000');
  const minItems = stop?.minItems ?? 1;
  if (!isInt(minItems, 0, stop?.maxItems ?? 0)) bad('/stop/minItems', 'must be an integer from 0 to maxItems');
  if (stop?.seTarget !== undefined && (!isNum(stop.seTarget) || stop.seTarget <= 0)) bad('/stop/seTarget', 'must be a positive number');

  const exposure = config.exposure ?? DEFAULT_EXPOSURE;
  if (exposure.method === 'randomesque') {
    if (!isInt(exposure.k, 1, 1000)) bad('/exposure/k', 'must be an integer from 1 to 1000');
  } else if (exposure.method === 'sympson-hetter') {
    for (const [id, k] of Object.entries(exposure.parameters ?? {})) {
      if (!isNum(k) || k <= 0 || k > 1) bad(`/exposure/parameters/${id}`, 'must be in (0, 1]');
    }
  } else if (exposure.method !== 'none') {
    bad('/exposure/method', 'must be none, randomesque or sympson-hetter');
  }

  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (typeof item.itemId !== 'string' || item.itemId === '') bad(`/items/${i}/itemId`, 'must be a non-empty string');
    else if (seen.has(item.itemId)) bad(`/items/${i}/itemId`, `${item.itemId} is listed twice`);
    seen.add(item.itemId);
    if (!isNum(item.b)) bad(`/items/${i}/b`, 'must be a finite difficulty (uncalibrated items can only be pretest items)');
    if (!LEVELS.includes(item.cognitiveLevel)) bad(`/items/${i}/cognitiveLevel`, 'must be 1, 2, 3 or 4');
  });

  const pretestIn = config.pretest;
  const pretest = {
    items: pretestIn?.items ?? [],
    positions: pretestIn?.positions ?? [],
    rate: pretestIn?.rate ?? 0,
    maxPerCandidate: pretestIn?.maxPerCandidate ?? 5,
  };
  pretest.items.forEach((item, i) => {
    if (seen.has(item.itemId)) bad(`/pretest/items/${i}/itemId`, `${item.itemId} is already operational or listed twice`);
    seen.add(item.itemId);
  });
  if (!pretest.positions.every((p) => isInt(p, 1)) || new Set(pretest.positions).size !== pretest.positions.length) {
    bad('/pretest/positions', 'must be distinct positive integers');
  }
  if (!isNum(pretest.rate) || pretest.rate < 0 || pretest.rate > 1) bad('/pretest/rate', 'must be from 0 to 1');
  if (!isInt(pretest.maxPerCandidate, 0)) bad('/pretest/maxPerCandidate', 'must be a non-negative integer');

  if (config.blueprint) {
    const sections = config.blueprint.sections ?? [];
    let total = 0;
    sections.forEach((section, s) =>
      section.cells.forEach((cell, c) => {
        if (!isInt(cell.count, 0)) bad(`/blueprint/sections/${s}/cells/${c}/count`, 'must be a non-negative integer');
        else total += cell.count;
        if (!LEVELS.includes(cell.cognitiveLevel)) bad(`/blueprint/sections/${s}/cells/${c}/cognitiveLevel`, 'must be 1, 2, 3 or 4');
      }),
    );
    if (total <= 0) bad('/blueprint/sections', 'must hold at least one cell with a positive count');
  }

  const score10 = config.score10 ?? { method: 'expected-score' };
  if (score10.method === 'linear') {
    if (!isNum(score10.thetaMin) || !isNum(score10.thetaMax) || score10.thetaMin >= score10.thetaMax) {
      bad('/score10', 'thetaMin and thetaMax must be finite with thetaMin < thetaMax');
    }
  } else if (score10.method !== 'expected-score') {
    bad('/score10/method', 'must be expected-score or linear');
  }

  if (problems.length > 0) throw new AdaptiveConfigInvalid(problems);
  return {
    prior: { mean: prior.mean, sd: prior.sd },
    quadrature: { points: quadrature.points, halfWidth: quadrature.halfWidth },
    ...(config.blueprint ? { blueprint: config.blueprint } : {}),
    stop: { maxItems: stop.maxItems, minItems, ...(stop.seTarget !== undefined ? { seTarget: stop.seTarget } : {}) },
    exposure,
    pretest,
    score10,
  };
}

/** One entry of a `blueprint_infeasible` answer for an adaptive pool. */
export interface ShortAdaptiveCell {
  cell: number;
  section: number;
  type?: ItemType;
  topic: string | null;
  cognitiveLevel: CognitiveLevel | null;
  needed: number;
  available: number;
}

/** The pool cannot give a maxItems-long test its blueprint shares. */
export class AdaptiveBlueprintInfeasible extends Unprocessable {
  override name = 'AdaptiveBlueprintInfeasible';
  constructor(readonly cells: ShortAdaptiveCell[]) {
    super(
      'blueprint_infeasible',
      `The calibrated pool cannot fill ${cells.length} cell${cells.length === 1 ? '' : 's'} of the blueprint at the maximum test length`,
      cells.map((c) => ({ ...c })),
    );
  }
}
