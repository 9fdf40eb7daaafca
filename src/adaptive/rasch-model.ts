/**
 * The Rasch (1PL) item response function on the logit scale, as the bank's
 * calibration (src/analysis/rasch.ts, CML) estimates it: no discrimination
 * parameter and no scaling constant D, so an ability θ and a difficulty b from
 * that calibration plug in directly.
 */

/** P(right | θ, b) = 1 / (1 + e^(b − θ)). */
export function probabilityRight(theta: number, b: number): number {
  return 1 / (1 + Math.exp(b - theta));
}

/**
 * Fisher information of one Rasch item at θ: P(1 − P). It peaks at 0.25 where
 * θ = b and falls symmetrically with |θ − b|, which is why the most informative
 * item is simply the one whose difficulty is nearest the current estimate.
 */
export function itemInformation(theta: number, b: number): number {
  const p = probabilityRight(theta, b);
  return p * (1 - p);
}

/** log P(right) or log P(wrong), without overflow for any |θ − b|. */
export function logProbability(theta: number, b: number, correct: boolean): number {
  // log Λ(x) for x = ±(θ − b): −log(1 + e^(−x)), written so exp never overflows.
  const x = correct ? theta - b : b - theta;
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}
