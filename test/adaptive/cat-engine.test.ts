// The adaptive test engine as the live integration will drive it: start, next,
// record, shouldStop, result, with the state stored (as JSON) between steps.
import t, { type Test } from 'tap';
import { estimateAbility } from '../../src/adaptive/ability.js';
import type { AdaptiveBlueprintInfeasible, AdaptiveConfigInvalid, AdaptiveConfig } from '../../src/adaptive/adaptive-config.js';
import { AdaptiveItemMismatch, AdaptiveStateInvalid, createCatEngine, type AdaptiveState } from '../../src/adaptive/cat-engine.js';
import { probabilityRight } from '../../src/adaptive/rasch-model.js';
import { SIMULATION_BLUEPRINT, simulateBank, simulateCandidate, simulationRandom } from '../../src/adaptive/simulation.js';
import { evenPool, runTest, SMALL_BLUEPRINT } from '../support/adaptive.js';

const pool = simulateBank({ size: 600, blueprint: SMALL_BLUEPRINT, seed: 'engine-tests' });
const config: AdaptiveConfig = { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 12 }, exposure: { method: 'randomesque', k: 5 } };
const byId = new Map(pool.map((i) => [i.itemId, i]));
/** A candidate of ability θ answering deterministically: right when P ≥ ½ or by a seeded draw. */
const answerAs = (theta: number, seed: string) => {
  const random = simulationRandom(seed);
  return (item: { itemId: string }) => random() < probabilityRight(theta, byId.get(item.itemId)?.b ?? 0);
};

/** After every m items, each cell holds ⌊count · m / T⌋ or ⌈count · m / T⌉ of them. */
function withinShareAtEveryLength(t: Test, items: readonly { cell: number }[], counts: readonly number[], who: string): void {
  const total = counts.reduce((a, b) => a + b, 0);
  const sofar = counts.map(() => 0);
  let bad = 0;
  items.forEach((item, m) => {
    sofar[item.cell]!++;
    sofar.forEach((a, c) => {
      const share = (counts[c]! * (m + 1)) / total;
      if (a > Math.ceil(share) || a < Math.floor(share)) bad++;
    });
  });
  t.equal(bad, 0, `${who}: every cell within one item of its share after every item`);
}

t.test('the same seed and the same answers give the same items; another seed gives others', async (t) => {
  const engine = createCatEngine(pool, config);
  const a = runTest(engine, 'exam-1/candidate-7', answerAs(0.4, 'answers'));
  const b = runTest(createCatEngine(pool, config), 'exam-1/candidate-7', answerAs(0.4, 'answers'));
  t.equal(a.delivered.length, 12);
  t.same(b.delivered, a.delivered, 'a second engine (another process) delivers the same sequence');
  t.same(b.state, a.state, 'and ends in the same state');
  const c = runTest(engine, 'exam-1/candidate-8', answerAs(0.4, 'answers'));
  t.not(JSON.stringify(c.delivered), JSON.stringify(a.delivered), 'another candidate seed draws other items');
});

t.test('a state restored from JSON gives the same next item, and next() is idempotent until the answer', async (t) => {
  const engine = createCatEngine(pool, config);
  const original = runTest(engine, 'restore-seed', answerAs(-0.8, 'restore')).delivered;
  const answer = answerAs(-0.8, 'restore');
  let state = engine.start('restore-seed');
  for (let k = 0; k < original.length; k++) {
    // What a server does after a crash at every step: read the stored JSON, ask again.
    const restored = JSON.parse(JSON.stringify(state)) as AdaptiveState;
    const step = createCatEngine(pool, config).next(restored);
    t.same(step.item, original[k], `item ${k + 1} is the same after a restore`);
    const again = engine.next(step.state);
    t.same(again.item, step.item, 'asking again before the answer returns the item awaiting it');
    t.equal(again.state, step.state, 'and leaves the state as it is');
    state = engine.record(JSON.parse(JSON.stringify(step.state)) as AdaptiveState, step.item!.itemId, answer(step.item!));
  }
  t.equal(engine.next(state).item, null);
});

t.test('θ and SE after every answer are the EAP of the answers so far', async (t) => {
  const engine = createCatEngine(pool, config);
  let state = engine.start('eap-each-step');
  t.ok(Math.abs(state.theta) < 1e-12, 'θ starts at the prior mean');
  t.ok(Math.abs(state.se - 1) < 1e-6, 'SE starts at the prior SD');
  const answer = answerAs(1.2, 'eap');
  for (;;) {
    const step = engine.next(state);
    if (!step.item) break;
    state = engine.record(step.state, step.item.itemId, answer(step.item));
    const expected = estimateAbility(state.items.map((i) => ({ b: i.b!, correct: i.correct! })));
    t.ok(Math.abs(state.theta - expected.theta) < 1e-12 && Math.abs(state.se - expected.se) < 1e-12, `after ${state.items.length} answers`);
  }
  const result = engine.result(state);
  t.equal(result.theta, state.theta);
  t.equal(result.length, 12);
  t.equal(result.stop, 'max_items');
});

t.test('points map to right only with full points', async (t) => {
  const engine = createCatEngine(pool, config);
  const first = engine.next(engine.start('points'));
  const id = first.item!.itemId;
  const half = engine.record(first.state, id, { score: 0.5, maxPoints: 1 });
  const full = engine.record(first.state, id, { score: 0.25, maxPoints: 0.25 });
  t.equal(half.items[0]!.correct, false, 'half the points is wrong');
  t.equal(full.items[0]!.correct, true, 'all the points is right');
  t.ok(full.theta > half.theta);
});

