// Shared helpers for test/adaptive: a small calibrated pool and a driver that
// answers an adaptive test by a rule.
import type { AdaptiveItem } from '../../src/adaptive/adaptive-config.js';
import type { AdaptiveState, CatEngine, DeliveredItem } from '../../src/adaptive/cat-engine.js';
import type { AdaptiveBlueprint } from '../../src/adaptive/content-balance.js';

/** A 12-item blueprint in 4 cells of two sections. */
export const SMALL_BLUEPRINT: AdaptiveBlueprint = {
  sections: [
    {
      title: 'Phần I',
      type: 'single_choice',
      cells: [
        { topic: 'ham-so', cognitiveLevel: 1, count: 4 },
        { topic: 'ham-so', cognitiveLevel: 3, count: 2 },
        { topic: 'hinh-hoc', cognitiveLevel: 2, count: 3 },
      ],
    },
    { title: 'Phần II', type: 'true_false', cells: [{ topic: 'hinh-hoc', cognitiveLevel: 2, count: 3 }] },
  ],
};

/** `perCell` items in every cell of SMALL_BLUEPRINT, difficulties evenly spread over [lo, hi]. */
export function evenPool(perCell: number, lo = -3, hi = 3): AdaptiveItem[] {
  const items: AdaptiveItem[] = [];
  SMALL_BLUEPRINT.sections.forEach((section, s) =>
    section.cells.forEach((cell, c) => {
      for (let j = 0; j < perCell; j++) {
        items.push({
          itemId: `s${s}c${c}-${String(j).padStart(3, '0')}`,
          revision: 1,
          type: section.type!,
          topic: cell.topic,
          cognitiveLevel: cell.cognitiveLevel,
          // Offset per cell so no two items share a difficulty.
          b: lo + ((hi - lo) * (j + 0.1 * (s * 4 + c + 1))) / perCell,
        });
      }
    }),
  );
  return items;
}

/** Takes a test to its end, answering each delivered item with `answer`. */
export function runTest(
  engine: CatEngine,
  seed: string,
  answer: (item: DeliveredItem, state: AdaptiveState) => boolean,
): { state: AdaptiveState; delivered: DeliveredItem[] } {
  let state = engine.start(seed);
  const delivered: DeliveredItem[] = [];
  for (;;) {
    const step = engine.next(state);
    if (step.item === null) return { state, delivered };
    delivered.push(step.item);
    state = engine.record(step.state, step.item.itemId, answer(step.item, step.state));
  }
}
