/**
 * The one scoring module (the rules of docs/item-types.md). Pure: no I/O, no clock, no randomness, inputs never mutated, so
 * the API, the grading workers and anything else that scores import it and
 * agree to the last decimal.
 *
 * Responses arrive from the wire, so they are `unknown` here. A response of the
 * wrong shape scores 0 and never throws; refusing it is responses.ts's job on
 * the live path.
 */
import type {
  ClozeItemBlank,
  ClozeItem,
  ItemContent,
  MatchingItem,
  MultipleChoiceItem,
  NumericItem,
  OrderingItem,
  ShortTextItem,
  TrueFalseClusterItem,
} from '../bank/item-types.js';
import { foldText, type FoldOptions } from '../text/fold.js';

/** The 2025 national-exam ladder: share of a cluster's points by number of statements right (0..4). */
export const NATIONAL_CLUSTER_LADDER: readonly number[] = Object.freeze([0, 0.1, 0.25, 0.5, 1]);

export interface ItemScore {
  /** Points earned, unrounded: round only the attempt total (`roundScore`). 0 while pending. */
  points: number;
  maxPoints: number;
  /** `pending` until a person grades it (essays). */
  status: 'scored' | 'pending';
}

export interface AttemptEntry {
  item: ItemContent;
  response: unknown;
  /** Overrides `item.points`, as a blueprint section's `pointsPerItem` does. */
  points?: number;
}

export interface AttemptScore {
  /** Sum of points earned, rounded to 2 decimals. */
  score: number;
  /** Sum of the items' points, rounded to 2 decimals. */
  maxScore: number;
  /** On the ten-point scale, computed from the unrounded sums. */
  score10: number;
  /** Some item awaits a person; score and score10 count it as 0 until then. */
  pending: boolean;
  /** In the order of the entries, unrounded. */
  perItem: ItemScore[];
}

/**
 * Scores one response. `points` overrides `item.points` (default 1); a value
 * that is not a finite number ≥ 0 is ignored. An absent (`undefined`/`null`) or
 * wrong-shaped response scores 0.
 */
export function scoreItem(item: ItemContent, response: unknown, points?: number): ItemScore {
  const maxPoints = resolvePoints(points, item.points);
  if (item.type === 'essay') {
    // A blank essay has nothing for a person to read: it is final at 0.
    const blank = typeof response !== 'string' || response.trim() === '';
    return blank ? { points: 0, maxPoints, status: 'scored' } : { points: 0, maxPoints, status: 'pending' };
  }
  const share = response === undefined || response === null ? 0 : shareRight(item, response);
  return { points: maxPoints * clamp01(share), maxPoints, status: 'scored' };
}

/** Scores a whole attempt; rounding happens here, once, at the end. */
export function scoreAttempt(entries: readonly AttemptEntry[]): AttemptScore {
  const perItem = entries.map((e) => scoreItem(e.item, e.response, e.points));
  let score = 0;
  let maxScore = 0;
  for (const s of perItem) {
    score += s.points;
    maxScore += s.maxPoints;
  }
  return {
    score: roundScore(score),
    maxScore: roundScore(maxScore),
    score10: toScore10(score, maxScore),
    pending: perItem.some((s) => s.status === 'pending'),
    perItem,
  };
}

/**
 * score / maxScore on the ten-point scale, rounded to 2 decimals (half away
 * from zero). An exam worth 0 points gives 0. Pass unrounded sums so rounding
 * happens once.
 */
export function toScore10(score: number, maxScore: number): number {
  if (!(maxScore > 0) || !Number.isFinite(score)) return 0;
  return roundScore(Math.min(10, Math.max(0, (score * 10) / maxScore)));
}

/**
 * Rounds to 2 decimals, half away from zero, on the decimal value the float
 * stands for: 2.675 (stored as 2.67499999…) → 2.68, 0.1 + 0.2 → 0.3, 1.005 → 1.01.
 * The float is first read back at 15 significant digits, which drops binary
 * noise but no digit that a sum of exam points can carry; the shift by 100 is
 * then done in decimal (exponent arithmetic), not by multiplying floats.
 */
