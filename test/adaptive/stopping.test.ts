// Stopping rules: fixed length, SE target with a minimum length, maximum
// length, and running out of items.
import t from 'tap';
import { createCatEngine, type AdaptiveState } from '../../src/adaptive/cat-engine.js';
import { probabilityRight } from '../../src/adaptive/rasch-model.js';
import { simulationRandom } from '../../src/adaptive/simulation.js';
import { evenPool, runTest, SMALL_BLUEPRINT } from '../support/adaptive.js';

const pool = evenPool(30);
const byId = new Map(pool.map((i) => [i.itemId, i.b]));
const candidate = (theta: number, seed: string) => {
  const random = simulationRandom(seed);
  return (item: { itemId: string }) => random() < probabilityRight(theta, byId.get(item.itemId)!);
};
/** SE after each operational answer of a finished test. */
const ses = (engine: ReturnType<typeof createCatEngine>, seed: string, theta: number) => {
  const trail: number[] = [];
  let state: AdaptiveState = engine.start(seed);
  const answer = candidate(theta, seed);
  for (;;) {
    const step = engine.next(state);
    t.equal(engine.shouldStop(state), step.stop, 'shouldStop agrees with next()');
    if (!step.item) return { trail, state, stop: step.stop };
    t.equal(engine.shouldStop(step.state), null, 'never stops while an answer is awaited');
    state = engine.record(step.state, step.item.itemId, answer(step.item));
    trail.push(state.se);
  }
};

t.test('fixed length: exactly maxItems items', async (t) => {
  const engine = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 8 } });
  const run = ses(engine, 'fixed', 0.5);
  t.equal(run.trail.length, 8);
  t.equal(run.stop, 'max_items');
  t.equal(engine.shouldStop(run.state), 'max_items');
});

t.test('SE target: ends at the first answer that brings the SE down to it, not before the minimum', async (t) => {
  const engine = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { seTarget: 0.5, minItems: 6, maxItems: 40 } });
  for (const theta of [-2, 0, 1.7]) {
    const run = ses(engine, `se-${theta}`, theta);
    const n = run.trail.length;
    t.equal(run.stop, 'se_target', `θ = ${theta}: stopped by the SE`);
    t.ok(run.trail[n - 1]! <= 0.5, `θ = ${theta}: final SE ${run.trail[n - 1]} ≤ 0.5`);
    t.ok(n >= 6, `θ = ${theta}: at least the minimum of 6 (${n})`);
    for (let m = 6; m < n; m++) t.ok(run.trail[m - 1]! > 0.5, `θ = ${theta}: SE after ${m} answers was still above the target`);
  }
  const easy = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { seTarget: 0.95, minItems: 5, maxItems: 40 } });
  t.equal(ses(easy, 'se-min', 0).trail.length, 5, 'a target met at once still waits for the minimum length');
});

t.test('maximum length caps a target that is never met', async (t) => {
  const engine = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { seTarget: 0.05, minItems: 1, maxItems: 15 } });
  const run = ses(engine, 'cap', 0);
  t.equal(run.trail.length, 15);
  t.equal(run.stop, 'max_items');
});

t.test('a test whose cells share their items ends when none is left', async (t) => {
  // The second section takes any type, so both cells draw on the same two items.
  const items = pool.filter((i) => i.type === 'single_choice' && i.topic === 'ham-so' && i.cognitiveLevel === 1).slice(0, 2);
  const engine = createCatEngine(items, {
    blueprint: {
      sections: [
        { type: 'single_choice', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 1 }] },
        { cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 1 }] },
      ],
    },
    stop: { maxItems: 4 },
  });
  const run = runTest(engine, 'exhaust', () => true);
  t.equal(run.delivered.length, 2, 'each item once');
  t.equal(engine.next(run.state).stop, 'pool_exhausted');
  t.equal(engine.shouldStop(run.state), 'pool_exhausted');
  t.equal(engine.result(run.state).stop, 'pool_exhausted');
});
