/**
 * The adaptive test engine (computerised adaptive testing on the calibrated
 * bank): one engine per exam (pool + configuration), one small serialisable
 * state per candidate.
 *
 *   const engine = createCatEngine(pool, config);
 *   let state = engine.start(seed);              // store it
 *   let step = engine.next(state);               // store step.state, deliver step.item
 *   state = engine.record(step.state, id, true); // store it; then next() again
 *   engine.shouldStop(state); engine.result(state);
 *
 * Every function is pure: the state holds the seed, the items delivered with
 * the difficulty and cell each was used with, the answers, the items
 * Sympson–Hetter passed over, and θ/SE. Every random draw of selection k comes
 * from seedrandom(seed, k), not from a stream carried along, so the same state
 * gives the same next item in any process: a server that crashed after
 * choosing an item but before storing it chooses the same one again, and
 * `next` on a state whose last item awaits its answer returns that item.
 */
import seedrandom from 'seedrandom';
import { Conflict, Unprocessable, ValidationFailed } from '../errors.js';
import { abilityGrid, addResponse, posteriorSummary, type AbilityGrid } from './ability.js';
import {
  AdaptiveBlueprintInfeasible,
  resolveConfig,
  type AdaptiveConfig,
  type AdaptiveItem,
  type ResolvedConfig,
  type ShortAdaptiveCell,
} from './adaptive-config.js';
import { cellQuota, contentBalance, contentCells, eligibleCells, type ContentBalanceReport, type ContentCell } from './content-balance.js';
import { chooseWithExposureControl, parameterArray } from './exposure.js';
import { isRight } from './item-pool.js';
import { pretestAt } from './pretest.js';
import { referenceForm, score10, type ReferenceForm } from './scoring.js';
import { indexCells, NearestItems, type CellIndex, type Candidate } from './selection.js';
import { stopReason, type StopReason } from './stopping.js';

export const STATE_VERSION = 1;

/** One delivered item as the state keeps it. */
export interface StateItem {
  itemId: string;
  revision: number;
  /** Difficulty θ was estimated with; null for a pretest item. */
  b: number | null;
  /** Index of the blueprint cell it fills; −1 for a pretest item. */
  cell: number;
  /** null while the answer is awaited. */
  correct: boolean | null;
}

/** A candidate's adaptive test: small, JSON-serialisable, stored durably after every step. */
export interface AdaptiveState {
  version: typeof STATE_VERSION;
  seed: string;
  /** Every item delivered, in order; only the last may await its answer. */
  items: StateItem[];
  /** Items Sympson–Hetter passed over: not offered again to this candidate. */
  passedOver: string[];
  /** EAP estimate after the answers so far (the prior mean at the start). */
  theta: number;
  se: number;
}

export interface DeliveredItem {
  itemId: string;
  revision: number;
  /** 1-based, counting every item delivered (pretest ones too). */
  position: number;
  pretest: boolean;
  /** Blueprint section the item is delivered under (its points and title); null for pretest items. */
  section: number | null;
}

export interface NextStep {
  /** The state with the item recorded as delivered: store it before sending the item. */
  state: AdaptiveState;
  item: DeliveredItem | null;
  /** Why no item comes, when none does. */
  stop: StopReason | null;
}

/** A scored answer: right/wrong, or points (right only with full points). */
export type Outcome = boolean | { score: number; maxPoints: number };

export interface AdaptiveResult {
  theta: number;
  se: number;
  /** 0..10, two decimals (scoring.ts). */
  score10: number;
  /** Operational items answered. */
  length: number;
  /** Why the test ended; null if it has not. */
  stop: StopReason | null;
  items: { itemId: string; revision: number; b: number; correct: boolean }[];
  /** Answers to pretest items, for their calibration; they did not affect θ. */
  pretest: { itemId: string; revision: number; correct: boolean }[];
  contentBalance: ContentBalanceReport;
}

/** A record() for an item other than the one awaiting its answer. */
export class AdaptiveItemMismatch extends Conflict {
  override name = 'AdaptiveItemMismatch';
  constructor(expected: string | null, got: string) {
    super('adaptive_item_mismatch', expected === null ? `No item awaits an answer (got ${got})` : `The item awaiting an answer is ${expected}, not ${got}`);
  }
}

/** A stored state that is not one this engine wrote. */
export class AdaptiveStateInvalid extends Unprocessable {
  override name = 'AdaptiveStateInvalid';
  constructor(message: string) {
    super('adaptive_state_invalid', message);
  }
}

export interface CatEngine {
  readonly config: Readonly<ResolvedConfig>;
  readonly items: readonly AdaptiveItem[];
  /** The blueprint's cells in order (state items refer to them by index). */
  readonly cells: readonly ContentCell[];
  /** The state of a test that has not begun; `seed` names every draw of it (e.g. exam seed + candidate id). */
  start(seed: string): AdaptiveState;
  /** The next item (or why none), with the state that records its delivery. */
  next(state: AdaptiveState): NextStep;
  /** The state after the answer to the item awaiting one. */
  record(state: AdaptiveState, itemId: string, outcome: Outcome): AdaptiveState;
  /** Why the test ends after the answers so far; null while it goes on or an answer is awaited. */
  shouldStop(state: AdaptiveState): StopReason | null;
  result(state: AdaptiveState): AdaptiveResult;
  /** The 10-point score of an ability under this engine's scale (what `result` reports for its θ). */
  score10(theta: number): number;
}