export function roundScore(value: number): number {
  if (!Number.isFinite(value)) return value;
  const sign = value < 0 ? -1 : 1;
  const cleaned = Number(Math.abs(value).toPrecision(15));
  // Past 1e13 the 15 digits kept hold at most one decimal, and hundredths would exceed 2^53.
  if (cleaned >= 1e13) return sign * cleaned;
  const [mantissa = '0', exponent = '0'] = cleaned.toExponential().split('e');
  const hundredths = Math.round(Number(`${mantissa}e${Number(exponent) + 2}`));
  // An integer divided by 100 is correctly rounded: the same double as parsing "k e-2".
  const rounded = hundredths / 100;
  // No -0: a score shown as "-0" helps nobody.
  return rounded === 0 ? 0 : sign * rounded;
}

/**
 * The number a numeric response stands for, or undefined when it is not one.
 * Accepted: a finite number; a string of an optional sign (+, -, or U+2212 as
 * pasted from Word), digits with at most one decimal comma or point (",5" and
 * "5," too), surrounded by any whitespace. Refused: thousands separators
 * ("1.234,5", "1 234"), exponents ("1e3"), several separators ("1,5,3"),
 * fractions, percentages, "Infinity", "" — the answer sheet has none of these,
 * and guessing what they meant would make marks depend on the guess.
 */
