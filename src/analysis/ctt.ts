/**
 * Classical test theory over stored attempts: item difficulty and
 * discrimination, option (distractor) statistics, reliability and the score
 * distribution. Conventions, so numbers can be checked by hand:
 *
 * - An item's statistics use the attempts whose form carried it (`n`).
 * - `pointBiserial` is the corrected item–total correlation: Pearson's r between
 *   the item score and the rest score (total − item). For a polytomous item it
 *   is the item–rest correlation under the same name.
 * - Option point-biserials correlate "selected this option" (0/1) with the same
 *   rest score, so the key gets no credit for its own points.
 * - Upper/lower groups: candidates who took the item ranked by their share of
 *   the available points (= by total score on a single form); each group holds
 *   g = round(groupShare·n) candidates. Candidates tied at a group boundary
 *   share the remaining places equally (fractional weights), so the result does
 *   not depend on the order attempts arrived in.
 * - Reliability per form (set of items): alpha = k/(k−1)·(1 − Σσᵢ²/σ²ₓ), which
 *   equals KR-20 on 0/1 items (σᵢ² = pq); both variances use the same divisor, so
 *   the value is the same with n or n − 1. `sd` is the sample SD (n − 1) and
 *   SEM = sd·√(1 − reliability). With several forms the exam-level SEM pools the
 *   forms' error variances, SEM² = Σ nₖ·SEMₖ² / Σ nₖ, and the exam-level
 *   reliability is 1 − SEM²/sd²; with one form these reduce to the usual formulas.
 * - Ten-point score: 10·total/maxTotal rounded to 2 decimals (what the results
 *   page shows), binned [0,w), [w,2w), …, the last bin closed at 10.
 */
import type { ResponseMatrix } from './responses.js';
import type { ExamAnalysis, FormAnalysis, OptionAnalysis, Reliability, ScoreBin, ScoreDistribution } from './types.js';

export interface CttOptions {
  /** @defaultValue 0.27 */
  groupShare?: number;
  /** @defaultValue 1 */
  binWidth?: number;
}

export interface CttItem {
  n: number;
  mean: number | null;
  pValue: number | null;
  pointBiserial: number | null;
  discrimination: number | null;
  omitted: number;
  options: Record<string, OptionAnalysis>;
}

/** The exam-level statistics of the report (everything but the items). */
export type CttExam = Omit<ExamAnalysis, 'items' | 'rasch'>;

