/**
 * Rasch (1PL) calibration of dichotomous items by conditional maximum
 * likelihood (CML), the estimator of R's eRm.
 *
 * Why CML: conditioning on each candidate's raw score removes the abilities
 * from the likelihood, so the difficulties are consistent as candidates grow
 * and need no (L − 1)/L correction as joint ML does. None is applied.
 *
 * - Identification: difficulties of the calibrated items sum to 0 (mean item
 *   difficulty = 0), eRm's `sum0 = TRUE`. SEs are for that parameterisation:
 *   with b_k = −Σ_{j<k} b_j, Cov(b) = A·J_η⁻¹·Aᵀ, where J_η is the conditional
 *   information of the k − 1 free parameters and A maps them to all k.
 * - Extremes: candidates with none or all of the calibrated items right carry
 *   no information about difficulties and are excluded; items then right (or
 *   wrong) for every remaining candidate have no finite estimate and are
 *   excluded too; both steps repeat until nothing changes. Counts and reasons
 *   are reported.
 * - Incomplete designs (several forms): the conditional likelihood is a product
 *   over item sets, each with its own elementary symmetric functions. Estimates
 *   exist only if the items are linked (Fischer, 1981, Psychometrika 46: the
 *   digraph "some candidate got i right and j wrong" is strongly connected);
 *   this is checked and the calibration refused otherwise.
 * - Newton–Raphson on the full conditional information with step halving; the
 *   conditional log-likelihood is concave, so it converges in a handful of steps.
 * - Abilities (ML, given the difficulties) are computed per item set and raw
 *   score for the fit statistics; infit/outfit are the usual mean squares over
 *   the calibrated (non-extreme) candidates, as Winsteps reports them. Because
 *   the abilities are estimated from the same responses, on short tests the
 *   mean squares run below 1 by roughly 1/L (L items): read 0.9 on a 10-item
 *   test as fitting.
 * - Cost: one pass over the matrix per exclusion round, then work per Newton
 *   step that depends only on the item sets (≈ m⁴/2 per set of m items), not on
 *   the number of candidates, because candidates are grouped by item set and
 *   raw score.
 */
import type { RaschExclusionReason, RaschItem, RaschOptions } from './types.js';

/** Code in the response matrix for an item that was not on the candidate's form. */
export const NOT_ADMINISTERED = 255;

export interface RaschCalibration {
  calibrated: boolean;
  note?: string;
  iterations: number;
  converged: boolean;
  maxChange: number | null;
  logLikelihood: number | null;
  persons: { calibrated: number; extremeZero: number; extremeFull: number; noItems: number };
  /**
   * Per input column: the estimate, why the item was left out, or null when the
   * calibration as a whole was refused (`note`).
   */
  items: (RaschItem | RaschExclusionReason | null)[];
  /** ML ability per candidate (logits); NaN for excluded candidates. */
  abilities: Float64Array;
}

const OK = 0;
const ZERO = 1;
const FULL = 2;
const NONE = 3;

interface ItemSet {
  /** Local item indices (into the active list). */
  items: Int32Array;
  /** Candidates per raw score 0..m (only 1..m−1 are filled). */
  counts: Float64Array;
  /** Raw scores that occur. */
  scores: Int32Array;
}

interface Evaluation {
  logL: number;
  grad: Float64Array;
  info: Float64Array;
}

/**
 * Calibrates a persons × items matrix of 0/1 responses (NOT_ADMINISTERED for
 * items not on a candidate's form), row-major.
 */
