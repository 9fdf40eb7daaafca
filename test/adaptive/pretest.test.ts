// Pretest items: delivered like the others, never part of θ, the length or
// the blueprint, and collected for calibration.
import t from 'tap';
import { estimateAbility } from '../../src/adaptive/ability.js';
import { createCatEngine } from '../../src/adaptive/cat-engine.js';
import { evenPool, runTest, SMALL_BLUEPRINT } from '../support/adaptive.js';

const pool = evenPool(30);
const pretest = ['p1', 'p2', 'p3'].map((itemId) => ({ itemId, revision: 2 }));
const operationalAnswer = (id: string) => id.charCodeAt(id.length - 1) % 3 !== 0;

t.test('pretest items at the configured positions change nothing about θ or the operational items', async (t) => {
  const engine = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 12 }, pretest: { items: pretest, positions: [2, 5] } });
  const allRight = runTest(engine, 'pretest', (item) => (item.pretest ? true : operationalAnswer(item.itemId)));
  const allWrong = runTest(engine, 'pretest', (item) => (item.pretest ? false : operationalAnswer(item.itemId)));
  t.same(
    allRight.delivered.filter((d) => d.pretest).map((d) => d.position),
    [2, 5],
    'pretest items at positions 2 and 5',
  );
  t.equal(allRight.delivered.length, 14, '12 operational items plus 2 pretest items');
  t.same(
    allRight.delivered.filter((d) => !d.pretest),
    allWrong.delivered.filter((d) => !d.pretest),
    'the operational items are the same whatever the pretest answers',
  );
  t.equal(allRight.state.theta, allWrong.state.theta, 'θ is the same');
  t.equal(allRight.state.se, allWrong.state.se, 'SE is the same');
  const operational = allRight.state.items.filter((i) => i.b !== null).map((i) => ({ b: i.b!, correct: i.correct! }));
  t.equal(allRight.state.theta, estimateAbility(operational).theta, 'θ is the EAP of the operational answers alone');
  const result = engine.result(allRight.state);
  t.equal(result.length, 12);
  t.same(result.contentBalance.violations, []);
  t.equal(result.pretest.length, 2);
  t.ok(result.pretest.every((p) => p.correct && p.revision === 2 && pretest.some((x) => x.itemId === p.itemId)), 'collected with their answers');
  t.equal(new Set(result.pretest.map((p) => p.itemId)).size, 2, 'no pretest item twice to one candidate');
  t.ok(allRight.delivered.filter((d) => d.pretest).every((d) => d.section === null));
});

t.test('a pretest rate with a cap per candidate, and positions past the end never reached', async (t) => {
  const everywhere = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 6 }, pretest: { items: pretest, rate: 1, maxPerCandidate: 2 } });
  const run = runTest(everywhere, 'rate', () => true);
  t.same(
    run.delivered.filter((d) => d.pretest).map((d) => d.position),
    [1, 2],
    'rate 1: every position until the cap of 2',
  );
  const late = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 6 }, pretest: { items: pretest, positions: [9] } });
  t.equal(runTest(late, 'late', () => true).delivered.filter((d) => d.pretest).length, 0, 'the test ends before position 9');
  const spread = createCatEngine(pool, { blueprint: SMALL_BLUEPRINT, stop: { maxItems: 6 }, pretest: { items: pretest, positions: [3] } });
  const seen = new Map<string, number>();
  for (let c = 0; c < 300; c++) {
    const id = runTest(spread, `spread-${c}`, () => true).delivered[2]!.itemId;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  t.same([...seen.keys()].sort(), ['p1', 'p2', 'p3'], 'every pretest item gets answers');
  t.ok([...seen.values()].every((n) => n > 70), `spread evenly over candidates: ${[...seen.values()].join(', ')} of 300`);
});
