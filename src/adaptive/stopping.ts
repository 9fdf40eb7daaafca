/**
 * Stopping rules. They combine: the test ends at the first rule met.
 *
 * - `max_items`: maxItems operational items given (a fixed-length test sets
 *   only this).
 * - `se_target`: the SE of θ has fallen to seTarget or below, once at least
 *   minItems operational items have been answered. Set minItems to the
 *   blueprint's total count when every cell must be represented.
 * - `pool_exhausted`: no operational item is left to give (the engine reports
 *   it when selection finds nothing).
 *
 * Pretest items never count towards a length: they do not inform θ.
 */
import type { ResolvedConfig } from './adaptive-config.js';

export type StopReason = 'max_items' | 'se_target' | 'pool_exhausted';

/** Why a test with `answered` operational answers and this SE ends now, or null if it goes on. */
export function stopReason(rules: ResolvedConfig['stop'], answered: number, se: number): StopReason | null {
  if (answered >= rules.maxItems) return 'max_items';
  if (rules.seTarget !== undefined && answered >= rules.minItems && se <= rules.seTarget) return 'se_target';
  return null;
}