export function calibrateRasch(
  responses: Uint8Array,
  persons: number,
  itemCount: number,
  options: RaschOptions = {},
): RaschCalibration {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const maxWork = options.maxWork ?? 1e9;
  const N = persons;
  const K = itemCount;
  if (responses.length !== N * K) throw new RangeError('responses must hold persons × items entries');

  const reasons: (RaschExclusionReason | null)[] = new Array<RaschExclusionReason | null>(K).fill(null);
  const activeMask = new Uint8Array(K);
  {
    const seen = new Float64Array(K);
    for (let a = 0; a < N; a++) {
      const row = a * K;
      for (let i = 0; i < K; i++) if (responses[row + i] !== NOT_ADMINISTERED) seen[i]!++;
    }
    for (let i = 0; i < K; i++) {
      if (seen[i] === 0) reasons[i] = 'no_responses';
      else activeMask[i] = 1;
    }
  }

  // Exclude extreme candidates, then items without a finite estimate, until stable.
  const status = new Uint8Array(N);
  const raw = new Int32Array(N);
  const s = new Float64Array(K);
  const nOk = new Float64Array(K);
  let active = activeList(activeMask);
  for (;;) {
    for (let a = 0; a < N; a++) {
      const row = a * K;
      let m = 0;
      let r = 0;
      for (let j = 0; j < active.length; j++) {
        const v = responses[row + active[j]!]!;
        if (v !== NOT_ADMINISTERED) {
          m++;
          r += v;
        }
      }
      raw[a] = r;
      status[a] = m === 0 ? NONE : r === 0 ? ZERO : r === m ? FULL : OK;
    }
    s.fill(0);
    nOk.fill(0);
    for (let a = 0; a < N; a++) {
      if (status[a] !== OK) continue;
      const row = a * K;
      for (let j = 0; j < active.length; j++) {
        const i = active[j]!;
        const v = responses[row + i]!;
        if (v !== NOT_ADMINISTERED) {
          nOk[i]!++;
          s[i]! += v;
        }
      }
    }
    let removed = false;
    for (const i of active) {
      const reason: RaschExclusionReason | null =
        nOk[i] === 0 ? 'only_extreme_candidates' : s[i] === 0 ? 'all_wrong' : s[i] === nOk[i] ? 'all_correct' : null;
      if (reason !== null) {
        reasons[i] = reason;
        activeMask[i] = 0;
        removed = true;
      }
    }
    if (!removed) break;
    active = activeList(activeMask);
  }

  const personCounts = { calibrated: 0, extremeZero: 0, extremeFull: 0, noItems: 0 };
  for (let a = 0; a < N; a++) {
    const st = status[a];
    if (st === OK) personCounts.calibrated++;
    else if (st === ZERO) personCounts.extremeZero++;
    else if (st === FULL) personCounts.extremeFull++;
    else personCounts.noItems++;
  }
  const abilities = new Float64Array(N).fill(NaN);
  const base = {
    iterations: 0,
    converged: false,
    maxChange: null,
    logLikelihood: null,
    persons: personCounts,
    abilities,
  };
  const refuse = (note: string): RaschCalibration => ({
    ...base,
    calibrated: false,
    note,
    items: reasons.slice(),
  });
  const k = active.length;
  if (k < 2) return refuse('fewer than two items can be calibrated');
  if (!stronglyConnected(responses, N, K, active, status)) {
    return refuse('items are not linked by the responses (Fischer condition), so CML estimates do not exist');
  }

  // Group the calibrating candidates by item set and raw score.
  const local = new Int32Array(K).fill(-1);
  active.forEach((i, j) => (local[i] = j));
  const setIds = new Map<string, number>();
  const sets: { items: number[]; counts: number[] }[] = [];
  const setOf = new Int32Array(N).fill(-1);
  const codes: number[] = [];
  for (let a = 0; a < N; a++) {
    if (status[a] !== OK) continue;
    const row = a * K;
    codes.length = 0;
    let m = 0;
    for (let j = 0; j < k; j++) {
      if (responses[row + active[j]!] !== NOT_ADMINISTERED) {
        m++;
        codes.push(j & 0xffff, j >>> 16);
      }
    }
    const key = m === k ? '*' : String.fromCharCode(...codes);
    let id = setIds.get(key);
    if (id === undefined) {
      id = sets.length;
      setIds.set(key, id);
      const items: number[] = [];
      for (let j = 0; j < k; j++) if (responses[row + active[j]!] !== NOT_ADMINISTERED) items.push(j);
      sets.push({ items, counts: new Array<number>(m + 1).fill(0) });
    }
    setOf[a] = id;
    sets[id]!.counts[raw[a]!]!++;
  }
  const itemSets: ItemSet[] = sets.map(({ items, counts }) => ({
    items: Int32Array.from(items),
    counts: Float64Array.from(counts),
    scores: Int32Array.from(counts.flatMap((c, r) => (c > 0 ? [r] : []))),
  }));
  const work = itemSets.reduce((w, set) => w + set.items.length ** 4 / 2 + set.items.length ** 3, 0);
  if (work > maxWork) {
    return refuse(`${itemSets.length} distinct item sets exceed the CML work limit`);
  }

  const sLocal = Float64Array.from(active, (i) => s[i]!);
  const b = Float64Array.from(active, (i) => Math.log((nOk[i]! - s[i]!) / s[i]!));
  center(b);
  let state = evaluate(b, sLocal, itemSets);
  if (state === null) return refuse('numerical overflow in the symmetric functions');
  let iterations = 0;
  let converged = false;
  let maxChange = Infinity;
  while (iterations < maxIterations) {
    const step = newtonStep(state.info, state.grad, k);
    let lambda = 1;
    let accepted: Evaluation | null = null;
    let trial = new Float64Array(k);
    for (let halvings = 0; halvings < 40; halvings++) {
      trial = Float64Array.from(b, (x, j) => x + lambda * step[j]!);
      const next = evaluate(trial, sLocal, itemSets);
      if (next !== null && next.logL >= state.logL - 1e-12 * (1 + Math.abs(state.logL))) {
        accepted = next;
        break;
      }
      lambda /= 2;
    }
    iterations++;
    if (accepted === null) break; // no ascent possible: at the optimum to machine precision, or stuck
    maxChange = 0;
    for (let j = 0; j < k; j++) maxChange = Math.max(maxChange, Math.abs(trial[j]! - b[j]!));
    b.set(trial);
    state = accepted;
    if (maxChange < tolerance) {
      converged = true;
      break;
    }
  }

  const covariance = constrainedCovariance(state.info, k);
  if (covariance === null) return refuse('the information matrix is singular');

  // Abilities per item set and raw score, then fit mean squares from per-group counts.
  const thetas = itemSets.map((set) => {
    const m = set.items.length;
    const t = new Float64Array(m + 1).fill(NaN);
    for (const r of set.scores) t[r] = abilityFor(r, set.items, b);
    return t;
  });
  const correct = itemSets.map((set) => new Float64Array((set.items.length + 1) * set.items.length));
  const position = itemSets.map((set) => {
    const pos = new Int32Array(k).fill(-1);
    set.items.forEach((j, t) => (pos[j] = t));
    return pos;
  });
  for (let a = 0; a < N; a++) {
    const id = setOf[a]!;
    if (id < 0) continue;
    abilities[a] = thetas[id]![raw[a]!]!;
    const row = a * K;
    const m = itemSets[id]!.items.length;
    const counts = correct[id]!;
    const pos = position[id]!;
    const offset = raw[a]! * m;
    for (let j = 0; j < k; j++) if (responses[row + active[j]!] === 1) counts[offset + pos[j]!]!++;
  }
  const infitNum = new Float64Array(k);
  const infitDen = new Float64Array(k);
  const outfitSum = new Float64Array(k);
  const fitN = new Float64Array(k);
  itemSets.forEach((set, id) => {
    const m = set.items.length;
    for (const r of set.scores) {
      const n = set.counts[r]!;
      const theta = thetas[id]![r]!;
      for (let t = 0; t < m; t++) {
        const j = set.items[t]!;
        const p = 1 / (1 + Math.exp(b[j]! - theta));
        const w = p * (1 - p);
        const c = correct[id]![r * m + t]!;
        const squares = c * (1 - p) * (1 - p) + (n - c) * p * p;
        infitNum[j]! += squares;
        infitDen[j]! += n * w;
        outfitSum[j]! += squares / w;
        fitN[j]! += n;
      }
    }
  });

  const items: (RaschItem | RaschExclusionReason | null)[] = reasons.slice();
  active.forEach((i, j) => {
    items[i] = {
      difficulty: b[j]!,
      se: Math.sqrt(covariance[j]!),
      infit: infitNum[j]! / infitDen[j]!,
      outfit: outfitSum[j]! / fitN[j]!,
    };
  });
  return {
    ...base,
    calibrated: true,
    iterations,
    converged,
    maxChange: Number.isFinite(maxChange) ? maxChange : null,
    logLikelihood: state.logL,
    items,
  };
}

