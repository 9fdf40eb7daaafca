// Rasch (1PL) calibration by conditional maximum likelihood.
//
// Where the expected numbers come from:
// - LSAT: the Law School Admission Test section 6 responses of Bock &
//   Lieberman (1970, Psychometrika 35), 1000 candidates × 5 items, as the
//   pattern frequencies distributed with R's ltm (`LSAT`) and mirt (`LSAT6`).
//   Its item p-values are simply the table's marginals.
// - Difficulties, SEs, log-likelihood, infit/outfit and abilities for LSAT
//   and for a two-form linked design: the independent Python 3.11 script named
//   at the end of this comment (standard library only). It shares no algorithm
//   with src/analysis/rasch.ts: symmetric functions by explicit subset sums,
//   the classic CML fixed-point iteration instead of Newton–Raphson, SEs from a
//   finite-difference Hessian instead of the analytic information, abilities
//   by bisection. Its output is stored to 6 decimals; the issue asks for
//   2 decimals, we assert ±1e-5 (±1e-4 for the finite-difference SEs).
// - Recovery: responses simulated with seedrandom from known difficulties.
//
// Identification: the calibrated items' difficulties sum to 0 (mean item
// difficulty 0, eRm's sum0). CML needs no (L − 1)/L bias correction (that is a
// joint-ML correction) and none is applied. Candidates with all-wrong or
// all-right raw scores are excluded and counted; so are items without a
// finite estimate.
//
// The reference script: test/fixtures/reference/rasch_reference.py (its output: rasch_reference.json).
import t, { type Test } from 'tap';
import seedrandom from 'seedrandom';
import { calibrateRasch, ExamAnalyzer, NOT_ADMINISTERED, type AnalysisItem, type RaschItem } from '../../src/analysis/index.js';
import { near, patternAttempts } from '../support/analysis.js';
import { loadReference } from '../support/reference.js';

interface Calibration {
  logLikelihood: number;
  /** Per item: [difficulty, se, infit, outfit]. */
  items: number[][];
  /** Ability for each raw score seen on each set of items (form). */
  abilities: { items: number[]; rawScores: number[]; theta: number[] }[];
}
const REFERENCE = loadReference<Record<'LSAT' | 'LINKED', { patterns: Record<string, number>; expected: Calibration }>>('rasch_reference.json');

const LSAT = REFERENCE.LSAT.patterns;
const EXPECTED_LSAT = {
  ...REFERENCE.LSAT.expected,
  // indexed by raw score 0..5; the extreme scores have no ability
  thetaByRawScore: [NaN, ...REFERENCE.LSAT.expected.abilities[0]!.theta, NaN],
};

const LINKED = REFERENCE.LINKED.patterns;
const EXPECTED_LINKED = {
  ...REFERENCE.LINKED.expected,
  // ability for raw scores 1..3 on form X (items 0–3) and form Y (items 2–5)
  thetaX: REFERENCE.LINKED.expected.abilities.find((f) => f.items.join() === '0,1,2,3')!.theta,
  thetaY: REFERENCE.LINKED.expected.abilities.find((f) => f.items.join() === '2,3,4,5')!.theta,
};

function binaryItems(count: number): AnalysisItem[] {
  return Array.from({ length: count }, (_, i) => ({ itemId: `item${i + 1}`, revision: 1, maxPoints: 1 }));
}

function checkEstimates(t: Test, estimates: (RaschItem | null)[], expected: number[][]): void {
  expected.forEach(([b, se, infit, outfit], i) => {
    const e = estimates[i];
    near(t, e?.difficulty, b!, 1e-5, `item ${i + 1} difficulty`);
    near(t, e?.se, se!, 1e-4, `item ${i + 1} SE`);
    near(t, e?.infit, infit!, 1e-5, `item ${i + 1} infit`);
    near(t, e?.outfit, outfit!, 1e-5, `item ${i + 1} outfit`);
  });
}

t.test('LSAT: CML difficulties, SEs and fit agree with the independent Python computation', async (t) => {
  const analyzer = new ExamAnalyzer(binaryItems(5));
  patternAttempts(LSAT).forEach((a) => analyzer.add(a));
  const result = analyzer.result();
  t.same(
    result.items.map((i) => i.pValue),
    [0.924, 0.709, 0.553, 0.763, 0.87],
    'p-values are the marginals of the published table',
  );
  const rasch = result.rasch!;
  t.equal(rasch.calibrated, true);
  t.equal(rasch.converged, true);
  t.ok(rasch.iterations <= 10, `Newton converged in ${rasch.iterations} steps`);
  t.ok(rasch.maxChange! < 1e-6, 'last step below the tolerance');
  near(t, rasch.logLikelihood, EXPECTED_LSAT.logLikelihood, 1e-5, 'conditional log-likelihood');
  t.same(rasch.persons, { calibrated: 699, extremeZero: 3, extremeFull: 298, noItems: 0 }, 'extreme candidates excluded and counted');
  t.same(rasch.excludedItems, []);
  checkEstimates(t, result.items.map((i) => i.rasch), EXPECTED_LSAT.items);
  near(t, result.items.reduce((s, i) => s + i.rasch!.difficulty, 0), 0, 1e-12, 'difficulties sum to 0');
});

