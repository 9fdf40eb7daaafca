// Overlap and exposure reports, the 10-point score, and which bank items can
// be operational.
import t from 'tap';
import type { ItemContent } from '../../src/bank/item-types.js';
import { createCatEngine } from '../../src/adaptive/cat-engine.js';
import { isRight, scoredAllOrNothing, toAdaptiveItem } from '../../src/adaptive/item-pool.js';
import { overlapReport } from '../../src/adaptive/overlap.js';
import { probabilityRight } from '../../src/adaptive/rasch-model.js';
import { near } from '../support/analysis.js';

t.test('overlap and exposure of a small school, by hand', async (t) => {
  const report = overlapReport(
    [
      ['a', 'b', 'c'],
      ['a', 'b', 'd'],
      ['e', 'f', 'g'],
      ['a', 'e'],
    ],
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
  );
  // Pairs: (1,2) 2/3, (1,3) 0, (1,4) 1/2, (2,3) 0, (2,4) 1/2, (3,4) 1/2 (shorter test: 2 items).
  near(t, report.averageOverlap, (2 / 3 + 0.5 + 0.5 + 0.5) / 6, 1e-12, 'average over the six pairs');
  near(t, report.maxOverlap, 2 / 3, 1e-12, 'largest pair');
  t.equal(report.maxExposure, 0.75, 'item a reaches three of four');
  t.same(report.exposure.slice(0, 3), [
    { itemId: 'a', rate: 0.75 },
    { itemId: 'b', rate: 0.5 },
    { itemId: 'e', rate: 0.5 },
  ]);
  t.equal(report.itemsUsed, 7);
  t.equal(report.neverUsedShare, 0.3, 'h, i, j never used');
  t.equal(report.meanLength, 2.75);
  const same = overlapReport([
    ['x', 'y'],
    ['x', 'y'],
  ]);
  t.equal(same.averageOverlap, 1, 'identical tests overlap fully');
});

const items = [
  { itemId: 'a0', revision: 1, type: 'single_choice' as const, topic: 'a', cognitiveLevel: 1 as const, b: 0 },
  { itemId: 'a1', revision: 1, type: 'single_choice' as const, topic: 'a', cognitiveLevel: 1 as const, b: 1 },
  { itemId: 'b0', revision: 1, type: 'numeric' as const, topic: 'b', cognitiveLevel: 3 as const, b: -1 },
];
const blueprint = {
  sections: [
    { type: 'single_choice' as const, cells: [{ topic: 'a', cognitiveLevel: 1 as const, count: 2 }] },
    { type: 'numeric' as const, pointsPerItem: 2, cells: [{ topic: 'b', cognitiveLevel: 3 as const, count: 1 }] },
  ],
};

t.test('10-point score: expected share of points on a form of the blueprint', async (t) => {
  const engine = createCatEngine(items, { blueprint, stop: { maxItems: 3 } });
  // Section I is 2 of the 4 points, over two items; section II the other 2 on its one item.
  const expected = (theta: number) => 10 * (0.25 * probabilityRight(theta, 0) + 0.25 * probabilityRight(theta, 1) + 0.5 * probabilityRight(theta, -1));
  for (const theta of [-2, 0, 0.37, 2.5]) t.equal(engine.score10(theta), Math.round(expected(theta) * 100) / 100, `θ = ${theta}`);
  t.equal(engine.result(engine.start('s')).score10, Math.round(expected(engine.start('s').theta) * 100) / 100, 'the result reports it for its θ');
  let last = -1;
  for (let theta = -6; theta <= 6; theta += 0.25) {
    const s = engine.score10(theta);
    t.ok(s >= last && s >= 0 && s <= 10, `non-decreasing and within 0..10 at θ = ${theta}`);
    last = s;
  }
});

t.test('10-point score: the linear alternative maps [−3, 3] onto [0, 10]', async (t) => {
  const engine = createCatEngine(items, { blueprint, stop: { maxItems: 3 }, score10: { method: 'linear', thetaMin: -3, thetaMax: 3 } });
  t.same([-4, -3, 0, 1, 3, 5].map((x) => engine.score10(x)), [0, 0, 5, 6.67, 10, 10]);
});

t.test('only calibrated, all-or-nothing items become operational; right means full points', async (t) => {
  const common = { stem: 'x', subject: 'math', grade: 10, topic: 'ham-so', cognitiveLevel: 2 as const, itemId: 'i', revision: 3 };
  const single: ItemContent = { ...common, type: 'single_choice', options: [{ id: 'A', text: 'a' }, { id: 'B', text: 'b' }], correct: ['A'] };
  const partial: ItemContent = { ...common, type: 'multiple_choice', options: [{ id: 'A', text: 'a' }], correct: ['A'], scoring: 'partial' };
  const cluster: ItemContent = { ...common, type: 'true_false_cluster', statements: [], values: {} };
  t.same(toAdaptiveItem({ ...common, ...single }, { raschDifficulty: -0.7 }), { itemId: 'i', revision: 3, type: 'single_choice', topic: 'ham-so', cognitiveLevel: 2, b: -0.7 });
  t.equal(toAdaptiveItem({ ...common, ...single }, {}), null, 'uncalibrated: pretest only');
  t.equal(toAdaptiveItem({ ...common, ...partial }, { raschDifficulty: 0 }), null, 'partial scoring');
  t.equal(scoredAllOrNothing(cluster), false, 'true/false clusters score on a ladder');
  t.equal(scoredAllOrNothing({ ...partial, scoring: 'all_or_nothing' }), true);
  t.equal(isRight({ score: 0.99, maxPoints: 1 }), false);
  t.equal(isRight({ score: 1, maxPoints: 1 }), true);
});