function activeList(mask: Uint8Array): number[] {
  const list: number[] = [];
  mask.forEach((on, i) => {
    if (on) list.push(i);
  });
  return list;
}

function center(b: Float64Array): void {
  let mean = 0;
  for (const x of b) mean += x;
  mean /= b.length;
  for (let j = 0; j < b.length; j++) b[j]! -= mean;
}

/**
 * Elementary symmetric functions γ₀..γ_deg of eps over `items`, leaving out the
 * positions skipA and skipB (−1: none). Summation algorithm: only additions of
 * positive terms, so relative accuracy is kept.
 */
function esf(eps: Float64Array, items: Int32Array, skipA: number, skipB: number, out: Float64Array): number {
  out[0] = 1;
  let deg = 0;
  for (let t = 0; t < items.length; t++) {
    if (t === skipA || t === skipB) continue;
    const e = eps[items[t]!]!;
    out[deg + 1] = 0;
    for (let d = deg + 1; d >= 1; d--) out[d]! += e * out[d - 1]!;
    deg++;
  }
  return deg;
}

/**
 * Conditional log-likelihood, its gradient in b and the conditional information
 * (minus the Hessian), summed over item sets. null on overflow.
 */
function evaluate(b: Float64Array, s: Float64Array, sets: ItemSet[]): Evaluation | null {
  const k = b.length;
  const eps = Float64Array.from(b, (x) => Math.exp(-x));
  const grad = new Float64Array(k);
  const info = new Float64Array(k * k);
  let logL = 0;
  for (let j = 0; j < k; j++) {
    logL -= s[j]! * b[j]!;
    grad[j] = -s[j]!;
  }
  for (const set of sets) {
    const m = set.items.length;
    const gamma = new Float64Array(m + 1);
    const minus1 = new Float64Array(m + 1);
    const minus2 = new Float64Array(m + 1);
    esf(eps, set.items, -1, -1, gamma);
    for (const r of set.scores) {
      const g = gamma[r]!;
      if (!(g > 0 && Number.isFinite(g))) return null;
      logL -= set.counts[r]! * Math.log(g);
    }
    // pi[t·(m+1) + r] = P(item at position t right | raw score r)
    const pi = new Float64Array(m * (m + 1));
    for (let t = 0; t < m; t++) {
      esf(eps, set.items, t, -1, minus1);
      const j = set.items[t]!;
      const e = eps[j]!;
      let expected = 0;
      let variance = 0;
      for (const r of set.scores) {
        const p = (e * minus1[r - 1]!) / gamma[r]!;
        pi[t * (m + 1) + r] = p;
        expected += set.counts[r]! * p;
        variance += set.counts[r]! * p * (1 - p);
      }
      grad[j]! += expected;
      info[j * k + j]! += variance;
    }
    for (let t = 0; t < m; t++) {
      const j = set.items[t]!;
      for (let u = t + 1; u < m; u++) {
        const l = set.items[u]!;
        esf(eps, set.items, t, u, minus2);
        const ee = eps[j]! * eps[l]!;
        let cov = 0;
        for (const r of set.scores) {
          const both = r >= 2 ? (ee * minus2[r - 2]!) / gamma[r]! : 0;
          cov += set.counts[r]! * (both - pi[t * (m + 1) + r]! * pi[u * (m + 1) + r]!);
        }
        info[j * k + l]! += cov;
        info[l * k + j]! += cov;
      }
    }
  }
  return { logL, grad, info };
}

