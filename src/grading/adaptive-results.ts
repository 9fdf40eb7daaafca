/**
 * Scoring of adaptive attempts: right or wrong per answer for the engine
 * (the same scoring module as every other answer), and the result of a
 * handed-in adaptive attempt: θ, its SE and the 10-point score, derived from
 * the final answers by replaying the engine (src/adaptive/replay.ts).
 */
import { attemptSeed, engineFor, replayAnswers, type OutcomeOf } from '../adaptive/replay.js';
import type { ItemContent } from '../bank/item-types.js';
import type { AdaptivePoolForm } from '../adaptive/replay.js';
import { scoreItem } from './scoring.js';
import type { AdaptiveMeasure, PerItemResult } from './result-model.js';

/** Right/wrong of a stored answer by the pinned revision (an answer to an item not in `content` is wrong). */
export function outcomeOf(content: ReadonlyMap<string, ItemContent>, points: ReadonlyMap<string, number>): OutcomeOf {
  return (itemId, response) => {
    const item = content.get(itemId);
    if (!item) return false;
    const s = scoreItem(item, response, points.get(itemId));
    return { score: s.points, maxPoints: s.maxPoints };
  };
}

/** The result of a handed-in adaptive attempt, in the shape grading stores (see grading-service.ts). */
export interface AdaptiveComputed {
  perItem: PerItemResult[];
  score: number;
  maxScore: number;
  score10: number;
  adaptive: AdaptiveMeasure;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Grades an adaptive attempt from its final answers: the engine's path is
 * replayed (the same items, in the same order, as the candidate was given),
 * each answered item is scored by the scoring module, and θ, SE and the
 * 10-point score come from the engine. An item given but not answered (time
 * ran out) is not in the result: it told the engine nothing. Pretest items
 * are listed with their points and `pretest: true`, and count for nothing.
 * `score` and `maxScore` are the 10-point score on 10, so every reader of
 * score/maxScore (results, CSV, sector record) reads the same measure.
 */
export function computeAdaptive(
  key: string,
  form: { items: readonly { itemId: string; revision: number; points: number }[]; adaptive: AdaptivePoolForm },
  revisions: ReadonlyMap<string, ItemContent>,
  attemptId: string,
  answers: Readonly<Record<string, unknown>>,
): AdaptiveComputed {
  const pins = new Map(form.items.map((p) => [p.itemId, p]));
  const points = new Map(form.items.map((p) => [p.itemId, p.points]));
  const engine = engineFor(key, form.adaptive);
  const given = new Map(Object.entries(answers));
  const progress = replayAnswers(engine, attemptSeed(form.adaptive, attemptId), given, outcomeOf(revisions, points));
  const perItem: PerItemResult[] = [];
  for (const d of progress.presented) {
    if (!given.has(d.itemId)) continue;
    const item = revisions.get(d.itemId);
    const pin = pins.get(d.itemId);
    if (!item || !pin) continue;
    const s = scoreItem(item, given.get(d.itemId), pin.points);
    perItem.push({ itemId: d.itemId, revision: pin.revision, points: s.points, maxPoints: s.maxPoints, status: 'scored', ...(d.pretest ? { pretest: true } : {}) });
  }
  const r = engine.result(progress.state);
  return {
    perItem,
    score: r.score10,
    maxScore: 10,
    score10: r.score10,
    adaptive: { theta: round4(r.theta), se: round4(r.se), length: r.length, stop: progress.stop ?? r.stop },
  };
}