t.test('LSAT abilities by raw score agree with the Python bisection', async (t) => {
  const rows = patternAttempts(LSAT).map((a) => Array.from(a.itemScores, Number));
  const calibration = calibrateRasch(Uint8Array.from(rows.flat()), rows.length, 5);
  rows.forEach((row, a) => {
    const r = row.reduce((s, x) => s + x, 0);
    if (r === 0 || r === 5) t.ok(Number.isNaN(calibration.abilities[a]), 'extreme candidates get no ability');
    else if (a % 50 === 0) near(t, calibration.abilities[a], EXPECTED_LSAT.thetaByRawScore[r]!, 1e-5, `ability at raw score ${r}`);
  });
});

t.test('two linked forms (incomplete design) agree with the independent Python computation', async (t) => {
  const analyzer = new ExamAnalyzer(binaryItems(6));
  patternAttempts(LINKED).forEach((a) => analyzer.add(a));
  const result = analyzer.result();
  const rasch = result.rasch!;
  t.equal(rasch.converged, true);
  near(t, rasch.logLikelihood, EXPECTED_LINKED.logLikelihood, 1e-5, 'conditional log-likelihood');
  t.same(rasch.persons, { calibrated: 83, extremeZero: 23, extremeFull: 14, noItems: 0 });
  checkEstimates(t, result.items.map((i) => i.rasch), EXPECTED_LINKED.items);

  const attempts = patternAttempts(LINKED);
  const rows = attempts.map((a) => Array.from(a.itemScores, (x) => (x === null ? NOT_ADMINISTERED : x)));
  const calibration = calibrateRasch(Uint8Array.from(rows.flat()), rows.length, 6);
  rows.forEach((row, a) => {
    const onX = row[0] !== NOT_ADMINISTERED;
    const r = row.reduce((s, x) => s + (x === NOT_ADMINISTERED ? 0 : x), 0);
    if (r > 0 && r < 4) {
      near(t, calibration.abilities[a], (onX ? EXPECTED_LINKED.thetaX : EXPECTED_LINKED.thetaY)[r - 1]!, 1e-5, `form ${onX ? 'X' : 'Y'} r=${r}`);
    }
  });
});

/** Standard normal deviate by Box–Muller from a seeded generator. */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function simulateRasch(seed: string, persons: number, difficulties: number[], forms: number[][]): Uint8Array {
  const rng = seedrandom(seed);
  const K = difficulties.length;
  const responses = new Uint8Array(persons * K).fill(NOT_ADMINISTERED);
  for (let a = 0; a < persons; a++) {
    const theta = normal(rng);
    for (const i of forms[a % forms.length]!) {
      responses[a * K + i] = rng() < 1 / (1 + Math.exp(difficulties[i]! - theta)) ? 1 : 0;
    }
  }
  return responses;
}

function checkRecovery(t: Test, estimates: (RaschItem | string | null)[], truth: number[]): void {
  const mean = truth.reduce((s, b) => s + b, 0) / truth.length;
  let z2 = 0;
  let sq = 0;
  truth.forEach((b, i) => {
    const e = estimates[i] as RaschItem;
    const z = (e.difficulty - (b - mean)) / e.se;
    z2 += z * z;
    sq += (e.difficulty - (b - mean)) ** 2;
    t.ok(Math.abs(z) < 3.5, `item ${i}: ${e.difficulty.toFixed(3)} vs ${(b - mean).toFixed(3)} (z = ${z.toFixed(2)})`);
    t.ok(e.infit > 0.85 && e.infit < 1.15 && e.outfit > 0.8 && e.outfit < 1.2, `item ${i} fits (${e.infit.toFixed(2)}, ${e.outfit.toFixed(2)})`);
  });
  // If the SEs are right, the z-scores have unit variance: their mean square is
  // a χ²_k/k variate, inside [0.35, 2] with probability > 0.999 for k ≥ 20.
  t.ok(z2 / truth.length > 0.35 && z2 / truth.length < 2, `mean z² ${(z2 / truth.length).toFixed(2)} ≈ 1`);
  t.ok(Math.sqrt(sq / truth.length) < 0.08, `RMSE ${Math.sqrt(sq / truth.length).toFixed(3)}`);
}

t.test('difficulties simulated from known values are recovered within their standard errors', async (t) => {
  const truth = Array.from({ length: 20 }, (_, i) => -2.5 + (5 * i) / 19 + 0.3);
  const all = truth.map((_, i) => i);
  const calibration = calibrateRasch(simulateRasch('recovery', 5000, truth, [all]), 5000, 20);
  t.equal(calibration.converged, true);
  t.ok(calibration.iterations <= 10);
  checkRecovery(t, calibration.items, truth);
});