export function computeCtt(m: ResponseMatrix, options: CttOptions = {}): { exam: CttExam; items: CttItem[] } {
  const groupShare = options.groupShare ?? 0.27;
  if (!(groupShare > 0 && groupShare < 0.5)) throw new RangeError('groupShare must be in (0, 0.5)');
  const N = m.attempts;
  const K = m.columns.length;
  const { scores, totals, selections } = m;
  const C = m.choiceColumns;

  // Pass 1: sums for means, min/max to detect constants exactly.
  const n = new Float64Array(K);
  const sumX = new Float64Array(K);
  const sumR = new Float64Array(K);
  const minX = new Float64Array(K).fill(Infinity);
  const maxX = new Float64Array(K).fill(-Infinity);
  const minR = new Float64Array(K).fill(Infinity);
  const maxR = new Float64Array(K).fill(-Infinity);
  const P = m.patternCount;
  const formN = new Float64Array(P);
  const formSumT = new Float64Array(P);
  const formSumX = new Float64Array(P * K);
  const formMax = new Float64Array(P);
  const formFirst = new Uint32Array(P);
  let sumT = 0;
  for (let a = 0; a < N; a++) {
    const t = totals[a]!;
    const p = m.patterns[a]!;
    sumT += t;
    if (formN[p] === 0) {
      formMax[p] = m.maxTotals[a]!;
      formFirst[p] = a;
    }
    formN[p]!++;
    formSumT[p]! += t;
    const row = a * K;
    const formRow = p * K;
    for (let i = 0; i < K; i++) {
      const x = scores[row + i]!;
      if (Number.isNaN(x)) continue; // not on this form
      const r = t - x;
      n[i]!++;
      sumX[i]! += x;
      sumR[i]! += r;
      if (x < minX[i]!) minX[i] = x;
      if (x > maxX[i]!) maxX[i] = x;
      if (r < minR[i]!) minR[i] = r;
      if (r > maxR[i]!) maxR[i] = r;
      formSumX[formRow + i]! += x;
    }
  }
  const meanX = new Float64Array(K);
  const meanR = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    meanX[i] = n[i]! > 0 ? sumX[i]! / n[i]! : 0;
    meanR[i] = n[i]! > 0 ? sumR[i]! / n[i]! : 0;
  }
  const formMeanT = new Float64Array(P);
  const formMeanX = new Float64Array(P * K);
  for (let p = 0; p < P; p++) {
    formMeanT[p] = formSumT[p]! / formN[p]!;
    for (let i = 0; i < K; i++) formMeanX[p * K + i] = formSumX[p * K + i]! / formN[p]!;
  }
  const meanT = N > 0 ? sumT / N : 0;

  // Pass 2: centred sums of squares and products.
  const sxx = new Float64Array(K);
  const srr = new Float64Array(K);
  const sxr = new Float64Array(K);
  const formSxx = new Float64Array(P * K);
  const formStt = new Float64Array(P);
  const optCount = new Float64Array(C * 32);
  const optSumR = new Float64Array(C * 32);
  const omitted = new Float64Array(K);
  const choiceColumnOf = m.columns.map((c) => c.choiceColumn);
  let stt = 0;
  for (let a = 0; a < N; a++) {
    const t = totals[a]!;
    const p = m.patterns[a]!;
    stt += (t - meanT) * (t - meanT);
    formStt[p]! += (t - formMeanT[p]!) * (t - formMeanT[p]!);
    const row = a * K;
    const formRow = p * K;
    for (let i = 0; i < K; i++) {
      const x = scores[row + i]!;
      if (Number.isNaN(x)) continue;
      const dx = x - meanX[i]!;
      const dr = t - x - meanR[i]!;
      sxx[i]! += dx * dx;
      srr[i]! += dr * dr;
      sxr[i]! += dx * dr;
      const fx = x - formMeanX[formRow + i]!;
      formSxx[formRow + i]! += fx * fx;
      const c = choiceColumnOf[i]!;
      if (c >= 0) {
        let mask = selections[a * C + c]!;
        if (mask === 0) omitted[i]!++;
        while (mask !== 0) {
          const bit = 31 - Math.clz32(mask & -mask);
          mask &= mask - 1;
          optCount[c * 32 + bit]!++;
          optSumR[c * 32 + bit]! += dr;
        }
      }
    }
  }

  // Upper and lower groups need the candidates ranked by their share of available points.
  const ratio = new Float64Array(N);
  for (let a = 0; a < N; a++) ratio[a] = Math.round((1e9 * totals[a]!) / m.maxTotals[a]!) / 1e9;
  const order = new Uint32Array(N);
  for (let a = 0; a < N; a++) order[a] = a;
  order.sort((x, y) => ratio[y]! - ratio[x]! || x - y);
  const taken = new Uint32Array(N);
  const upperOpt = new Float64Array(32);
  const lowerOpt = new Float64Array(32);

  const items: CttItem[] = [];
  for (let i = 0; i < K; i++) {
    const column = m.columns[i]!;
    const max = column.maxPoints;
    const ni = n[i]!;
    const c = column.choiceColumn;
    const xConst = !(maxX[i]! > minX[i]!);
    const rConst = !(maxR[i]! > minR[i]!);

    let count = 0;
    for (let o = 0; o < N; o++) {
      const a = order[o]!;
      if (!Number.isNaN(scores[a * K + i]!)) taken[count++] = a;
    }
    const g = Math.round(groupShare * ni);
    let discrimination: number | null = null;
    upperOpt.fill(0);
    lowerOpt.fill(0);
    if (g >= 1) {
      const upper = groupSum(taken, count, g, true, ratio, scores, K, i, max, selections, C, c, upperOpt);
      const lower = groupSum(taken, count, g, false, ratio, scores, K, i, max, selections, C, c, lowerOpt);
      discrimination = (upper - lower) / g;
    }

    const optionStats: Record<string, OptionAnalysis> = {};
    if (c >= 0) {
      column.optionIds.forEach((optionId, bit) => {
        const k = optCount[c * 32 + bit]!;
        const share = ni > 0 ? k / ni : 0;
        let pointBiserial: number | null = null;
        if (k > 0 && k < ni && !rConst) {
          const cov = optSumR[c * 32 + bit]! / ni;
          pointBiserial = cov / Math.sqrt(share * (1 - share) * (srr[i]! / ni));
        }
        optionStats[optionId] = {
          count: k,
          share,
          pointBiserial,
          key: (column.keyMask & (1 << bit)) !== 0,
          upperShare: g >= 1 ? upperOpt[bit]! / g : null,
          lowerShare: g >= 1 ? lowerOpt[bit]! / g : null,
        };
      });
    }

    items.push({
      n: ni,
      mean: ni > 0 ? meanX[i]! : null,
      pValue: ni > 0 ? meanX[i]! / max : null,
      pointBiserial: ni > 1 && !xConst && !rConst ? sxr[i]! / Math.sqrt(sxx[i]! * srr[i]!) : null,
      discrimination,
      omitted: omitted[i]!,
      options: optionStats,
    });
  }

  // Reliability per form, then pooled.
  const forms: FormAnalysis[] = [];
  let pooledN = 0;
  let pooledErr = 0;
  for (let p = 0; p < P; p++) {
    const np = formN[p]!;
    let k = 0;
    let sumItemVar = 0;
    const first = formFirst[p]! * K;
    for (let i = 0; i < K; i++) {
      // Every attempt of a form carries the same items, so its first attempt tells.
      if (!Number.isNaN(scores[first + i]!)) {
        k++;
        sumItemVar += formSxx[p * K + i]!;
      }
    }
    const sd = np > 1 ? Math.sqrt(formStt[p]! / (np - 1)) : null;
    let reliability: number | null = null;
    let sem: number | null = null;
    if (np > 1 && k > 1 && formStt[p]! > 0) {
      reliability = (k / (k - 1)) * (1 - sumItemVar / formStt[p]!);
      sem = sd! * Math.sqrt(Math.max(0, 1 - reliability));
      pooledN += np;
      pooledErr += np * sem * sem;
    }
    forms.push({ itemCount: k, maxScore: formMax[p]!, candidates: np, mean: formMeanT[p]!, sd, reliability, sem });
  }
  const sd = N > 1 ? Math.sqrt(stt / (N - 1)) : null;
  let reliabilityValue: number | null = null;
  let sem: number | null = null;
  if (pooledN > 0) {
    sem = Math.sqrt(pooledErr / pooledN);
    if (P === 1) reliabilityValue = forms[0]!.reliability;
    else if (sd !== null && sd > 0) reliabilityValue = 1 - (sem * sem) / (sd * sd);
  }
  const allDichotomous = m.dichotomous.every((d, i) => d || n[i] === 0);
  const reliability: Reliability = allDichotomous ? { kr20: reliabilityValue } : { alpha: reliabilityValue };

  return {
    exam: {
      candidates: N,
      mean: N > 0 ? meanT : null,
      sd,
      reliability,
      sem,
      forms,
      distribution: distribution(m, options.binWidth ?? 1),
    },
    items,
  };
}

