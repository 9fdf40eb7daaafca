// Classical statistics checked against an independent computation: the
// expected values come from test/fixtures/reference/ctt_reference.py (standard
// library Python, no code shared with src/analysis), stored with its inputs in
// ctt_reference.json next to it. We assert ±1e-6 (the values are to 6 decimals).
import t, { type Test } from 'tap';
import { ExamAnalyzer, type ExamAnalysis, type ItemAnalysis } from '../../src/analysis/index.js';
import { choiceAttempts, choiceItems, near } from '../support/analysis.js';
import { loadReference } from '../support/reference.js';

const TOL = 1e-6;

function analyse(items: ConstructorParameters<typeof ExamAnalyzer>[0], attempts: Parameters<ExamAnalyzer['add']>[0][]): ExamAnalysis {
  const analyzer = new ExamAnalyzer(items, { rasch: false });
  for (const attempt of attempts) analyzer.add(attempt);
  return analyzer.result();
}

type ExpectedItem = { n: number; p: number; pbis: number | null; D: number };
function checkItems(t: Test, items: ItemAnalysis[], expected: ExpectedItem[]): void {
  expected.forEach((e, i) => {
    const item = items[i]!;
    t.equal(item.n, e.n, `item ${i} n`);
    near(t, item.pValue, e.p, TOL, `item ${i} p-value`);
    near(t, item.pointBiserial, e.pbis, TOL, `item ${i} corrected point-biserial`);
    near(t, item.discrimination, e.D, TOL, `item ${i} upper–lower discrimination`);
  });
}

interface ExpectedForm { itemCount: number; candidates: number; mean: number; sd: number; reliability: number; sem: number }
interface Expected {
  mean: number;
  sd: number;
  reliability: number;
  sem: number;
  forms: ExpectedForm[];
  items: ExpectedItem[];
  // per option: [count, share, point-biserial, upper share, lower share]
  options: Record<string, [number, number, number | null, number, number]>[];
  omitted: number[];
  tenPoint: { mean: number; sd: number; bins: number[] };
}
const REFERENCE = loadReference<{
  A: { keys: string; responses: string[]; expected: Expected };
  B: { maxPoints: number[]; rows: number[][]; expected: Expected };
  C: { rows: string[]; expected: Expected };
}>('ctt_reference.json');

// Dataset A: 12 candidates × 5 single-choice items, keys ABCDA, '-' = omitted.
const KEYS_A = REFERENCE.A.keys;
const RESPONSES_A = REFERENCE.A.responses;
const EXPECTED_A = { ...REFERENCE.A.expected, kr20: REFERENCE.A.expected.reliability };

t.test('dataset A (dichotomous, with options) agrees with the Python reference', async (t) => {
  const result = analyse(choiceItems(KEYS_A), choiceAttempts(KEYS_A, RESPONSES_A));
  t.equal(result.candidates, 12);
  near(t, result.mean, EXPECTED_A.mean, TOL, 'mean');
  near(t, result.sd, EXPECTED_A.sd, TOL, 'sd');
  t.ok('kr20' in result.reliability, 'all items dichotomous: KR-20 is reported');
  near(t, 'kr20' in result.reliability ? result.reliability.kr20 : null, EXPECTED_A.kr20, TOL, 'KR-20');
  near(t, result.sem, EXPECTED_A.sem, TOL, 'SEM');
  checkItems(t, result.items, EXPECTED_A.items);
  EXPECTED_A.options.forEach((options, i) => {
    const item = result.items[i]!;
    t.equal(item.omitted, EXPECTED_A.omitted[i], `item ${i} omitted`);
    t.same(Object.keys(item.options), ['A', 'B', 'C', 'D'], `item ${i} lists every option in authoring order`);
    for (const [id, [count, share, pbis, upper, lower]] of Object.entries(options)) {
      const o = item.options[id]!;
      t.equal(o.count, count, `item ${i} option ${id} count`);
      near(t, o.share, share, TOL, `item ${i} option ${id} share`);
      near(t, o.pointBiserial, pbis, TOL, `item ${i} option ${id} point-biserial`);
      near(t, o.upperShare, upper, TOL, `item ${i} option ${id} upper share`);
      near(t, o.lowerShare, lower, TOL, `item ${i} option ${id} lower share`);
      t.equal(o.key, KEYS_A[i] === id, `item ${i} option ${id} key`);
    }
  });
  near(t, result.distribution.mean, EXPECTED_A.tenPoint.mean, TOL, 'ten-point mean');
  near(t, result.distribution.sd, EXPECTED_A.tenPoint.sd, TOL, 'ten-point sd');
  t.same(result.distribution.bins.map((b) => b.count), EXPECTED_A.tenPoint.bins, 'ten-point bins');
  t.same(result.distribution.bins.map((b) => [b.from, b.to]), Array.from({ length: 10 }, (_, b) => [b, b + 1]));
  t.equal(result.forms.length, 1);
});