/** Builds the engine of one adaptive exam: checks the configuration and indexes the pool. */
export function createCatEngine(items: readonly AdaptiveItem[], config: AdaptiveConfig): CatEngine {
  return new Engine(items, resolveConfig(items, config));
}

class Engine implements CatEngine {
  readonly cells: ContentCell[];
  private readonly index: CellIndex[];
  private readonly indexOf = new Map<string, number>();
  private readonly grid: AbilityGrid;
  private readonly shParameters: Float64Array | null;
  private readonly reference: ReferenceForm;
  private readonly start0: { theta: number; se: number };
  /** Log-likelihood on the grid per state object: saves recomputing it from all answers on every record(). */
  private readonly likelihoods = new WeakMap<AdaptiveState, Float64Array>();

  constructor(
    readonly items: readonly AdaptiveItem[],
    readonly config: ResolvedConfig,
  ) {
    items.forEach((item, i) => this.indexOf.set(item.itemId, i));
    this.cells = contentCells(config.blueprint);
    this.index = indexCells(items, this.cells);
    const short: ShortAdaptiveCell[] = [];
    for (const cell of this.cells) {
      const needed = cellQuota(this.cells, cell, config.stop.maxItems);
      const available = this.index[cell.index]!.items.length;
      if (available < needed) {
        short.push({ cell: cell.index, section: cell.section, ...(cell.type ? { type: cell.type } : {}), topic: cell.topic, cognitiveLevel: cell.cognitiveLevel, needed, available });
      }
    }
    if (short.length > 0) throw new AdaptiveBlueprintInfeasible(short);
    this.grid = abilityGrid(config.prior, config.quadrature);
    this.shParameters = config.exposure.method === 'sympson-hetter' ? parameterArray(items.map((i) => i.itemId), config.exposure.parameters) : null;
    this.reference = referenceForm(items, this.cells, this.index);
    this.start0 = posteriorSummary(this.grid, new Float64Array(this.grid.nodes.length));
  }

  start(seed: string): AdaptiveState {
    if (typeof seed !== 'string' || seed === '') throw new ValidationFailed('An adaptive test needs a non-empty seed');
    const state: AdaptiveState = { version: STATE_VERSION, seed, items: [], passedOver: [], theta: this.start0.theta, se: this.start0.se };
    this.likelihoods.set(state, new Float64Array(this.grid.nodes.length));
    return state;
  }

  next(state: AdaptiveState): NextStep {
    checkState(state, this.cells.length);
    const last = state.items[state.items.length - 1];
    if (last && last.correct === null) return { state, item: this.delivered(last, state.items.length), stop: null };
    const answered = operationalCount(state);
    const stop = stopReason(this.config.stop, answered, state.se);
    if (stop !== null) return { state, item: null, stop };

    const position = state.items.length + 1;
    const random = seedrandom(`${state.seed}\u0000adaptive\u0000${position}`);
    const givenPretest = new Set(state.items.filter((i) => i.b === null).map((i) => i.itemId));
    const pretest = pretestAt(this.config.pretest, position, givenPretest, random);
    if (pretest !== null) {
      const entry: StateItem = { itemId: pretest.itemId, revision: pretest.revision, b: null, cell: -1, correct: null };
      return this.advance(state, entry, [], position);
    }

    const counts = new Int32Array(this.cells.length);
    const excluded = new Set<number>();
    for (const item of state.items) {
      if (item.cell >= 0) counts[item.cell]!++;
      const i = this.indexOf.get(item.itemId);
      if (i !== undefined) excluded.add(i);
    }
    for (const id of state.passedOver) {
      const i = this.indexOf.get(id);
      if (i !== undefined) excluded.add(i);
    }
    let choice = this.choose(eligibleCells(this.cells, counts, answered, this.config.stop.maxItems), state.theta, excluded, random);
    // The eligible cells have run dry (items shared with other cells, or a pool changed under a
    // stored state): any cell rather than no item; the result reports the imbalance.
    if (choice.chosen === null) choice = this.choose(this.cells.map((c) => c.index), state.theta, excluded, random);
    if (choice.chosen === null) return { state, item: null, stop: 'pool_exhausted' };
    const item = this.items[choice.chosen.item]!;
    const entry: StateItem = { itemId: item.itemId, revision: item.revision, b: item.b, cell: choice.chosen.cell, correct: null };
    return this.advance(state, entry, choice.passedOver.map((i) => this.items[i]!.itemId), position);
  }