/** J_η = AᵀJA and g_η = Aᵀg for the sum-zero parameterisation (last item dependent). */
function reduce(info: Float64Array, grad: Float64Array | null, k: number): { J: Float64Array; g: Float64Array } {
  const q = k - 1;
  const J = new Float64Array(q * q);
  const last = k - 1;
  for (let a = 0; a < q; a++) {
    for (let c = 0; c < q; c++) {
      J[a * q + c] = info[a * k + c]! - info[a * k + last]! - info[last * k + c]! + info[last * k + last]!;
    }
  }
  const g = new Float64Array(q);
  if (grad !== null) for (let a = 0; a < q; a++) g[a] = grad[a]! - grad[last]!;
  return { J, g };
}

function newtonStep(info: Float64Array, grad: Float64Array, k: number): Float64Array {
  const { J, g } = reduce(info, grad, k);
  const q = k - 1;
  const L = cholesky(J, q);
  let eta: Float64Array;
  if (L !== null) {
    eta = choleskySolve(L, q, g);
  } else {
    // Not positive definite (far from the optimum of a barely linked design): scaled gradient step.
    eta = Float64Array.from(g, (x, a) => x / Math.max(J[a * q + a]!, 1e-12));
  }
  const step = new Float64Array(k);
  let sum = 0;
  for (let a = 0; a < q; a++) {
    step[a] = eta[a]!;
    sum += eta[a]!;
  }
  step[k - 1] = -sum;
  return step;
}

