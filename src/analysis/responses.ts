/**
 * Compact storage of graded attempts for item analysis: one Float64 per
 * (attempt, item) and one 32-bit option mask per (attempt, choice item), grown
 * by doubling. 100,000 attempts × 50 items take 40 MB of scores plus 20 MB of
 * masks when every item is a choice item.
 */
import type { AnalysisItem, AttemptScores, ChoiceResponse } from './types.js';

export class AnalysisInputError extends Error {
  override name = 'AnalysisInputError';
}

/** Options per item the masks can hold. Items have 2..10 (docs/item-types.md). */
export const MAX_OPTIONS = 32;

// Scores are rounded to 2 decimals upstream; anything within this of maxPoints counts as full marks.
const SCORE_EPSILON = 1e-9;

/** Per-item bookkeeping that does not depend on the attempts. */
export interface ItemColumn {
  readonly item: AnalysisItem;
  readonly maxPoints: number;
  /** Column in `selections`, or -1 for items without options. */
  readonly choiceColumn: number;
  /** Option ids by bit position. */
  readonly optionIds: string[];
  readonly optionBit: Map<string, number>;
  /** Mask of keyed options. */
  keyMask: number;
}

/** Read-only view of the stored attempts handed to the statistics. */
export interface ResponseMatrix {
  readonly attempts: number;
  readonly columns: readonly ItemColumn[];
  /** attempts × items, row-major; NaN = not on the attempt's form. */
  readonly scores: Float64Array;
  /** Total points per attempt. */
  readonly totals: Float64Array;
  /** Points available per attempt (its form's maximum). */
  readonly maxTotals: Float64Array;
  /** Id of the set of items each attempt was given, 0..patternCount-1. */
  readonly patterns: Uint32Array;
  readonly patternCount: number;
  /** attempts × choice items, row-major; bit b set = option `optionIds[b]` selected. */
  readonly selections: Uint32Array;
  readonly choiceColumns: number;
  /** Items whose every stored score so far is 0 or maxPoints. */
  readonly dichotomous: readonly boolean[];
}

export class ResponseStore implements ResponseMatrix {
  readonly columns: ItemColumn[];
  readonly choiceColumns: number;
  readonly dichotomous: boolean[];
  attempts = 0;
  scores: Float64Array;
  totals: Float64Array;
  maxTotals: Float64Array;
  patterns: Uint32Array;
  selections: Uint32Array;
  private capacity: number;
  private readonly patternIds = new Map<string, number>();
  private readonly row: Float64Array;

  constructor(items: readonly AnalysisItem[], expectedAttempts = 1024) {
    const seen = new Set<string>();
    let choiceColumns = 0;
    this.columns = items.map((item, index) => {
      const id = `${item.itemId}@${item.revision}`;
      if (seen.has(id)) throw new AnalysisInputError(`item ${id} is listed twice`);
      seen.add(id);
      if (!(Number.isFinite(item.maxPoints) && item.maxPoints > 0)) {
        throw new AnalysisInputError(`item ${id} (index ${index}) needs maxPoints > 0`);
      }
      const optionIds: string[] = [];
      const optionBit = new Map<string, number>();
      const isChoice = item.options !== undefined || item.key !== undefined;
      const column: ItemColumn = {
        item,
        maxPoints: item.maxPoints,
        choiceColumn: isChoice ? choiceColumns++ : -1,
        optionIds,
        optionBit,
        keyMask: 0,
      };
      for (const option of item.options ?? []) this.bitOf(column, option);
      for (const option of item.key ?? []) column.keyMask |= 1 << this.bitOf(column, option);
      return column;
    });
    this.choiceColumns = choiceColumns;
    this.dichotomous = items.map(() => true);
    this.capacity = Math.max(16, Math.floor(expectedAttempts));
    const k = items.length;
    this.scores = new Float64Array(this.capacity * k);
    this.totals = new Float64Array(this.capacity);
    this.maxTotals = new Float64Array(this.capacity);
    this.patterns = new Uint32Array(this.capacity);
    this.selections = new Uint32Array(this.capacity * choiceColumns);
    this.row = new Float64Array(k);
  }

  get patternCount(): number {
    return this.patternIds.size;
  }

