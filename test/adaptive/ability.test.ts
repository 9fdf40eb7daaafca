// EAP ability estimates under the Rasch model, and the item information.
//
// Expected values come from an independent Python 3.11 computation (standard
// library only, named below): composite Simpson's rule with 4,001 nodes over
// the prior mean ± 10 SDs, probabilities in plain floating point, no shared
// code with src/adaptive/ability.ts (81 equally spaced nodes over ± 6 SDs by
// default). Ordinary patterns must agree to 1e-6. Extreme ones, whose
// posterior sits 3.5 prior SDs out, lose a little of its upper tail beyond
// +6 SDs: C agrees to 1e-5, D (30 right answers, the most extreme pattern a
// 30-item test gives) to 1e-4 in θ and 2e-4 in SE, negligible beside an SE of 0.53.
//
// The reference script: test/fixtures/reference/eap_reference.py (its output, with the cases: eap_reference.json).
import t from 'tap';
import { estimateAbility } from '../../src/adaptive/ability.js';
import { itemInformation, logProbability, probabilityRight } from '../../src/adaptive/rasch-model.js';
import { near } from '../support/analysis.js';
import { loadReference } from '../support/reference.js';

type Case = { prior: { mean: number; sd: number }; items: { b: number; correct: boolean }[]; theta: number; se: number };
const REFERENCE = loadReference<Record<'A' | 'B' | 'C' | 'D', Case>>('eap_reference.json');

const pattern = (bs: number[], xs: number[]) => bs.map((b, i) => ({ b, correct: xs[i] === 1 }));

t.test('EAP agrees with the independent Simpson computation', async (t) => {
  const { A, B, C, D } = REFERENCE;
  t.equal(D.items.length, 30, 'D is the 30-item all-right pattern');
  const a = estimateAbility(A.items);
  near(t, a.theta, A.theta, 1e-6, 'A: one right answer at b = 0, θ');
  near(t, a.se, A.se, 1e-6, 'A: SE');
  const b = estimateAbility(B.items);
  near(t, b.theta, B.theta, 1e-6, 'B: five items, θ');
  near(t, b.se, B.se, 1e-6, 'B: SE');
  const c = estimateAbility(C.items, C.prior);
  near(t, c.theta, C.theta, 1e-5, 'C: all right, prior N(0.5, 1.5²), θ');
  near(t, c.se, C.se, 1e-5, 'C: SE');
  const d = estimateAbility(D.items);
  near(t, d.theta, D.theta, 1e-4, 'D: 30 right answers, θ');
  near(t, d.se, D.se, 2e-4, 'D: SE');
});

t.test('without answers the estimate is the prior: mean and SD', async (t) => {
  const e = estimateAbility([], { mean: -0.4, sd: 1.3 });
  near(t, e.theta, -0.4, 1e-9, 'θ = prior mean');
  near(t, e.se, 1.3, 1e-6, 'SE = prior SD');
});

t.test('a wrong answer mirrors a right one at the same distance; more answers narrow the posterior', async (t) => {
  const right = estimateAbility([{ b: 0, correct: true }]);
  const wrong = estimateAbility([{ b: 0, correct: false }]);
  near(t, wrong.theta, -right.theta, 1e-12, 'symmetric');
  near(t, wrong.se, right.se, 1e-12, 'same SE');
  const five = estimateAbility(pattern([0, 0, 0, 0, 0], [1, 0, 1, 0, 1]));
  t.ok(five.se < right.se, 'SE falls with more answers');
});

t.test('the quadrature rule can be changed and gives the same estimate where it is fine enough', async (t) => {
  const items = REFERENCE.B.items;
  const fine = estimateAbility(items, { mean: 0, sd: 1 }, { points: 61, halfWidth: 5 });
  near(t, fine.theta, REFERENCE.B.theta, 1e-5, '61 nodes over ±5 SDs');
});

t.test('Rasch probability and Fisher information', async (t) => {
  near(t, probabilityRight(1, 1), 0.5, 1e-15, 'P = ½ at θ = b');
  near(t, itemInformation(0.3, 0.3), 0.25, 1e-15, 'information peaks at 0.25 where θ = b');
  // e / (1 + e)² at |θ − b| = 1, either side.
  near(t, itemInformation(0, 1), Math.E / (1 + Math.E) ** 2, 1e-15, 'one logit below');
  near(t, itemInformation(2, 1), 0.19661193324148185, 1e-15, 'one logit above');
  t.ok(itemInformation(0, 2) < itemInformation(0, 1.5), 'information falls with distance');
  near(t, logProbability(0, 800, false), 0, 1e-12, 'log P(wrong) of an impossible item is 0, not NaN');
  near(t, logProbability(0, 800, true), -800, 1e-9, 'log P(right) far below does not underflow to −∞');
});
