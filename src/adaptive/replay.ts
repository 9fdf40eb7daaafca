/**
 * An adaptive attempt as a pure function of its stored answers.
 *
 * The engine is deterministic (every draw of step k comes from seedrandom(seed,
 * k)), and an adaptive attempt answers each item exactly once, in the order
 * the engine gave them. So the sequence of items, the item awaiting an answer
 * and θ are all derived from the set of answers alone: start, take the next
 * item, and if it has an answer, record it and go on. The live path derives
 * the state this way at every join (so a resume, a reconnect to another
 * process or a restart after SIGKILL gives the same next item), and grading
 * derives θ and SE the same way from the final answers. Nothing about the
 * engine's state needs storing besides the answers in the attempt log.
 */
import type { AdaptiveConfig, AdaptiveItem } from './adaptive-config.js';
import { createCatEngine, type AdaptiveState, type CatEngine, type DeliveredItem, type Outcome } from './cat-engine.js';
import type { StopReason } from './stopping.js';

/** What an adaptive exam's pool form stores for the engine (src/exams/exam-model.ts). */
export interface AdaptivePoolForm {
  /** The exam's seed; an attempt's draws come from `${seed}:${attemptId}`. */
  seed: string;
  config: AdaptiveConfig;
  /** The operational pool: calibrated, dichotomous items with their difficulty. */
  pool: AdaptiveItem[];
}

/** Scores one stored answer (the caller's scoring module, with the pinned revision). */
export type OutcomeOf = (itemId: string, response: unknown) => Outcome;

export interface AdaptiveProgress {
  state: AdaptiveState;
  /** Items given so far, in order, the current one last. */
  presented: DeliveredItem[];
  /** The item awaiting its answer; null once the test has ended. */
  current: DeliveredItem | null;
  /** Why the test ended; null while it goes on. */
  stop: StopReason | null;
}

/** The seed of one attempt's draws. */
export function attemptSeed(form: Pick<AdaptivePoolForm, 'seed'>, attemptId: string): string {
  return `${form.seed}:${attemptId}`;
}

const engines = new Map<string, CatEngine>();
const MAX_ENGINES = 64;

/** The engine of a pool form, built once per process (its pool index is the costly part). */
export function engineFor(key: string, form: AdaptivePoolForm): CatEngine {
  let engine = engines.get(key);
  if (!engine) {
    engine = createCatEngine(form.pool, form.config);
    if (engines.size >= MAX_ENGINES) engines.delete(engines.keys().next().value!);
    engines.set(key, engine);
  }
  return engine;
}

/** Takes the next step from `state` (whose last item, if any, has its answer). */
function step(engine: CatEngine, state: AdaptiveState, presented: DeliveredItem[]): AdaptiveProgress {
  const next = engine.next(state);
  if (next.item === null) return { state: next.state, presented, current: null, stop: next.stop };
  return { state: next.state, presented: [...presented, next.item], current: next.item, stop: null };
}

/**
 * The attempt after these answers (`answers` by item id; any order). Answers
 * to items off the engine's path are ignored: the live path never stores one.
 */
export function replayAnswers(engine: CatEngine, seed: string, answers: ReadonlyMap<string, unknown>, outcomeOf: OutcomeOf): AdaptiveProgress {
  let progress = step(engine, engine.start(seed), []);
  while (progress.current && answers.has(progress.current.itemId)) {
    const id = progress.current.itemId;
    progress = step(engine, engine.record(progress.state, id, outcomeOf(id, answers.get(id))), progress.presented);
  }
  return progress;
}

/** The attempt after the answer to its current item. */
export function advance(engine: CatEngine, progress: AdaptiveProgress, outcome: Outcome): AdaptiveProgress {
  if (!progress.current) throw new Error('No item awaits an answer');
  return step(engine, engine.record(progress.state, progress.current.itemId, outcome), progress.presented);
}
