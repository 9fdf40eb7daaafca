/**
 * The 10-point score of an adaptive test ("thang điểm 10").
 *
 * θ is the measurement; schools report on 0–10 with two decimals. The default
 * transformation is the expected score on the paper version of the same exam:
 *
 *   score10(θ) = 10 · Σ_c w_c · mean_{i ∈ cell c} P(right | θ, b_i) / Σ_c w_c,
 *   w_c = count_c · pointsPerItem_c,
 *
 * i.e. the share of points a candidate of ability θ is expected to earn on a
 * form drawn from the same blueprint out of the same calibrated pool, on the
 * 10-point scale, rounded to 0.01. Why this one:
 * - it means what a fixed-form score of the same blueprint means, so adaptive
 *   and paper sittings of one exam are reported on one scale (a test
 *   characteristic curve, the true-score side of IRT equating);
 * - it is strictly increasing in θ and stays inside [0, 10] without an
 *   arbitrary clamp, and a school can reason about it ("about 7 of 10 points");
 * - it weights sections by their points as the paper form would.
 * It depends on the pool: scores should be stored with the result, not
 * recomputed after the pool changes.
 *
 * The alternative `linear` maps θ ∈ [thetaMin, thetaMax] (e.g. [−3, 3])
 * linearly onto [0, 10], clamped, for pools that are a poor reference form.
 */
import type { AdaptiveItem, Score10Scale } from './adaptive-config.js';
import type { ContentCell } from './content-balance.js';
import type { CellIndex } from './selection.js';
import { probabilityRight } from './rasch-model.js';

/** Rounds to the 0.01 of school reports. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The reference form as difficulties and weights (summing to 1). */
export interface ReferenceForm {
  b: Float64Array;
  weight: Float64Array;
}

/** Each cell's pool items, weighted so cell c carries count_c · points_c of the whole. */
export function referenceForm(items: readonly AdaptiveItem[], cells: readonly ContentCell[], index: readonly CellIndex[]): ReferenceForm {
  let total = 0;
  for (const c of cells) if (index[c.index]!.items.length > 0) total += c.count * c.points;
  const b: number[] = [];
  const weight: number[] = [];
  for (const c of cells) {
    const members = index[c.index]!.items;
    if (members.length === 0 || total === 0) continue;
    const w = (c.count * c.points) / total / members.length;
    for (const i of members) {
      b.push(items[i]!.b);
      weight.push(w);
    }
  }
  return { b: Float64Array.from(b), weight: Float64Array.from(weight) };
}

/** 10 × the expected share of points on the reference form, unrounded. */
export function expectedScore10(theta: number, form: ReferenceForm): number {
  let s = 0;
  for (let i = 0; i < form.b.length; i++) s += form.weight[i]! * probabilityRight(theta, form.b[i]!);
  return 10 * s;
}

/** θ ∈ [thetaMin, thetaMax] onto [0, 10], clamped, unrounded. */
export function linearScore10(theta: number, thetaMin: number, thetaMax: number): number {
  return Math.min(10, Math.max(0, (10 * (theta - thetaMin)) / (thetaMax - thetaMin)));
}

export function score10(theta: number, scale: Score10Scale, form: ReferenceForm): number {
  return round2(scale.method === 'linear' ? linearScore10(theta, scale.thetaMin, scale.thetaMax) : expectedScore10(theta, form));
}