t.test('answers for another item, a second answer, and foreign states are refused with typed errors', async (t) => {
  const engine = createCatEngine(pool, config);
  const step = engine.next(engine.start('errors'));
  t.throws(() => engine.record(step.state, 'not-the-item', true), AdaptiveItemMismatch);
  const answered = engine.record(step.state, step.item!.itemId, true);
  const err = t.throws(() => engine.record(answered, step.item!.itemId, false)) as AdaptiveItemMismatch;
  t.match(err, { statusCode: 409, code: 'adaptive_item_mismatch' }, 'no item awaits an answer: 409');
  t.throws(() => engine.record(step.state, step.item!.itemId, { score: Number.NaN, maxPoints: 1 }), { code: 'validation_failed' });
  t.throws(() => engine.next({ ...answered, version: 2 } as unknown as AdaptiveState), AdaptiveStateInvalid);
  t.throws(() => engine.next({ ...answered, items: [{ ...answered.items[0]!, cell: 99 }] }), { code: 'adaptive_state_invalid' });
  t.throws(() => engine.start(''), { code: 'validation_failed' });
});

t.test('content balancing meets the blueprint at its length and never runs a cell ahead of its share', async (t) => {
  const total = SIMULATION_BLUEPRINT.sections.reduce((n, s) => n + s.cells.reduce((m, c) => m + c.count, 0), 0);
  const bank = simulateBank({ size: 800, blueprint: SIMULATION_BLUEPRINT, seed: 'balance' });
  const engine = createCatEngine(bank, { blueprint: SIMULATION_BLUEPRINT, stop: { maxItems: total } });
  const counts = SIMULATION_BLUEPRINT.sections.flatMap((s) => s.cells.map((c) => c.count));
  for (const theta of [-3, -1, 0, 1.5, 3]) {
    const { state, result } = simulateCandidate(engine, theta, `balance-${theta}`);
    t.same(result.contentBalance.violations, [], `θ = ${theta}: no violations`);
    t.same(
      result.contentBalance.cells.map((c) => c.administered),
      counts,
      `θ = ${theta}: every cell holds exactly its blueprint count`,
    );
    withinShareAtEveryLength(t, state.items, counts, `θ = ${theta}`);
    const bySection = [0, 1, 2].map((s) => result.items.filter((i) => bank.find((b) => b.itemId === i.itemId)!.type === SIMULATION_BLUEPRINT.sections[s]!.type).length);
    t.same(bySection, [18, 6, 6], `θ = ${theta}: item types by section`);
  }
  // A longer test keeps the shares: 45 items → 1.5 × every count.
  const longer = createCatEngine(bank, { blueprint: SIMULATION_BLUEPRINT, stop: { maxItems: 2 * total } });
  const { result } = simulateCandidate(longer, 0.3, 'balance-60');
  t.same(result.contentBalance.cells.map((c) => c.administered), counts.map((c) => 2 * c), 'twice the length, twice every count');
});

t.test('a test stopped by its SE keeps every cell within one item of its share at every length', async (t) => {
  const bank = simulateBank({ size: 800, blueprint: SIMULATION_BLUEPRINT, seed: 'balance-se' });
  const engine = createCatEngine(bank, { blueprint: SIMULATION_BLUEPRINT, stop: { seTarget: 0.3, minItems: 10, maxItems: 60 } });
  const counts = SIMULATION_BLUEPRINT.sections.flatMap((s) => s.cells.map((c) => c.count));
  const random = simulationRandom('balance-se-population');
  for (let s = 0; s < 40; s++) {
    const theta = 4 * random() - 2;
    const { state, result } = simulateCandidate(engine, theta, `balance-se-${s}`);
    t.same(result.contentBalance.violations, [], `candidate ${s} (θ = ${theta.toFixed(2)}, ${result.length} items): no violations`);
    withinShareAtEveryLength(t, state.items, counts, `candidate ${s}`);
  }
});

t.test('a pool too small for the blueprint at the maximum length is refused, naming the cells', async (t) => {
  const items = evenPool(5);
  const err = t.throws(() => createCatEngine(items, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 24 } })) as AdaptiveBlueprintInfeasible;
  t.match(err, { statusCode: 422, code: 'blueprint_infeasible' });
  // 24 items: the level-1 cell needs 8, the other three 4 or 6: only the cells above 5 are short.
  t.same(
    err.cells.map((c) => [c.cell, c.needed, c.available]),
    [
      [0, 8, 5],
      [2, 6, 5],
      [3, 6, 5],
    ],
  );
});

t.test('invalid configurations are refused with every problem listed', async (t) => {
  const err = t.throws(() =>
    createCatEngine([...pool.slice(0, 3), { ...pool[0]!, b: Number.NaN }], {
      prior: { mean: 0, sd: 0 },
      stop: { maxItems: 0, seTarget: -1 },
      exposure: { method: 'randomesque', k: 0 },
      pretest: { items: [{ itemId: pool[1]!.itemId, revision: 1 }], rate: 2 },
    }),
  ) as AdaptiveConfigInvalid;
  t.match(err, { statusCode: 422, code: 'adaptive_config_invalid' });
  const paths = (err.details ?? []).map((d) => d.path);
  for (const p of ['/prior/sd', '/stop/maxItems', '/stop/seTarget', '/exposure/k', '/items/3/itemId', '/items/3/b', '/pretest/items/0/itemId', '/pretest/rate']) {
    t.ok(paths.includes(p), `names ${p}`);
  }
});