export function parseNumericResponse(r: unknown): number | undefined {
  if (typeof r === 'number') return Number.isFinite(r) ? r : undefined;
  if (typeof r !== 'string') return undefined;
  const s = r.trim();
  if (!/^[+\-\u2212]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$/.test(s)) return undefined;
  const n = Number(s.replace('\u2212', '-').replace(',', '.'));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * |response − value| ≤ tolerance, allowing float error of 1e-12 relative to the
 * numbers compared (so 0.4 is within 0.1 of 0.3, yet 0 is not within 0 of
 * 6.67e-11). -0 equals 0. A tolerance that is not a finite number ≥ 0 counts as 0.
 */
export function numericMatches(response: unknown, value: number, tolerance = 0): boolean {
  const x = parseNumericResponse(response);
  if (x === undefined || !Number.isFinite(value)) return false;
  const tol = Number.isFinite(tolerance) && tolerance > 0 ? tolerance : 0;
  const slack = 1e-12 * Math.max(Math.abs(x), Math.abs(value), tol);
  return Math.abs(x - value) <= tol + slack;
}

/** Whether a text response matches one of the accepted answers under `foldText` with these options. */
export function textMatches(response: unknown, accepted: readonly string[], options: FoldOptions = {}): boolean {
  if (typeof response !== 'string') return false;
  const key = foldText(response, options);
  // An empty answer is never right, even against a key that folds to "".
  if (key === '') return false;
  return accepted.some((a) => typeof a === 'string' && foldText(a, options) === key);
}

/** Share of the item's points earned, before clamping; 0 for any wrong shape. */
function shareRight(item: Exclude<ItemContent, { type: 'essay' }>, r: unknown): number {
  switch (item.type) {
    case 'single_choice':
      return typeof r === 'string' && r === item.correct[0] ? 1 : 0;
    case 'multiple_choice':
      return multipleChoiceShare(item, r);
    case 'true_false':
      return typeof r === 'boolean' && r === item.value ? 1 : 0;
    case 'true_false_cluster':
      return clusterShare(item, r);
    case 'numeric':
      return numericShare(item, r);
    case 'short_text':
      return shortTextShare(item, r);
    case 'matching':
      return matchingShare(item, r);
    case 'ordering':
      return orderingShare(item, r);
    case 'cloze':
      return clozeShare(item, r);
  }
}

function multipleChoiceShare(item: MultipleChoiceItem, r: unknown): number {
  if (!isStringArray(r)) return 0;
  const correct = new Set(item.correct);
  const picked = new Set(r);
  if (correct.size === 0) return 0;
  let right = 0;
  for (const id of picked) if (correct.has(id)) right += 1;
  const wrong = picked.size - right;
  if (item.scoring === 'partial') return Math.max(0, (right - wrong) / correct.size);
  return right === correct.size && wrong === 0 ? 1 : 0;
}

/**
 * points × ladder[statements right]. The national ladder is the
 * default for the national 4-statement format; a cluster of another size
 * without its own ladder earns the share of statements right, and so does one
 * whose ladder does not have statements + 1 entries (an authoring error that
 * must not make grading fail).
 */
function clusterShare(item: TrueFalseClusterItem, r: unknown): number {
  if (!isRecord(r)) return 0;
  const n = item.statements.length;
  if (n === 0) return 0;
  let right = 0;
  for (const { id } of item.statements) {
    const answer = ownValue(r, id);
    if (typeof answer === 'boolean' && Object.hasOwn(item.values, id) && answer === item.values[id]) right += 1;
  }
  const ladder = item.ladder ?? (n === 4 ? NATIONAL_CLUSTER_LADDER : undefined);
  if (ladder === undefined || ladder.length !== n + 1) return right / n;
  const step = ladder[right];
  return typeof step === 'number' && Number.isFinite(step) ? step : 0;
}

function numericShare(item: NumericItem, r: unknown): number {
  return numericMatches(r, item.value, item.tolerance) ? 1 : 0;
}

function shortTextShare(item: ShortTextItem, r: unknown): number {
  return textMatches(r, item.accepted, item) ? 1 : 0;
}

function matchingShare(item: MatchingItem, r: unknown): number {
  if (!isRecord(r)) return 0;
  const premises = Object.keys(item.pairs);
  if (premises.length === 0) return 0;
  let right = 0;
  for (const p of premises) {
    const choice = ownValue(r, p);
    if (typeof choice === 'string' && choice === item.pairs[p]) right += 1;
  }
  return right / premises.length;
}

function orderingShare(item: OrderingItem, r: unknown): number {
  if (!isStringArray(r) || item.order.length === 0) return 0;
  let inPlace = 0;
  item.order.forEach((id, i) => {
    if (r[i] === id) inPlace += 1;
  });
  if (item.scoring === 'partial') return inPlace / item.order.length;
  return inPlace === item.order.length && r.length === item.order.length ? 1 : 0;
}

function clozeShare(item: ClozeItem, r: unknown): number {
  if (!isRecord(r) || item.blanks.length === 0) return 0;
  let right = 0;
  for (const blank of item.blanks) if (blankRight(blank, ownValue(r, blank.id))) right += 1;
  return right / item.blanks.length;
}

function blankRight(blank: ClozeItemBlank, answer: unknown): boolean {
  if ('accepted' in blank) return textMatches(answer, blank.accepted, blank);
  if ('options' in blank) {
    if (!blank.multiple) return typeof answer === 'string' && blank.correct.includes(answer);
    if (!Array.isArray(answer)) return false;
    const picked = new Set(answer);
    return picked.size === answer.length && picked.size === blank.correct.length && blank.correct.every((id) => picked.has(id));
  }
  return numericMatches(answer, blank.value, blank.tolerance);
}

function resolvePoints(override: number | undefined, itemPoints: number | undefined): number {
  if (isPoints(override)) return override;
  if (isPoints(itemPoints)) return itemPoints;
  return 1;
}

function isPoints(p: number | undefined): p is number {
  return typeof p === 'number' && Number.isFinite(p) && p >= 0;
}

function clamp01(x: number): number {
  if (!(x > 0)) return 0;
  return Math.min(x , 1);
}

function isStringArray(r: unknown): r is string[] {
  return Array.isArray(r) && r.every((x) => typeof x === 'string');
}

function isRecord(r: unknown): r is Record<string, unknown> {
  return typeof r === 'object' && r !== null && !Array.isArray(r);
}

// Own properties only: a response key such as "constructor" must not reach Object.prototype.
function ownValue(r: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(r, key) ? r[key] : undefined;
}
