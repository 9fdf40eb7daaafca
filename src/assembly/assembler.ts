/**
 * Form assembly ("mã đề" from a "ma trận đề"): a pure function from a
 * blueprint, the approved pool of every cell and a seed to `formCount`
 * parallel forms. No I/O, no clock and no `Math.random()`: every draw comes
 * from seedrandom streams named by the exam seed and the form code, and every
 * ordering that feeds a draw is a plain code-unit sort, so the same inputs
 * give byte-identical forms in any process, on any machine, in any year.
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import type { ItemRevision, PoolItem } from '../bank/item-types.js';
import { Unprocessable, type ErrorDetail } from '../errors.js';
import type { BlueprintSpec } from './blueprint-model.js';

/** Items without a difficulty count as this, the middle of the 0..1 scale. */
export const DEFAULT_DIFFICULTY = 0.5;

/** One pinned item of a form, in delivery order. */
export interface FormItem {
  itemId: string;
  revision: number;
  /** Points this item is worth on this form (the section's pointsPerItem, else the item's points, else 1). */
  points: number;
  /** Index of the blueprint section the item was drawn for. */
  section: number;
  /** single_choice / multiple_choice: option ids in delivery order. */
  optionOrder?: string[];
  /** matching: choice ids in delivery order (premises keep their authored order). */
  choiceOrder?: string[];
  /** ordering: element ids in delivery order (always shuffled: the authored order is often the key). */
  elementOrder?: string[];
  /** The shared passage the item reads and the revision of it this form prints (see pinStimuli). */
  stimulusId?: string;
  stimulusRevision?: number;
}

export interface AssembledForm {
  /** Three digits: "101", "102", ... */
  code: string;
  items: FormItem[];
  /** sha256 (hex) of the canonical JSON of `items`. */
  hash: string;
  itemCount: number;
  totalPoints: number;
  meanDifficulty: number;
}

export interface AssemblyResult {
  forms: AssembledForm[];
  /** Largest share of items any two forms have in common (0 with one form). */
  overlap: number;
  /** Highest minus lowest form mean difficulty (0 with one form). */
  difficultySpread: number;
}

/** What the draw needs of an approved item (the bank's type: it hands them over). */
export type { PoolItem };

/** An ItemRevision is a PoolItem (checked here, so the two cannot drift apart). */
const _revisionIsPoolItem = (r: ItemRevision): PoolItem => r;
void _revisionIsPoolItem;

export interface AssemblyInput {
  blueprint: Pick<BlueprintSpec, 'sections' | 'constraints'>;
  seed: string;
  /** 1..100 */
  formCount: number;
  /** `pools[s][k]`: the approved revisions usable for cell k of section s. */
  pools: readonly (readonly (readonly PoolItem[])[])[];
}

/** One entry of a `blueprint_infeasible` answer. */
export interface ShortCell {
  section: number;
  sectionTitle: string;
  topic: string;
  cognitiveLevel: number;
  needed: number;
  available: number;
}

export class BlueprintInfeasible extends Unprocessable {
  override name = 'BlueprintInfeasible';
  constructor(readonly cells: ShortCell[]) {
    super(
      'blueprint_infeasible',
      `The approved bank cannot fill ${cells.length} cell${cells.length === 1 ? '' : 's'} of the blueprint`,
      cells as unknown as ErrorDetail[],
    );
  }
}

export function formCode(index: number): string {
  return String(101 + index);
}

/** JSON with object keys sorted at every level: the input of every hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort(compareStrings)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function formHash(items: FormItem[]): string {
  return createHash('sha256').update(canonicalJson(items)).digest('hex');
}

/**
 * Pins the passage revision each item of the form is shown with, and hashes
 * the form again so the hash covers the passages too. `stimulusOf` gives the
 * passage of each drawn item, `revisions` the revision of each passage to pin
 * (a passage it does not know is left unpinned).
 */