/**
 * Weighted sum of proportion-scores over the top (or bottom) g candidates of
 * `taken` (sorted best first); a tie block straddling the boundary shares the
 * remaining places. Adds the same weights per selected option into `optionSums`.
 */
function groupSum(
  taken: Uint32Array,
  count: number,
  g: number,
  top: boolean,
  ratio: Float64Array,
  scores: Float64Array,
  K: number,
  item: number,
  max: number,
  selections: Uint32Array,
  C: number,
  choiceColumn: number,
  optionSums: Float64Array,
): number {
  let remaining = g;
  let sum = 0;
  let pos = 0;
  while (remaining > 1e-12 && pos < count) {
    const at = (j: number): number => taken[top ? j : count - 1 - j]!;
    const level = ratio[at(pos)]!;
    let end = pos + 1;
    while (end < count && ratio[at(end)] === level) end++;
    const size = end - pos;
    const w = Math.min(1, remaining / size);
    for (let j = pos; j < end; j++) {
      const a = at(j);
      sum += (w * scores[a * K + item]!) / max;
      if (choiceColumn >= 0) {
        let mask = selections[a * C + choiceColumn]!;
        while (mask !== 0) {
          const bit = 31 - Math.clz32(mask & -mask);
          mask &= mask - 1;
          optionSums[bit]! += w;
        }
      }
    }
    remaining -= w * size;
    pos = end;
  }
  return sum;
}

function distribution(m: ResponseMatrix, binWidth: number): ScoreDistribution {
  const w100 = Math.round(binWidth * 100);
  if (!(w100 >= 1 && Math.abs(w100 - binWidth * 100) < 1e-6 && 1000 % w100 === 0)) {
    throw new RangeError(`binWidth ${binWidth} must divide 10 in hundredths`);
  }
  const nBins = 1000 / w100;
  const counts = new Float64Array(nBins);
  const N = m.attempts;
  let sum = 0;
  for (let a = 0; a < N; a++) {
    const s100 = Math.round((1000 * m.totals[a]!) / m.maxTotals[a]!);
    sum += s100;
    counts[Math.min(Math.floor(s100 / w100), nBins - 1)]!++;
  }
  const mean100 = N > 0 ? sum / N : 0;
  let ss = 0;
  for (let a = 0; a < N; a++) {
    const d = Math.round((1000 * m.totals[a]!) / m.maxTotals[a]!) - mean100;
    ss += d * d;
  }
  const bins: ScoreBin[] = [];
  for (let b = 0; b < nBins; b++) {
    bins.push({ from: (b * w100) / 100, to: ((b + 1) * w100) / 100, count: counts[b]!, share: N > 0 ? counts[b]! / N : 0 });
  }
  return {
    binWidth: w100 / 100,
    mean: N > 0 ? mean100 / 100 : null,
    sd: N > 1 ? Math.sqrt(ss / (N - 1)) / 100 : null,
    bins,
  };
}
