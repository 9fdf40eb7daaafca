// Shared helpers for test/analysis: agreement to a number of decimals and small dataset builders.
import type { Test } from 'tap';
import type { AnalysisItem, AttemptScores } from '../../src/analysis/index.js';

/** Asserts |actual − expected| ≤ tolerance (null must match null). */
export function near(t: Test, actual: number | null | undefined, expected: number | null, tolerance: number, what: string): void {
  if (expected === null || actual === null || actual === undefined) {
    t.equal(actual, expected, what);
    return;
  }
  t.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≈ ${expected} (±${tolerance})`);
}

/** Single-choice items with options A–D and the given keys, one point each. */
export function choiceItems(keys: string, options = ['A', 'B', 'C', 'D']): AnalysisItem[] {
  return [...keys].map((key, i) => ({ itemId: `q${i + 1}`, revision: 1, maxPoints: 1, options, key: [key] }));
}

/** Attempts from response strings such as 'ABCDA' ('-' = omitted), scored against the keys. */
export function choiceAttempts(keys: string, rows: readonly string[]): AttemptScores[] {
  return rows.map((row) => ({
    itemScores: [...row].map((c, i) => (c === keys[i] ? 1 : 0)),
    choices: [...row].map((c) => (c === '-' ? null : c)),
  }));
}

/** Expands pattern frequencies ('1', '0', '.' = not on the form) into attempts in a fixed order. */
export function patternAttempts(freq: Record<string, number>): AttemptScores[] {
  const attempts: AttemptScores[] = [];
  for (const [pattern, count] of Object.entries(freq)) {
    for (let c = 0; c < count; c++) attempts.push({ itemScores: [...pattern].map((ch) => (ch === '.' ? null : Number(ch))) });
  }
  return attempts;
}
