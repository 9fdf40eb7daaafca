// Next-item selection by maximum Fisher information over the difficulty-sorted
// pool index, checked against scoring every item one by one.
import t from 'tap';
import { createCatEngine } from '../../src/adaptive/cat-engine.js';
import { contentCells, eligibleCells, type AdaptiveBlueprint } from '../../src/adaptive/content-balance.js';
import { itemInformation } from '../../src/adaptive/rasch-model.js';
import { indexCells, NearestItems } from '../../src/adaptive/selection.js';
import { simulateBank, simulationRandom } from '../../src/adaptive/simulation.js';
import { evenPool, runTest, SMALL_BLUEPRINT } from '../support/adaptive.js';

t.test('items come out in order of decreasing information, each once, skipping the excluded', async (t) => {
  // A section of any type makes cells share items: the walk must still yield each item once.
  const blueprint: AdaptiveBlueprint = {
    sections: [
      { type: 'single_choice', cells: [{ topic: 'a', cognitiveLevel: 1, count: 2 }] },
      { cells: [{ topic: 'a', cognitiveLevel: 1, count: 1 }, { topic: 'b', cognitiveLevel: 2, count: 1 }] },
    ],
  };
  const random = simulationRandom('selection-order');
  const items = Array.from({ length: 300 }, (_, i) => ({
    itemId: `i${i}`,
    revision: 1,
    type: i % 3 === 0 ? ('true_false' as const) : ('single_choice' as const),
    topic: i % 2 === 0 ? 'a' : 'b',
    cognitiveLevel: (i % 2 === 0 ? 1 : 2) as 1 | 2,
    b: -4 + 8 * random(),
  }));
  const cells = contentCells(blueprint);
  const index = indexCells(items, cells);
  for (const theta of [-5, -1.3, 0, 0.77, 4.2]) {
    const excluded = new Set([3, 10, 42, 100]);
    const walk = new NearestItems(index, [0, 1, 2], theta, excluded);
    const got: number[] = [];
    for (let c = walk.next(); c !== null; c = walk.next()) got.push(c.item);
    const expected = items
      .map((item, i) => ({ i, info: itemInformation(theta, item.b) }))
      .filter(({ i }) => !excluded.has(i) && (items[i]!.topic === 'a' || items[i]!.cognitiveLevel === 2))
      .sort((x, y) => y.info - x.info)
      .map(({ i }) => i);
    t.same(got, expected, `θ = ${theta}: the same order as scoring all ${items.length} items`);
  }
});

t.test('without exposure control every item given is the most informative one the blueprint allows', async (t) => {
  const items = simulateBank({ size: 400, blueprint: SMALL_BLUEPRINT, seed: 'max-info' });
  const engine = createCatEngine(items, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 12 }, exposure: { method: 'none' } });
  const cells = contentCells(SMALL_BLUEPRINT);
  const cellIndex = indexCells(items, cells);
  const answers = simulationRandom('max-info-answers');
  let checked = 0;
  runTest(engine, 'max-info', (item, state) => {
    const before = state.items.slice(0, -1);
    const counts = cells.map((c) => before.filter((i) => i.cell === c.index).length);
    const allowed = new Set(eligibleCells(cells, counts, before.length, 12).flatMap((c) => [...cellIndex[c]!.items]));
    const given = new Set(before.map((i) => i.itemId));
    const chosen = items.find((i) => i.itemId === item.itemId)!;
    const best = Math.max(...[...allowed].filter((i) => !given.has(items[i]!.itemId)).map((i) => itemInformation(state.theta, items[i]!.b)));
    t.equal(itemInformation(state.theta, chosen.b), best, `item ${item.position}: maximum information at θ = ${state.theta.toFixed(3)}`);
    checked++;
    return answers() < 0.5;
  });
  t.equal(checked, 12);
});

t.test('randomesque draws among the k most informative', async (t) => {
  const items = evenPool(40);
  const k = 4;
  const engine = createCatEngine(items, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 1 }, exposure: { method: 'randomesque', k } });
  const first = new Set<string>();
  for (let c = 0; c < 200; c++) first.add(engine.next(engine.start(`c${c}`)).item!.itemId);
  const byInformation = [...items].sort((x, y) => itemInformation(0, y.b) - itemInformation(0, x.b)).slice(0, k).map((i) => i.itemId);
  t.same([...first].sort(), byInformation.sort(), 'the first items of 200 candidates are exactly the k nearest θ = 0');
});
