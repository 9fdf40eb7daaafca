/**
 * Next-item selection by maximum Fisher information, and the pool index that
 * makes it fast.
 *
 * For Rasch items the information P(1 − P) at θ depends only on |θ − b| and
 * falls as it grows, so "most informative" means "difficulty nearest θ". Each
 * blueprint cell keeps its items sorted by difficulty; a binary search finds
 * θ's place in every eligible cell, and a k-way walk outwards from those
 * places yields items in order of decreasing information, skipping those the
 * candidate has had. The cost of one selection is O(C · log(N/C) + C · k) for
 * C eligible cells and the k items looked at, whatever the pool size: no item
 * is scored one by one.
 */
import type { ContentCell } from './content-balance.js';
import { cellMatches } from './content-balance.js';
import type { AdaptiveItem } from './adaptive-config.js';

/** A cell's items, sorted by difficulty (ties by itemId). */
export interface CellIndex {
  b: Float64Array;
  /** Pool indices, parallel to `b`. */
  items: Int32Array;
}

export function indexCells(items: readonly AdaptiveItem[], cells: readonly ContentCell[]): CellIndex[] {
  return cells.map((cell) => {
    const members: number[] = [];
    items.forEach((item, i) => {
      if (cellMatches(cell, item)) members.push(i);
    });
    members.sort((x, y) => items[x]!.b - items[y]!.b || (items[x]!.itemId < items[y]!.itemId ? -1 : 1));
    return { b: Float64Array.from(members, (i) => items[i]!.b), items: Int32Array.from(members) };
  });
}

/** First position whose difficulty is ≥ theta. */
function lowerBound(b: Float64Array, theta: number): number {
  let lo = 0;
  let hi = b.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (b[mid]! < theta) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Candidate {
  /** Pool index. */
  item: number;
  /** Content cell it is drawn for. */
  cell: number;
}

/**
 * Items of the given cells in order of decreasing information at θ (increasing
 * |θ − b|), each at most once, leaving out `excluded` (pool indices).
 */
export class NearestItems {
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly seen: Set<number>;

  constructor(
    private readonly index: readonly CellIndex[],
    private readonly cells: readonly number[],
    private readonly theta: number,
    excluded: ReadonlySet<number>,
  ) {
    this.lo = new Int32Array(cells.length);
    this.hi = new Int32Array(cells.length);
    this.seen = new Set(excluded);
    cells.forEach((c, j) => {
      const at = lowerBound(index[c]!.b, theta);
      this.lo[j] = at - 1;
      this.hi[j] = at;
    });
  }

  next(): Candidate | null {
    let best = -1;
    let bestDistance = Infinity;
    let bestUp = false;
    for (let j = 0; j < this.cells.length; j++) {
      const { b, items } = this.index[this.cells[j]!]!;
      let lo = this.lo[j]!;
      while (lo >= 0 && this.seen.has(items[lo]!)) lo--;
      this.lo[j] = lo;
      let hi = this.hi[j]!;
      while (hi < b.length && this.seen.has(items[hi]!)) hi++;
      this.hi[j] = hi;
      if (lo >= 0 && this.theta - b[lo]! < bestDistance) {
        best = j;
        bestDistance = this.theta - b[lo]!;
        bestUp = false;
      }
      if (hi < b.length && b[hi]! - this.theta < bestDistance) {
        best = j;
        bestDistance = b[hi]! - this.theta;
        bestUp = true;
      }
    }
    if (best < 0) return null;
    const { items } = this.index[this.cells[best]!]!;
    const item = bestUp ? items[this.hi[best]!++]! : items[this.lo[best]!--]!;
    this.seen.add(item);
    return { item, cell: this.cells[best]! };
  }
}
