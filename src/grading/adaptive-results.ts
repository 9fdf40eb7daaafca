/**
 * Scoring of adaptive attempts: right or wrong per answer for the engine
 * (the same scoring module as every other answer), and the result of a
 * handed-in adaptive attempt: θ, its SE and the 10-point score, derived from
 * the final answers by replaying the engine (src/adaptive/replay.ts).
 */
import { attemptSeed, engineFor, replayAnswers, type OutcomeOf } from '../adaptive/replay.js';
import type { AdaptiveResult } from '../adaptive/cat-engine.js';
import type { ItemContent } from '../bank/item-types.js';
import type { AdaptivePoolForm } from '../adaptive/replay.js';
import { scoreItem } from './scoring.js';

/** Right/wrong of a stored answer by the pinned revision (an answer to an item not in `content` is wrong). */
export function outcomeOf(content: ReadonlyMap<string, ItemContent>, points: ReadonlyMap<string, number>): OutcomeOf {
  return (itemId, response) => {
    const item = content.get(itemId);
    if (!item) return false;
    const s = scoreItem(item, response, points.get(itemId));
    return { score: s.points, maxPoints: s.maxPoints };
  };
}

/** The engine's result for an attempt's answers. */
export function adaptiveResult(
  key: string,
  form: AdaptivePoolForm,
  attemptId: string,
  answers: Readonly<Record<string, unknown>>,
  outcome: OutcomeOf,
): AdaptiveResult {
  const engine = engineFor(key, form);
  const progress = replayAnswers(engine, attemptSeed(form, attemptId), new Map(Object.entries(answers)), outcome);
  return engine.result(progress.state);
}