export function pinStimuli(form: AssembledForm, stimulusOf: ReadonlyMap<string, string>, revisions: ReadonlyMap<string, number>): AssembledForm {
  const items = form.items.map((item) => {
    const stimulusId = stimulusOf.get(item.itemId);
    const revision = stimulusId === undefined ? undefined : revisions.get(stimulusId);
    return stimulusId === undefined || revision === undefined ? item : { ...item, stimulusId, stimulusRevision: revision };
  });
  return { ...form, items, hash: formHash(items) };
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A seedrandom stream; `parts` name it (exam seed, form code, purpose). */
export function rngFor(...parts: string[]): seedrandom.PRNG {
  return seedrandom(parts.join('\u0000'));
}

/** Fisher–Yates with a seeded stream. */
export function seededShuffle<T>(values: readonly T[], rng: () => number): T[] {
  const out = values.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** Shuffles the options that are not `fixed`; fixed ones keep their index. */
export function shuffleKeepingFixed(options: readonly { id: string; fixed?: boolean }[], rng: () => number): string[] {
  const free = options.filter((o) => !o.fixed).map((o) => o.id);
  const shuffled = seededShuffle(free, rng);
  let next = 0;
  return options.map((o) => (o.fixed ? o.id : shuffled[next++]!));
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Items that travel together: one stimulus group inside one cell, or one lone item. */
interface Unit {
  items: PoolItem[];
  /** Global indices of `items`. */
  g: number[];
  size: number;
  dsum: number;
}

interface Cell {
  section: number;
  cell: number;
  topic: string;
  cognitiveLevel: number;
  count: number;
  units: Unit[];
  /** Unit indices by size, each sorted by difficulty sum then index (for the difficulty pass). */
  bySize: Map<number, number[]>;
  /** No stimulus groups: every unit is one item. */
  singles: boolean;
}

function difficultyOf(item: PoolItem): number {
  return typeof item.difficulty === 'number' && Number.isFinite(item.difficulty) ? item.difficulty : DEFAULT_DIFFICULTY;
}

/** Can some subset of `sizes` add up to exactly `target`? */
function reachable(sizes: readonly number[], target: number): boolean {
  const reach = new Uint8Array(target + 1);
  reach[0] = 1;
  let singles = 0;
  for (const s of sizes) {
    if (s === 1) singles++;
    if (s > target) continue;
    for (let t = target; t >= s; t--) if (reach[t - s]) reach[t] = 1;
    if (reach[target]) return true;
  }
  return singles >= target || reach[target] === 1;
}

/**
 * Builds the cells: dedupes each pool by item id (latest revision), keeps
 * approved items only, groups items sharing a stimulus, and orders everything
 * by item id so that the draw never depends on the order the bank answered in.
 */
function buildCells(input: AssemblyInput, index: Map<string, number>): Cell[] {
  const cells: Cell[] = [];
  input.blueprint.sections.forEach((section, s) => {
    section.cells.forEach((spec, k) => {
      const latest = new Map<string, PoolItem>();
      for (const item of input.pools[s]?.[k] ?? []) {
        if (item.status !== 'approved') continue;
        const seen = latest.get(item.itemId);
        if (!seen || seen.revision < item.revision) latest.set(item.itemId, item);
      }
      const items = [...latest.values()].sort((a, b) => compareStrings(a.itemId, b.itemId));
      const groups = new Map<string, PoolItem[]>();
      const units: PoolItem[][] = [];
      for (const item of items) {
        if (!index.has(item.itemId)) index.set(item.itemId, index.size);
        if (item.stimulusId) {
          let group = groups.get(item.stimulusId);
          if (!group) {
            group = [];
            groups.set(item.stimulusId, group);
            units.push(group);
          }
          group.push(item);
        } else {
          units.push([item]);
        }
      }
      const built: Unit[] = units.map((members) => {
        members.sort(byStimulusOrder);
        return {
          items: members,
          g: members.map((m) => index.get(m.itemId)!),
          size: members.length,
          dsum: members.reduce((sum, m) => sum + difficultyOf(m), 0),
        };
      });
      const bySize = new Map<number, number[]>();
      built.forEach((u, i) => {
        let list = bySize.get(u.size);
        if (!list) bySize.set(u.size, (list = []));
        list.push(i);
      });
      for (const list of bySize.values()) list.sort((a, b) => built[a]!.dsum - built[b]!.dsum || a - b);
      cells.push({ section: s, cell: k, topic: spec.topic, cognitiveLevel: spec.cognitiveLevel, count: spec.count, units: built, bySize, singles: built.every((u) => u.size === 1) });
    });
  });
  return cells;
}

function byStimulusOrder(a: PoolItem, b: PoolItem): number {
  const oa = a.stimulusOrder ?? Number.MAX_SAFE_INTEGER;
  const ob = b.stimulusOrder ?? Number.MAX_SAFE_INTEGER;
  return oa - ob || compareStrings(a.itemId, b.itemId);
}

function shortCell(input: AssemblyInput, cell: Cell, available: number): ShortCell {
  return {
    section: cell.section,
    sectionTitle: input.blueprint.sections[cell.section]!.title,
    topic: cell.topic,
    cognitiveLevel: cell.cognitiveLevel,
    needed: cell.count,
    available,
  };
}

/**
 * Draws `formCount` parallel forms. Throws BlueprintInfeasible (422) listing
 * every cell the pool cannot fill exactly; otherwise always succeeds and
 * reports the overlap and difficulty spread it reached.
 *
 * 1. Greedy draw, form by form and unit by unit: prefer the unit that keeps
 *    this form's overlap with each earlier form closest to that of a balanced
 *    design, then the least-used, then a seeded random key; a subset-sum table
 *    keeps exact counts reachable when stimulus groups make units lumpy.
 * 2. Overlap repair: while a pair of forms shares more than maxItemOverlap,
 *    swap a shared unit for a same-size unit of the same cell that lowers the
 *    total excess (or, sideways, the sum of squared overlaps).
 * 3. Difficulty pass: while the mean difficulties spread wider than
 *    difficultyTolerance, move the highest or lowest form towards the overall
 *    mean with the best same-size swap that creates no new overlap excess.
 * 4. Delivery order (seeded item shuffle inside sections, stimulus groups as
 *    units in authored order) and option orders (fixed options stay), then the hash.
 */
export function assembleForms(input: AssemblyInput): AssemblyResult {
  const F = input.formCount;
  if (!Number.isInteger(F) || F < 1 || F > 100) throw new RangeError('formCount must be 1..100');
  const index = new Map<string, number>();
  const cells = buildCells(input, index);

  const short: ShortCell[] = [];
  for (const cell of cells) {
    if (cell.count === 0) continue;
    const available = cell.units.reduce((sum, u) => sum + u.size, 0);
    if (!reachable(cell.units.map((u) => u.size), cell.count)) short.push(shortCell(input, cell, available));
  }
  if (short.length) throw new BlueprintInfeasible(short);

  const N = index.size;
  const n = cells.reduce((sum, c) => sum + c.count, 0);
  /** member[item * F + f] = 1 when form f holds the item. */
  const member = new Uint8Array(N * F);
  const itemForms: number[][] = Array.from({ length: N }, () => []);
  const pairs = new Int32Array(F * F);
  const dsum = new Float64Array(F);
  /** picks[f][c]: unit indices of cell c on form f. */
  const picks: number[][][] = [];

  // The pairwise overlap of a balanced design: where every item of a cell is used
  // equally often, any two forms share about this many items. The draw aims each
  // pair of forms at it, so that early forms do not use up the fresh items and
  // leave the late forms to pile onto them.
  let target = 0;
  if (F > 1) {
    for (const cell of cells) {
      const size = cell.units.reduce((sum, u) => sum + u.size, 0);
      const use = size ? (F * cell.count) / size : 0;
      if (use > 1) target += (cell.count * (use - 1)) / (F - 1);
    }
  }

  // 1. Greedy draw, one unit at a time.
  for (let f = 0; f < F; f++) {
    const rng = rngFor(input.seed, formCode(f), 'select');
    /** ov[h]: items this form shares with form h so far. */
    const ov = new Int32Array(F);
    const formPicks: number[][] = [];
    const short: ShortCell[] = [];
    let placed = 0;
    for (const cell of cells) {
      const keys = cell.units.map(() => rng());
      // Units an earlier cell of this form drew are out (only when pools overlap: a section of "any type").
      let open = cell.units.map((_, u) => u).filter((u) => !cell.units[u]!.g.some((g) => member[g * F + f]));
      const chosen: number[] = [];
      let rem = cell.count;
      while (rem > 0) {
        const aim = (target * (placed + 1)) / Math.max(1, n);
        const next = cell.singles ? bestSingle(cell, open, itemForms, ov, aim, keys) : bestUnit(cell, open, itemForms, ov, aim, keys, rem);
        if (next === undefined) break;
        const unit = cell.units[next]!;
        for (const g of unit.g) {
          for (const h of itemForms[g]!) {
            ov[h]!++;
            pairs[f * F + h]!++;
            pairs[h * F + f]!++;
          }
          itemForms[g]!.push(f);
          member[g * F + f] = 1;
        }
        dsum[f] += unit.dsum;
        chosen.push(next);
        rem -= unit.size;
        placed += unit.size;
        open = open.filter((u) => u !== next);
      }
      if (rem > 0) short.push(shortCell(input, cell, open.reduce((sum, u) => sum + cell.units[u]!.size, 0) + cell.count - rem));
      formPicks.push(chosen);
    }
    if (short.length) throw new BlueprintInfeasible(short);
    picks.push(formPicks);
  }

  const state: SwapState = { F, n, cells, member, itemForms, pairs, dsum, picks, delta: new Int32Array(F) };
  const limit = Math.floor(input.blueprint.constraints.maxItemOverlap * n + 1e-9);
  if (F > 1) {
    repairOverlap(state, limit);
    balanceDifficulty(state, limit, input.blueprint.constraints.difficultyTolerance);
  }

  // 4. Delivery. Means are summed afresh in delivery order, not taken from the running sums.
  const delivered = picks.map((formPicks, f) => deliver(input, cells, formPicks, formCode(f)));
  let overlap = 0;
  for (let a = 0; a < F; a++) for (let b = a + 1; b < F; b++) overlap = Math.max(overlap, pairs[a * F + b]!);
  const means = delivered.map((d) => d.mean);
  return {
    forms: delivered.map((d) => d.form),
    overlap: n ? round(overlap / n, 4) : 0,
    difficultySpread: F > 1 ? round(Math.max(...means) - Math.min(...means), 4) : 0,
  };
}

/**
 * Draw order of the greedy step: lowest change in Σ (overlap − aim)² over the
 * pairs the unit adds to (per item), then least used, then the seeded key.
 */
function better(cost: number, usage: number, key: number, u: number, best: { cost: number; usage: number; key: number; u: number }): boolean {
  return cost < best.cost || (cost === best.cost && (usage < best.usage || (usage === best.usage && (key < best.key || (key === best.key && u < best.u)))));
}

function unitCost(unit: Unit, itemForms: number[][], ov: Int32Array, aim: number): { cost: number; usage: number } {
  let usage = 0;
  let marginal = 0;
  for (const g of unit.g) {
    const forms = itemForms[g]!;
    if (forms.length > usage) usage = forms.length;
    for (const h of forms) marginal += 2 * (ov[h]! - aim) + 1;
  }
  return { cost: marginal / unit.size, usage };
}

/** The best single item (cells without stimulus groups): a linear scan, no sort. */
function bestSingle(cell: Cell, open: number[], itemForms: number[][], ov: Int32Array, aim: number, keys: number[]): number | undefined {
  const best = { cost: Infinity, usage: Infinity, key: Infinity, u: -1 };
  for (const u of open) {
    const { cost, usage } = unitCost(cell.units[u]!, itemForms, ov, aim);
    if (better(cost, usage, keys[u]!, u, best)) Object.assign(best, { cost, usage, key: keys[u]!, u });
  }
  return best.u < 0 ? undefined : best.u;
}

/** The best unit that still lets the rest of the cell be met exactly (stimulus groups make units lumpy). */
function bestUnit(cell: Cell, open: number[], itemForms: number[][], ov: Int32Array, aim: number, keys: number[], rem: number): number | undefined {
  const scored = open.map((u) => ({ u, key: keys[u]!, ...unitCost(cell.units[u]!, itemForms, ov, aim) }));
  scored.sort((a, b) => a.cost - b.cost || a.usage - b.usage || a.key - b.key || a.u - b.u);
  return pickExact(scored.map((x) => x.u), cell, rem)?.[0];
}

/**
 * Takes candidates in order, skipping one only when taking it would make the
 * exact count unreachable with the rest. Returns null when no subset fits.
 */
function pickExact(order: number[], cell: Cell, count: number): number[] | null {
  if (count === 0) return [];
  const sizes = order.map((u) => cell.units[u]!.size);
  if (sizes.every((s) => s === 1)) return order.length >= count ? order.slice(0, count) : null;
  // suffix[i][t]: some subset of order[i..] adds up to exactly t.
  const width = count + 1;
  const suffix = new Uint8Array((order.length + 1) * width);
  suffix[order.length * width] = 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const s = sizes[i]!;
    for (let t = 0; t <= count; t++) {
      suffix[i * width + t] = suffix[(i + 1) * width + t]! | (t >= s ? suffix[(i + 1) * width + t - s]! : 0);
    }
  }
  if (!suffix[count]) return null;
  const chosen: number[] = [];
  let rem = count;
  for (let i = 0; i < order.length && rem > 0; i++) {
    const s = sizes[i]!;
    if (s <= rem && suffix[(i + 1) * width + rem - s]) {
      chosen.push(order[i]!);
      rem -= s;
    }
  }
  return chosen;
}

interface SwapState {
  F: number;
  n: number;
  cells: Cell[];
  member: Uint8Array;
  itemForms: number[][];
  /** pairs[a * F + b]: items forms a and b share. */
  pairs: Int32Array;
  dsum: Float64Array;
  picks: number[][][];
  /** Scratch for rowDelta, all zero between uses. */
  delta: Int32Array;
}

/**
 * Change in form f's shared-item count with every other form if unit `out`
 * is swapped for unit `into`: fills `st.delta` and returns the forms touched
 * (call `clearDelta` after reading). A scratch buffer, not a Map: this runs
 * for every candidate swap.
 */
function rowDelta(st: SwapState, f: number, out: Unit, into: Unit): number[] {
  const touched: number[] = [];
  for (const g of out.g) {
    for (const h of st.itemForms[g]!) {
      if (h === f) continue;
      if (st.delta[h] === 0 && !touched.includes(h)) touched.push(h);
      st.delta[h]!--;
    }
  }
  for (const g of into.g) {
    for (const h of st.itemForms[g]!) {
      if (h === f) continue;
      if (st.delta[h] === 0 && !touched.includes(h)) touched.push(h);
      st.delta[h]!++;
    }
  }
  return touched;
}

function clearDelta(st: SwapState, touched: number[]): void {
  for (const h of touched) st.delta[h] = 0;
}

function holds(st: SwapState, f: number, unit: Unit): boolean {
  return unit.g.some((g) => st.member[g * st.F + f] === 1);
}

function applySwap(st: SwapState, f: number, c: number, slot: number, into: number): void {
  const cell = st.cells[c]!;
  const out = cell.units[st.picks[f]![c]![slot]!]!;
  const unit = cell.units[into]!;
  const F = st.F;
  for (const g of out.g) {
    const forms = st.itemForms[g]!;
    forms.splice(forms.indexOf(f), 1);
    for (const h of forms) {
      st.pairs[f * F + h]!--;
      st.pairs[h * F + f]!--;
    }
    st.member[g * F + f] = 0;
  }
  for (const g of unit.g) {
    const forms = st.itemForms[g]!;
    for (const h of forms) {
      st.pairs[f * F + h]!++;
      st.pairs[h * F + f]!++;
    }
    forms.push(f);
    st.member[g * F + f] = 1;
  }
  st.dsum[f] += unit.dsum - out.dsum;
  st.picks[f]![c]![slot] = into;
}

/** 2. Lowers pairwise overlap above `limit` by swaps that cut the total excess. */
function repairOverlap(st: SwapState, limit: number): void {
  const { F } = st;
  const stuck = new Set<number>();
  const budget = 20 * F * Math.max(1, st.n);
  for (let iter = 0; iter < budget; iter++) {
    let worst = -1;
    let worstValue = limit;
    for (let a = 0; a < F; a++) {
      for (let b = a + 1; b < F; b++) {
        const v = st.pairs[a * F + b]!;
        if (v > worstValue && !stuck.has(a * F + b)) {
          worst = a * F + b;
          worstValue = v;
        }
      }
    }
    if (worst < 0) return;
    const a = Math.floor(worst / F);
    const b = worst % F;
    if (overlapMove(st, b, a, limit) || overlapMove(st, a, b, limit)) stuck.clear();
    else stuck.add(worst);
  }
}

/**
 * The best swap of a unit form f shares with `other`: it must cut the total
 * excess over the limit, or keep it and cut the sum of squared overlaps (a
 * sideways step that spreads overlap more evenly, so that a later swap can
 * cut the excess; the sum of squares falling every time bounds the search).
 */
function overlapMove(st: SwapState, f: number, other: number, limit: number): boolean {
  const { F } = st;
  let best: { c: number; slot: number; into: number; excess: number; squares: number; ddiff: number } | null = null;
  for (let c = 0; c < st.cells.length; c++) {
    const cell = st.cells[c]!;
    const slots = st.picks[f]![c]!;
    for (let slot = 0; slot < slots.length; slot++) {
      const out = cell.units[slots[slot]!]!;
      if (!out.g.some((g) => st.member[g * F + other])) continue;
      for (const v of cell.bySize.get(out.size) ?? []) {
        const into = cell.units[v]!;
        if (holds(st, f, into)) continue;
        let excess = 0;
        let squares = 0;
        const touched = rowDelta(st, f, out, into);
        for (const h of touched) {
          const d = st.delta[h]!;
          const before = st.pairs[f * F + h]!;
          excess += Math.max(0, before - limit) - Math.max(0, before + d - limit);
          squares += before * before - (before + d) * (before + d);
        }
        clearDelta(st, touched);
        if (excess < 0 || (excess === 0 && squares <= 0)) continue;
        const ddiff = Math.abs(into.dsum - out.dsum);
        if (
          !best ||
          excess > best.excess ||
          (excess === best.excess && (squares > best.squares || (squares === best.squares && ddiff < best.ddiff)))
        ) {
          best = { c, slot, into: v, excess, squares, ddiff };
        }
      }
    }
  }
  if (!best) return false;
  applySwap(st, f, best.c, best.slot, best.into);
  return true;
}

/** 3. Narrows the spread of mean difficulties without adding overlap excess. */
function balanceDifficulty(st: SwapState, limit: number, tolerance: number): void {
  const { F, n } = st;
  if (n === 0) return;
  const budget = 50 * F;
  for (let iter = 0; iter < budget; iter++) {
    let hi = 0;
    let lo = 0;
    let total = 0;
    for (let f = 0; f < F; f++) {
      total += st.dsum[f]!;
      if (st.dsum[f]! > st.dsum[hi]!) hi = f;
      if (st.dsum[f]! < st.dsum[lo]!) lo = f;
    }
    const spread = (st.dsum[hi]! - st.dsum[lo]!) / n;
    if (spread <= tolerance + 1e-12) return;
    const target = total / F;
    const bounds = { min: st.dsum[lo]!, max: st.dsum[hi]! };
    if (!difficultyMove(st, hi, target, bounds, limit) && !difficultyMove(st, lo, target, bounds, limit)) return;
  }
}

function difficultyMove(st: SwapState, f: number, target: number, bounds: { min: number; max: number }, limit: number): boolean {
  const { F } = st;
  const current = Math.abs(st.dsum[f]! - target);
  // Swaps that add no overlap at all are preferred over closer ones that do.
  let best: { c: number; slot: number; into: number; dist: number; adds: boolean } | null = null;
  const WINDOW = 24;
  for (let c = 0; c < st.cells.length; c++) {
    const cell = st.cells[c]!;
    const slots = st.picks[f]![c]!;
    for (let slot = 0; slot < slots.length; slot++) {
      const u = slots[slot]!;
      const out = cell.units[u]!;
      const list = cell.bySize.get(out.size) ?? [];
      const ideal = out.dsum + (target - st.dsum[f]!);
      // First index whose difficulty sum is >= ideal, then walk outwards.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cell.units[list[mid]!]!.dsum < ideal) lo = mid + 1;
        else hi = mid;
      }
      let left = lo - 1;
      let right = lo;
      let examined = 0;
      while ((left >= 0 || right < list.length) && examined < WINDOW) {
        const takeRight =
          right < list.length &&
          (left < 0 || Math.abs(cell.units[list[right]!]!.dsum - ideal) <= Math.abs(cell.units[list[left]!]!.dsum - ideal));
        const v = takeRight ? list[right++]! : list[left--]!;
        const into = cell.units[v]!;
        if (v === u || holds(st, f, into)) continue;
        examined++;
        const next = st.dsum[f]! - out.dsum + into.dsum;
        const dist = Math.abs(next - target);
        if (dist >= current - 1e-12 || next < bounds.min - 1e-12 || next > bounds.max + 1e-12) continue;
        let ok = true;
        let adds = false;
        const touched = rowDelta(st, f, out, into);
        for (const h of touched) {
          const d = st.delta[h]!;
          if (d > 0) adds = true;
          if (d > 0 && st.pairs[f * F + h]! + d > limit) ok = false;
        }
        clearDelta(st, touched);
        if (!ok) continue;
        if (!best || (best.adds && !adds) || (best.adds === adds && dist < best.dist)) best = { c, slot, into: v, dist, adds };
      }
    }
  }
  if (!best) return false;
  applySwap(st, f, best.c, best.slot, best.into);
  return true;
}

/** 4. Delivery order, option orders, points and the hash of one form. */
function deliver(input: AssemblyInput, cells: Cell[], formPicks: number[][], code: string): { form: AssembledForm; mean: number } {
  const sections = input.blueprint.sections;
  const orderRng = rngFor(input.seed, code, 'order');
  const optionRng = rngFor(input.seed, code, 'options');
  const items: FormItem[] = [];
  let totalPoints = 0;
  let difficulty = 0;
  sections.forEach((section, s) => {
    // Blocks: a lone item, or every drawn item of one stimulus in this section (even across cells).
    const blocks: PoolItem[][] = [];
    const byStimulus = new Map<string, PoolItem[]>();
    cells.forEach((cell, c) => {
      if (cell.section !== s) return;
      for (const u of formPicks[c]!) {
        for (const item of cell.units[u]!.items) {
          if (!item.stimulusId) {
            blocks.push([item]);
            continue;
          }
          let block = byStimulus.get(item.stimulusId);
          if (!block) {
            byStimulus.set(item.stimulusId, (block = []));
            blocks.push(block);
          }
          block.push(item);
        }
      }
    });
    for (const block of byStimulus.values()) block.sort(byStimulusOrder);
    const ordered = section.shuffleItems ? seededShuffle(blocks, orderRng) : blocks;
    for (const block of ordered) {
      for (const item of block) {
        const points = section.pointsPerItem ?? item.points ?? 1;
        totalPoints += points;
        difficulty += difficultyOf(item);
        const entry: FormItem = { itemId: item.itemId, revision: item.revision, points, section: s };
        const shuffle = section.shuffleOptions !== false && item.shuffleOptions !== false;
        if ((item.type === 'single_choice' || item.type === 'multiple_choice') && item.options) {
          entry.optionOrder = shuffle ? shuffleKeepingFixed(item.options, optionRng) : item.options.map((o) => o.id);
        } else if (item.type === 'matching' && item.choices) {
          entry.choiceOrder = shuffle ? seededShuffle(item.choices.map((c) => c.id), optionRng) : item.choices.map((c) => c.id);
        } else if (item.type === 'ordering' && item.elements) {
          entry.elementOrder = seededShuffle(item.elements.map((e) => e.id), optionRng);
        }
        items.push(entry);
      }
    }
  });
  const mean = items.length ? difficulty / items.length : DEFAULT_DIFFICULTY;
  return {
    form: { code, items, hash: formHash(items), itemCount: items.length, totalPoints: round(totalPoints, 2), meanDifficulty: round(mean, 4) },
    mean,
  };
}