  add(attempt: AttemptScores): void {
    const k = this.columns.length;
    const { itemScores, choices } = attempt;
    if (itemScores.length !== k) {
      throw new AnalysisInputError(`itemScores has ${itemScores.length} entries for ${k} items`);
    }
    if (choices !== undefined && choices.length !== k) {
      throw new AnalysisInputError(`choices has ${choices.length} entries for ${k} items`);
    }
    // Validate the whole row before touching storage, so a rejected attempt leaves no trace.
    const row = this.row;
    let total = 0;
    let maxTotal = 0;
    let administered = 0;
    for (let i = 0; i < k; i++) {
      const raw = itemScores[i];
      const x = raw === null || raw === undefined ? NaN : raw;
      if (Number.isNaN(x)) {
        row[i] = NaN;
        continue;
      }
      const max = this.columns[i]!.maxPoints;
      if (!(x >= -SCORE_EPSILON && x <= max + SCORE_EPSILON)) {
        throw new AnalysisInputError(`item index ${i}: score ${x} outside 0..${max}`);
      }
      const clamped = Math.min(Math.max(x, 0), max);
      row[i] = clamped;
      total += clamped;
      maxTotal += max;
      administered++;
    }
    if (administered === 0) throw new AnalysisInputError('attempt carries no item');

    if (this.attempts === this.capacity) this.grow();
    const a = this.attempts;
    this.scores.set(row, a * k);
    this.totals[a] = total;
    this.maxTotals[a] = maxTotal;
    this.patterns[a] = this.patternOf(row, administered);
    for (let i = 0; i < k; i++) {
      const x = row[i]!;
      if (Number.isNaN(x)) continue;
      const max = this.columns[i]!.maxPoints;
      if (this.dichotomous[i] && x > SCORE_EPSILON && x < max - SCORE_EPSILON) this.dichotomous[i] = false;
    }
    if (choices !== undefined && this.choiceColumns > 0) {
      const base = a * this.choiceColumns;
      for (let i = 0; i < k; i++) {
        const column = this.columns[i]!;
        if (column.choiceColumn < 0 || Number.isNaN(row[i]!)) continue;
        this.selections[base + column.choiceColumn] = this.maskOf(column, choices[i]);
      }
    }
    this.attempts++;
  }

  private maskOf(column: ItemColumn, response: ChoiceResponse): number {
    if (response === null || response === undefined) return 0;
    if (typeof response === 'string') return (1 << this.bitOf(column, response)) >>> 0;
    let mask = 0;
    for (const option of response) mask |= 1 << this.bitOf(column, option);
    return mask >>> 0;
  }

  private bitOf(column: ItemColumn, option: string): number {
    let bit = column.optionBit.get(option);
    if (bit === undefined) {
      if (column.optionIds.length === MAX_OPTIONS) {
        throw new AnalysisInputError(`item ${column.item.itemId} has more than ${MAX_OPTIONS} options`);
      }
      bit = column.optionIds.length;
      column.optionIds.push(option);
      column.optionBit.set(option, bit);
    }
    return bit;
  }

  private patternOf(row: Float64Array, administered: number): number {
    // Single-form exams (the common case) never build a key string.
    let key = '*';
    if (administered < row.length) {
      const codes: number[] = [];
      for (let i = 0; i < row.length; i++) if (!Number.isNaN(row[i]!)) codes.push(i & 0xffff, i >>> 16);
      key = String.fromCharCode(...codes);
    }
    let id = this.patternIds.get(key);
    if (id === undefined) {
      id = this.patternIds.size;
      this.patternIds.set(key, id);
    }
    return id;
  }

  private grow(): void {
    const k = this.columns.length;
    const capacity = this.capacity * 2;
    const scores = new Float64Array(capacity * k);
    scores.set(this.scores);
    this.scores = scores;
    this.totals = grown(this.totals, capacity);
    this.maxTotals = grown(this.maxTotals, capacity);
    const patterns = new Uint32Array(capacity);
    patterns.set(this.patterns);
    this.patterns = patterns;
    const selections = new Uint32Array(capacity * this.choiceColumns);
    selections.set(this.selections);
    this.selections = selections;
    this.capacity = capacity;
  }
}

function grown(array: Float64Array, capacity: number): Float64Array {
  const next = new Float64Array(capacity);
  next.set(array);
  return next;
}
