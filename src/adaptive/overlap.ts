/**
 * Item exposure and overlap between candidates, for reporting (e.g. over the
 * candidates of one school, who could compare notes).
 *
 * - Exposure rate of an item: the share of candidates who were given it.
 * - Overlap of two candidates: the items they share divided by the length of
 *   the shorter of their two tests (for fixed-length tests, shared / L: the
 *   share of a form two candidates have in common, as form assembly reports
 *   it). The average is over all pairs, pairs sharing nothing counting 0; for
 *   fixed lengths it equals the test overlap rate of Chen, Ankenmann & Spray
 *   (2003), Σ_i n_i(n_i − 1) / (N(N − 1) · L).
 *
 * Exact for every pair, through an inverted index (item → candidates): the
 * cost is Σ_i n_i² for n_i candidates per item, not N² · L, so a school of a
 * few thousand adaptive tests takes milliseconds. A fixed form given to all
 * (every n_i = N) is the worst case; its overlap is 1 without computing.
 */

export interface ItemExposure {
  itemId: string;
  /** Share of candidates given the item. */
  rate: number;
}

export interface OverlapReport {
  candidates: number;
  meanLength: number;
  /** Mean pairwise overlap (0..1). */
  averageOverlap: number;
  /** Largest pairwise overlap (0..1). */
  maxOverlap: number;
  maxExposure: number;
  /** Distinct items given to anyone. */
  itemsUsed: number;
  /** Share of the pool given to nobody; null without a pool. */
  neverUsedShare: number | null;
  /** Every item given to anyone, most exposed first (ties by itemId). */
  exposure: ItemExposure[];
}

/** `tests[a]`: the item ids candidate a was given (each once); `pool`: every operational item id. */
export function overlapReport(tests: readonly (readonly string[])[], pool?: readonly string[]): OverlapReport {
  const N = tests.length;
  const ids = new Map<string, number>();
  const names: string[] = [];
  const coded = tests.map((test) =>
    test.map((id) => {
      let k = ids.get(id);
      if (k === undefined) {
        k = names.length;
        ids.set(id, k);
        names.push(id);
      }
      return k;
    }),
  );
  const M = names.length;
  const counts = new Int32Array(M);
  for (const test of coded) for (const k of test) counts[k]!++;
  // Candidates per item in increasing order, flattened.
  const start = new Int32Array(M + 1);
  for (let k = 0; k < M; k++) start[k + 1] = start[k]! + counts[k]!;
  const holders = new Int32Array(start[M]!);
  const fill = start.slice(0, M);
  coded.forEach((test, a) => {
    for (const k of test) holders[fill[k]!++] = a;
  });

  const shared = new Int32Array(N);
  const touched: number[] = [];
  // Next position to read in each item's holder list: candidates before it are done.
  const cursor = start.slice(0, M);
  let sum = 0;
  let max = 0;
  coded.forEach((test, _a) => {
    for (const k of test) {
      const from = ++cursor[k]!; // skip a itself
      for (let p = from; p < start[k + 1]!; p++) {
        const b = holders[p]!;
        if (shared[b] === 0) touched.push(b);
        shared[b]!++;
      }
    }
    for (const b of touched) {
      const o = shared[b]! / Math.min(test.length, coded[b]!.length);
      sum += o;
      if (o > max) max = o;
      shared[b] = 0;
    }
    touched.length = 0;
  });

  const exposure = names.map((itemId, k) => ({ itemId, rate: counts[k]! / N }));
  exposure.sort((x, y) => y.rate - x.rate || (x.itemId < y.itemId ? -1 : x.itemId > y.itemId ? 1 : 0));
  let totalLength = 0;
  for (const t of tests) totalLength += t.length;
  let neverUsedShare: number | null = null;
  if (pool) {
    const distinct = new Set(pool);
    let unused = 0;
    for (const id of distinct) if (!ids.has(id)) unused++;
    neverUsedShare = distinct.size === 0 ? 0 : unused / distinct.size;
  }
  return {
    candidates: N,
    meanLength: N === 0 ? 0 : totalLength / N,
    averageOverlap: N < 2 ? 0 : sum / ((N * (N - 1)) / 2),
    maxOverlap: max,
    maxExposure: exposure[0]?.rate ?? 0,
    itemsUsed: M,
    neverUsedShare,
    exposure,
  };
}