// Dataset B: polytomous items worth 2, 1, 3, 1 points, including half points.
const MAX_B = REFERENCE.B.maxPoints;
const ROWS_B = REFERENCE.B.rows;
const EXPECTED_B = { ...REFERENCE.B.expected, alpha: REFERENCE.B.expected.reliability };

t.test('dataset B (polytomous) reports Cronbach alpha and agrees with the Python reference', async (t) => {
  const items = MAX_B.map((maxPoints, i) => ({ itemId: `p${i}`, revision: 3, maxPoints }));
  const result = analyse(items, ROWS_B.map((itemScores) => ({ itemScores })));
  near(t, result.mean, EXPECTED_B.mean, TOL, 'mean');
  near(t, result.sd, EXPECTED_B.sd, TOL, 'sd');
  t.ok('alpha' in result.reliability, 'a polytomous item switches the label to alpha');
  near(t, 'alpha' in result.reliability ? result.reliability.alpha : null, EXPECTED_B.alpha, TOL, 'alpha');
  near(t, result.sem, EXPECTED_B.sem, TOL, 'SEM');
  checkItems(t, result.items, EXPECTED_B.items);
  t.same(result.items.map((i) => i.dichotomous), [false, true, false, true]);
  t.same(result.items.map((i) => i.options), [{}, {}, {}, {}], 'items without options have an empty options map');
  near(t, result.distribution.mean, EXPECTED_B.tenPoint.mean, TOL, 'ten-point mean');
  near(t, result.distribution.sd, EXPECTED_B.tenPoint.sd, TOL, 'ten-point sd');
  t.same(result.distribution.bins.map((b) => b.count), EXPECTED_B.tenPoint.bins, 'ten-point bins');
});

// Dataset C: two forms sharing items 2 and 3; '.' = not on the candidate's form.
const ROWS_C = REFERENCE.C.rows;
const EXPECTED_C = { ...REFERENCE.C.expected, kr20: REFERENCE.C.expected.reliability };

t.test('dataset C (two linked forms) pools reliability over forms as the Python reference does', async (t) => {
  const items = Array.from({ length: 6 }, (_, i) => ({ itemId: `c${i}`, revision: 1, maxPoints: 1 }));
  const result = analyse(items, ROWS_C.map((row) => ({ itemScores: [...row].map((c) => (c === '.' ? null : Number(c))) })));
  near(t, result.mean, EXPECTED_C.mean, TOL, 'mean');
  near(t, result.sd, EXPECTED_C.sd, TOL, 'sd');
  near(t, 'kr20' in result.reliability ? result.reliability.kr20 : null, EXPECTED_C.kr20, TOL, 'pooled KR-20');
  near(t, result.sem, EXPECTED_C.sem, TOL, 'pooled SEM');
  t.equal(result.forms.length, 2);
  EXPECTED_C.forms.forEach((e, f) => {
    const form = result.forms[f]!;
    t.equal(form.itemCount, e.itemCount);
    t.equal(form.candidates, e.candidates);
    t.equal(form.maxScore, 4);
    near(t, form.mean, e.mean, TOL, `form ${f} mean`);
    near(t, form.sd, e.sd, TOL, `form ${f} sd`);
    near(t, form.reliability, e.reliability, TOL, `form ${f} KR-20`);
    near(t, form.sem, e.sem, TOL, `form ${f} SEM`);
  });
  checkItems(t, result.items, EXPECTED_C.items);
  near(t, result.distribution.mean, EXPECTED_C.tenPoint.mean, TOL, 'ten-point mean');
  near(t, result.distribution.sd, EXPECTED_C.tenPoint.sd, TOL, 'ten-point sd');
  t.same(result.distribution.bins.map((b) => b.count), EXPECTED_C.tenPoint.bins, 'ten-point bins');
});
