/**
 * Which bank items can be operational in an adaptive test, and their shape.
 *
 * The model is dichotomous Rasch: an answer is right or wrong. Item analysis
 * calibrates only items whose every observed score was 0 or full points, so a
 * calibrated item of a dichotomous type is what the pool should hold:
 * single_choice, true_false, numeric, short_text, and multiple_choice or
 * ordering scored all-or-nothing. Types scored partially by design
 * (true_false_cluster, matching, cloze, partial multiple_choice/ordering) and
 * essays (graded by a person, later) are left out; to use them, calibrate a
 * polytomous model (partial credit) first. When a partially scored answer does
 * reach the engine, it counts as right only with full points (see `isRight`).
 */
import type { ItemContent, ItemRevision, ItemStatistics } from '../bank/item-types.js';
import type { AdaptiveItem } from './adaptive-config.js';

// Scores are rounded to 2 decimals upstream.
const FULL_POINTS_EPSILON = 1e-9;

/** Whether the item's score is always 0 or its full points. */
export function scoredAllOrNothing(item: ItemContent): boolean {
  switch (item.type) {
    case 'single_choice':
    case 'true_false':
    case 'numeric':
    case 'short_text':
      return true;
    case 'multiple_choice':
    case 'ordering':
      return item.scoring !== 'partial';
    default:
      return false;
  }
}

/**
 * The operational pool entry for a bank item, or null when the item cannot be
 * one: not dichotomous, or not calibrated (it can still be a pretest item).
 */
export function toAdaptiveItem(
  item: Pick<ItemRevision, 'itemId' | 'revision' | 'topic' | 'cognitiveLevel'> & ItemContent,
  statistics: Pick<ItemStatistics, 'raschDifficulty'> | undefined,
): AdaptiveItem | null {
  const b = statistics?.raschDifficulty;
  if (b === undefined || !Number.isFinite(b) || !scoredAllOrNothing(item)) return null;
  return { itemId: item.itemId, revision: item.revision, type: item.type, topic: item.topic, cognitiveLevel: item.cognitiveLevel, b };
}

/** Right or wrong from a boolean or from points: right only with full points. */
export function isRight(outcome: boolean | { score: number; maxPoints: number }): boolean {
  if (typeof outcome === 'boolean') return outcome;
  return outcome.score >= outcome.maxPoints - FULL_POINTS_EPSILON;
}