  record(state: AdaptiveState, itemId: string, outcome: Outcome): AdaptiveState {
    checkState(state, this.cells.length);
    const last = state.items[state.items.length - 1];
    if (!last || last.correct !== null) throw new AdaptiveItemMismatch(null, itemId);
    if (last.itemId !== itemId) throw new AdaptiveItemMismatch(last.itemId, itemId);
    if (typeof outcome !== 'boolean' && !(Number.isFinite(outcome?.score) && Number.isFinite(outcome?.maxPoints) && outcome.maxPoints > 0)) {
      throw new ValidationFailed('An outcome is a boolean or {score, maxPoints} with maxPoints > 0');
    }
    const correct = isRight(outcome);
    const items = state.items.slice(0, -1);
    items.push({ ...last, correct });
    if (last.b === null) return { ...state, items };
    const likelihood = Float64Array.from(this.likelihoodOf(state));
    addResponse(this.grid, likelihood, last.b, correct);
    const { theta, se } = posteriorSummary(this.grid, likelihood);
    const next: AdaptiveState = { ...state, items, theta, se };
    this.likelihoods.set(next, likelihood);
    return next;
  }

  shouldStop(state: AdaptiveState): StopReason | null {
    checkState(state, this.cells.length);
    const last = state.items[state.items.length - 1];
    if (last && last.correct === null) return null;
    const answered = operationalCount(state);
    return stopReason(this.config.stop, answered, state.se) ?? (answered >= this.items.length ? 'pool_exhausted' : null);
  }

  result(state: AdaptiveState): AdaptiveResult {
    checkState(state, this.cells.length);
    const counts = new Int32Array(this.cells.length);
    const items: AdaptiveResult['items'] = [];
    const pretest: AdaptiveResult['pretest'] = [];
    for (const i of state.items) {
      if (i.correct === null) continue;
      if (i.b === null) pretest.push({ itemId: i.itemId, revision: i.revision, correct: i.correct });
      else {
        items.push({ itemId: i.itemId, revision: i.revision, b: i.b, correct: i.correct });
        counts[i.cell]!++;
      }
    }
    return {
      theta: state.theta,
      se: state.se,
      score10: this.score10(state.theta),
      length: items.length,
      stop: this.shouldStop(state),
      items,
      pretest,
      contentBalance: contentBalance(this.cells, counts, items.length),
    };
  }

  score10(theta: number): number {
    return score10(theta, this.config.score10, this.reference);
  }

  private choose(cells: number[], theta: number, excluded: ReadonlySet<number>, random: () => number): { chosen: Candidate | null; passedOver: number[] } {
    return chooseWithExposureControl(new NearestItems(this.index, cells, theta, excluded), this.config.exposure, this.shParameters, random);
  }

  private advance(state: AdaptiveState, entry: StateItem, passedOver: string[], position: number): NextStep {
    const next: AdaptiveState = {
      ...state,
      items: [...state.items, entry],
      passedOver: passedOver.length > 0 ? [...state.passedOver, ...passedOver] : state.passedOver,
    };
    const likelihood = this.likelihoods.get(state);
    if (likelihood) this.likelihoods.set(next, likelihood);
    return { state: next, item: this.delivered(entry, position), stop: null };
  }

  private delivered(entry: StateItem, position: number): DeliveredItem {
    return { itemId: entry.itemId, revision: entry.revision, position, pretest: entry.b === null, section: entry.cell >= 0 ? this.cells[entry.cell]!.section : null };
  }

  /** The log-likelihood of the state's operational answers, from the cache or recomputed (a restored state). */
  private likelihoodOf(state: AdaptiveState): Float64Array {
    const cached = this.likelihoods.get(state);
    if (cached) return cached;
    const likelihood = new Float64Array(this.grid.nodes.length);
    for (const i of state.items) if (i.b !== null && i.correct !== null) addResponse(this.grid, likelihood, i.b, i.correct);
    return likelihood;
  }
}

function operationalCount(state: AdaptiveState): number {
  let n = 0;
  for (const i of state.items) if (i.b !== null && i.correct !== null) n++;
  return n;
}

/** Cheap shape check of a state read back from storage. */
function checkState(state: AdaptiveState, cellCount: number): void {
  if (state === null || typeof state !== 'object' || state.version !== STATE_VERSION) {
    throw new AdaptiveStateInvalid(`Not an adaptive test state of version ${STATE_VERSION}`);
  }
  if (typeof state.seed !== 'string' || !Array.isArray(state.items) || !Array.isArray(state.passedOver) || !Number.isFinite(state.theta) || !Number.isFinite(state.se)) {
    throw new AdaptiveStateInvalid('The adaptive test state is malformed');
  }
  state.items.forEach((item, k) => {
    const awaiting = item.correct === null;
    const pretest = item.b === null;
    const cellOk = pretest ? item.cell === -1 : Number.isInteger(item.cell) && item.cell >= 0 && item.cell < cellCount && Number.isFinite(item.b);
    if (typeof item.itemId !== 'string' || !cellOk || (awaiting && k !== state.items.length - 1) || (!awaiting && typeof item.correct !== 'boolean')) {
      throw new AdaptiveStateInvalid(`Item ${k + 1} of the adaptive test state is malformed`);
    }
  });
}
