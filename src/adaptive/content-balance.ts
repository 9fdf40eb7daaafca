/**
 * Content balancing of an adaptive test by the exam's blueprint.
 *
 * The blueprint ("ma trận đề") is the same shape form assembly uses: sections
 * (an item type, or any type) whose cells name a topic, a cognitive level and
 * a count. For an adaptive test the counts are read as shares: cell c should
 * hold count_c / T of the operational items (T = the sum of all counts), so a
 * 30-item blueprint also governs a 20- or 45-item adaptive test.
 *
 * Method: a relaxed Kingsbury–Zara rule. Kingsbury & Zara (1989) give the
 * next item to the single category furthest below its target share. Here,
 * with a_c items of cell c among the n given so far:
 * - a cell is *lagging* when it is below its share of n + 1 items,
 *   a_c · T < count_c · (n + 1) (integers throughout);
 * - a cell's *deadline* is the length m at which it would fall a whole item
 *   short if it got nothing more: the least m with ⌊count_c · m / T⌋ > a_c;
 * - the *slack* at a length h is h − n minus the items that deadlines up to h
 *   still require; the first h where it is 0 is the tight horizon;
 * - the eligible cells are the lagging ones whose deadline is at or before the
 *   tight horizon (all lagging cells when no horizon up to the maximum length
 *   is tight), and maximum information chooses among all their items.
 * Giving an item to any other cell would leave some length h with more items
 * due than places (earliest-deadline-first scheduling). At least one cell is
 * always lagging (the deficits sum to T > 0), so no cell ever runs ahead:
 * after m items, a_c ≤ ⌈count_c · m / T⌉; and while a schedule exists no cell
 * falls behind: a_c ≥ ⌊count_c · m / T⌋. At the blueprint's own length (m = T,
 * or any multiple) every cell therefore holds exactly its count, and at every
 * other length each is within one item of its share. If no lagging cell can
 * meet the tight horizon (it cannot happen from the start of a test; it can
 * after the pool ran dry in a cell), the lagging cell with the earliest
 * deadline is taken and the result reports the violation. Letting information
 * choose among all cells the schedule allows, rather than forcing the one most
 * behind, keeps more of the adaptive gain: the hard or easy cells a candidate
 * is not yet ready for wait until the schedule requires them.
 *
 * No shadow test is built; the rule needs only the counts so far.
 */
import type { CognitiveLevel, ItemType } from '../bank/item-types.js';

/** One cell of an adaptive blueprint: `count` items of this topic and level (shares, for other lengths). */
export interface AdaptiveBlueprintCell {
  topic: string;
  cognitiveLevel: CognitiveLevel;
  count: number;
}

/** A blueprint section; the assembly blueprint's sections fit this shape as they are. */
export interface AdaptiveBlueprintSection {
  title?: string;
  /** Item type every cell draws; absent means any type. */
  type?: ItemType;
  /** Points per item on a paper form of this blueprint (used by the expected-score scale). @defaultValue 1 */
  pointsPerItem?: number;
  cells: readonly AdaptiveBlueprintCell[];
}

export interface AdaptiveBlueprint {
  sections: readonly AdaptiveBlueprintSection[];
}

/** A blueprint cell flattened, with its share of the test. */
export interface ContentCell {
  /** Position in the flattened list: sections in order, cells in order. */
  index: number;
  section: number;
  type?: ItemType;
  /** null: the whole pool (a test without a blueprint). */
  topic: string | null;
  cognitiveLevel: CognitiveLevel | null;
  count: number;
  points: number;
}

/** What content balancing needs to know of an item. */
export interface ContentTagged {
  type: ItemType;
  topic: string;
  cognitiveLevel: CognitiveLevel;
}

