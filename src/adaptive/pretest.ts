/**
 * Pretest items: new, uncalibrated items seeded into adaptive tests so that
 * real answers accumulate for their calibration. They are delivered exactly
 * like operational items (a candidate cannot tell them apart), but they never
 * change θ, never count towards the test length or the blueprint, and their
 * answers are listed separately in the result for the next calibration run.
 *
 * A position carries a pretest item when it is one of the configured positions
 * or, failing that, with probability `rate`; at most `maxPerCandidate` per
 * candidate. Which one: a seeded uniform draw among those this candidate has
 * not had, so over many candidates each collects about the same number of
 * answers. Positions beyond the point where the test stops are never reached.
 */
import type { ResolvedConfig, PretestItem } from './adaptive-config.js';

export function pretestAt(
  plan: ResolvedConfig['pretest'],
  position: number,
  given: ReadonlySet<string>,
  random: () => number,
): PretestItem | null {
  if (plan.items.length === 0 || given.size >= plan.maxPerCandidate) return null;
  const due = plan.positions.includes(position) || (plan.rate > 0 && random() < plan.rate);
  if (!due) return null;
  const open = plan.items.filter((item) => !given.has(item.itemId));
  if (open.length === 0) return null;
  return open[Math.floor(random() * open.length)]!;
}