t.test('recovery across two forms linked by anchor items', async (t) => {
  const truth = Array.from({ length: 25 }, (_, i) => Math.sin(i * 1.7) * 2);
  const formA = Array.from({ length: 15 }, (_, i) => i); // items 0–14
  const formB = Array.from({ length: 15 }, (_, i) => i + 10); // items 10–24, anchors 10–14
  const calibration = calibrateRasch(simulateRasch('linked', 8000, truth, [formA, formB]), 8000, 25);
  t.equal(calibration.converged, true);
  checkRecovery(t, calibration.items, truth);
});

t.test('extreme candidates and items are excluded, also when one exclusion causes another', async (t) => {
  // i0 is right for everyone except a candidate with nothing right; once that
  // candidate is out, i0 is right for all and has no finite difficulty; without
  // i0 the candidate 1000 has nothing right and is excluded in turn.
  // i4 is polytomous (half points) and never enters the 1PL model.
  const items: AnalysisItem[] = [...binaryItems(4), { itemId: 'essay', revision: 2, maxPoints: 2 }];
  const rows = ['0000', '1100', '1010', '1001', '1110', '1011', '1000'];
  const analyzer = new ExamAnalyzer(items);
  rows.forEach((row, a) => analyzer.add({ itemScores: [...[...row].map(Number), (a % 5) / 2] }));
  const result = analyzer.result();
  const rasch = result.rasch!;
  t.equal(rasch.calibrated, true);
  t.same(rasch.persons, { calibrated: 5, extremeZero: 2, extremeFull: 0, noItems: 0 });
  t.same(rasch.excludedItems, [
    { itemId: 'essay', revision: 2, reason: 'polytomous' },
    { itemId: 'item1', revision: 1, reason: 'all_correct' },
  ]);
  t.equal(rasch.items, 3);
  t.equal(result.items[0]!.rasch, null);
  t.equal(result.items[4]!.rasch, null);
  t.ok(result.items.slice(1, 4).every((i) => i.rasch !== null));
  // Symmetric data: items 2 and 4 are each right for 2 of the 5, item 3 for 3.
  near(t, result.items[1]!.rasch!.difficulty, result.items[3]!.rasch!.difficulty, 1e-9, 'equal scores, equal difficulties');
  t.ok(result.items[2]!.rasch!.difficulty < result.items[1]!.rasch!.difficulty, 'the more often right item is easier');

  const wrong = calibrateRasch(Uint8Array.from([0, 1, 0, 0, 1, 1, 0, 0, 1]), 3, 3);
  t.same(wrong.items[0], 'all_wrong');
});

t.test('a design whose items are not linked is refused rather than given meaningless numbers', async (t) => {
  // Two forms without a common item: the two scales cannot be placed on one.
  const disjoint = patternAttempts({ '10..': 3, '01..': 3, '11..': 1, '..10': 2, '..01': 4, '..00': 1 });
  const analyzer = new ExamAnalyzer(binaryItems(4));
  disjoint.forEach((a) => analyzer.add(a));
  const rasch = analyzer.result().rasch!;
  t.equal(rasch.calibrated, false);
  t.match(rasch.note, /Fischer/);
  t.equal(rasch.items, 0);
  // One form, no extreme item, yet nobody gets item 3 or 4 right while getting
  // item 1 or 2 wrong: the gap between the pairs runs off to infinity
  // (Fischer's condition fails although every item has right and wrong answers).
  const split = calibrateRasch(Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1]), 5, 4);
  t.equal(split.calibrated, false);
  t.same(split.items, [null, null, null, null], 'no item was excluded for a reason of its own');
  const single = calibrateRasch(Uint8Array.from([1, 0, 0, 1]), 2, 2);
  t.equal(single.calibrated, true, 'two items answered in both orders are linked');
  t.equal(calibrateRasch(Uint8Array.from([1, 0]), 2, 1).calibrated, false, 'one item cannot be calibrated');
});

t.test('convergence is reported honestly when the iteration budget is too small', async (t) => {
  const truth = Array.from({ length: 10 }, (_, i) => -2 + (4 * i) / 9);
  const responses = simulateRasch('budget', 2000, truth, [truth.map((_, i) => i)]);
  const capped = calibrateRasch(responses, 2000, 10, { maxIterations: 1 });
  t.equal(capped.iterations, 1);
  t.equal(capped.converged, false);
  t.ok(capped.maxChange! > 1e-6);
  const full = calibrateRasch(responses, 2000, 10);
  t.equal(full.converged, true);
  t.ok(full.maxChange! < 1e-6);
  const refused = calibrateRasch(responses, 2000, 10, { maxWork: 10 });
  t.equal(refused.calibrated, false, 'over the work limit');
  t.match(refused.note, /work limit/);
});