/** The blueprint's cells in order; without a blueprint, one cell that takes every item. */
export function contentCells(blueprint: AdaptiveBlueprint | undefined): ContentCell[] {
  if (!blueprint) return [{ index: 0, section: 0, topic: null, cognitiveLevel: null, count: 1, points: 1 }];
  const cells: ContentCell[] = [];
  blueprint.sections.forEach((section, s) => {
    for (const cell of section.cells) {
      cells.push({
        index: cells.length,
        section: s,
        ...(section.type ? { type: section.type } : {}),
        topic: cell.topic,
        cognitiveLevel: cell.cognitiveLevel,
        count: cell.count,
        points: section.pointsPerItem ?? 1,
      });
    }
  });
  return cells;
}

export function cellMatches(cell: ContentCell, item: ContentTagged): boolean {
  return (
    (cell.type === undefined || cell.type === item.type) &&
    (cell.topic === null || cell.topic === item.topic) &&
    (cell.cognitiveLevel === null || cell.cognitiveLevel === item.cognitiveLevel)
  );
}

function totalCount(cells: readonly ContentCell[]): number {
  let total = 0;
  for (const c of cells) total += c.count;
  return total;
}

/**
 * Cells that may take the next item, where `administered[c]` items of cell c
 * have been given so far (n in all) and the test may run to `maxLength` items.
 */
export function eligibleCells(cells: readonly ContentCell[], administered: ArrayLike<number>, n: number, maxLength: number): number[] {
  const total = totalCount(cells);
  const lagging: number[] = [];
  for (const c of cells) if (administered[c.index]! * total < c.count * (n + 1)) lagging.push(c.index);
  const deadline = (c: ContentCell) => (c.count === 0 ? Infinity : Math.ceil(((administered[c.index]! + 1) * total) / c.count));
  // The first length h > n at which every remaining place is already owed. Dues grow by
  // count_c per T items, so a horizon beyond n + T is never tighter than one within it.
  let tight = Infinity;
  for (let h = n + 1; h <= Math.min(maxLength, n + total) && tight === Infinity; h++) {
    let due = 0;
    for (const c of cells) due += Math.max(0, Math.floor((c.count * h) / total) - administered[c.index]!);
    if (due >= h - n) tight = h;
  }
  if (tight === Infinity) return lagging;
  const inTime = lagging.filter((c) => deadline(cells[c]!) <= tight);
  if (inTime.length > 0) return inTime;
  let earliest = lagging[0]!;
  for (const c of lagging) if (deadline(cells[c]!) < deadline(cells[earliest]!)) earliest = c;
  return [earliest];
}

/** Most items cell c may hold in a test of `length` items: ⌈count_c · length / T⌉. */
export function cellQuota(cells: readonly ContentCell[], cell: ContentCell, length: number): number {
  return Math.ceil((cell.count * length) / totalCount(cells));
}

export interface CellBalance {
  cell: number;
  section: number;
  type?: ItemType;
  topic: string | null;
  cognitiveLevel: CognitiveLevel | null;
  /** count_c · n / T: the cell's share of this test's n items. */
  target: number;
  administered: number;
}

export interface ContentBalanceReport {
  /** Operational items the report is about. */
  length: number;
  cells: CellBalance[];
  /** Cells whose administered count is not ⌊target⌋ or ⌈target⌉. */
  violations: CellBalance[];
}

/** How a test of n operational items met the blueprint's shares. */
export function contentBalance(cells: readonly ContentCell[], administered: ArrayLike<number>, n: number): ContentBalanceReport {
  const total = totalCount(cells);
  const rows: CellBalance[] = [];
  const violations: CellBalance[] = [];
  for (const c of cells) {
    const a = administered[c.index]!;
    const row: CellBalance = {
      cell: c.index,
      section: c.section,
      ...(c.type ? { type: c.type } : {}),
      topic: c.topic,
      cognitiveLevel: c.cognitiveLevel,
      target: (c.count * n) / total,
      administered: a,
    };
    rows.push(row);
    // Integer comparisons: a must lie in [⌊count·n/T⌋, ⌈count·n/T⌉].
    if (a * total > c.count * n + (total - 1) || (a + 1) * total <= c.count * n) violations.push(row);
  }
  return { length: n, cells: rows, violations };
}