/** Diagonal of Cov(b) = A J_η⁻¹ Aᵀ; null if J_η is not positive definite. */
function constrainedCovariance(info: Float64Array, k: number): Float64Array | null {
  const q = k - 1;
  const { J } = reduce(info, null, k);
  const L = cholesky(J, q);
  if (L === null) return null;
  const inverse = new Float64Array(q * q);
  const unit = new Float64Array(q);
  for (let c = 0; c < q; c++) {
    unit.fill(0);
    unit[c] = 1;
    const column = choleskySolve(L, q, unit);
    for (let a = 0; a < q; a++) inverse[a * q + c] = column[a]!;
  }
  const variance = new Float64Array(k);
  let total = 0;
  for (let a = 0; a < q; a++) {
    variance[a] = inverse[a * q + a]!;
    for (let c = 0; c < q; c++) total += inverse[a * q + c]!;
  }
  variance[k - 1] = total;
  return variance;
}

function cholesky(A: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * n + j]!;
      for (let p = 0; p < j; p++) sum -= L[i * n + p]! * L[j * n + p]!;
      if (i === j) {
        if (!(sum > 0)) return null;
        L[i * n + i] = Math.sqrt(sum);
      } else {
        L[i * n + j] = sum / L[j * n + j]!;
      }
    }
  }
  return L;
}

function choleskySolve(L: Float64Array, n: number, rhs: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = rhs[i]!;
    for (let p = 0; p < i; p++) sum -= L[i * n + p]! * y[p]!;
    y[i] = sum / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let p = i + 1; p < n; p++) sum -= L[p * n + i]! * x[p]!;
    x[i] = sum / L[i * n + i]!;
  }
  return x;
}

/** ML ability for raw score r (0 < r < m) on the given items: Σ P(θ) = r. */
function abilityFor(r: number, items: Int32Array, b: Float64Array): number {
  const m = items.length;
  let mean = 0;
  for (const j of items) mean += b[j]!;
  let theta = Math.log(r / (m - r)) + mean / m;
  for (let iter = 0; iter < 200; iter++) {
    let f = -r;
    let df = 0;
    for (const j of items) {
      const p = 1 / (1 + Math.exp(b[j]! - theta));
      f += p;
      df += p * (1 - p);
    }
    const delta = Math.max(-2, Math.min(2, f / df));
    theta -= delta;
    if (Math.abs(delta) < 1e-12) break;
  }
  return theta;
}

function stronglyConnected(responses: Uint8Array, N: number, K: number, active: number[], status: Uint8Array): boolean {
  const k = active.length;
  const W = Math.ceil(k / 32);
  // into[j] = set of items i with an edge i → j (someone got i right and j wrong).
  const into = new Uint32Array(k * W);
  const right = new Uint32Array(W);
  const wrong: number[] = [];
  for (let a = 0; a < N; a++) {
    if (status[a] !== OK) continue;
    const row = a * K;
    right.fill(0);
    wrong.length = 0;
    for (let j = 0; j < k; j++) {
      const v = responses[row + active[j]!];
      if (v === 1) right[j >>> 5]! |= 1 << (j & 31);
      else if (v === 0) wrong.push(j);
    }
    for (const j of wrong) for (let w = 0; w < W; w++) into[j * W + w]! |= right[w]!;
  }
  const has = (j: number, i: number): boolean => (into[j * W + (i >>> 5)]! & (1 << (i & 31))) !== 0;
  const reach = (forward: boolean): number => {
    const seen = new Uint8Array(k);
    const stack = [0];
    seen[0] = 1;
    let count = 1;
    while (stack.length > 0) {
      const x = stack.pop()!;
      for (let y = 0; y < k; y++) {
        if (seen[y] || !(forward ? has(y, x) : has(x, y))) continue;
        seen[y] = 1;
        count++;
        stack.push(y);
      }
    }
    return count;
  };
  return reach(true) === k && reach(false) === k;
}
