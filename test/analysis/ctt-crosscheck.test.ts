// The streaming analyzer against a deliberately naive second implementation
// (plain arrays, textbook formulas, one item at a time) on seeded random data
// that has everything the small hand-checked datasets lack: three forms with
// different item sets, multiple-response and polytomous items, omissions and
// many ties in total scores. Both must agree to 1e-9.
import t, { type Test } from 'tap';
import seedrandom from 'seedrandom';
import { analyzeAttempts, AnalysisInputError, ExamAnalyzer, type AnalysisItem, type ExamAnalysis } from '../../src/analysis/index.js';
import { near } from '../support/analysis.js';

interface RawAttempt {
  itemScores: (number | null)[];
  choices: (string | string[] | null)[];
}

const ITEMS: AnalysisItem[] = [
  ...Array.from({ length: 6 }, (_, i) => ({ itemId: `sc${i}`, revision: 1, maxPoints: 1, options: ['A', 'B', 'C', 'D'], key: ['B'] })),
  ...Array.from({ length: 2 }, (_, i) => ({ itemId: `mc${i}`, revision: 2, maxPoints: 2, options: ['A', 'B', 'C', 'D', 'E'], key: ['A', 'C'] })),
  { itemId: 'essay', revision: 1, maxPoints: 3 },
  { itemId: 'cluster', revision: 4, maxPoints: 1 },
  { itemId: 'tf1', revision: 1, maxPoints: 1 },
  { itemId: 'tf2', revision: 1, maxPoints: 1 },
];
// Form 0 lacks tf2, form 1 lacks sc0 and sc1, form 2 has everything.
const FORMS = [new Set([11]), new Set([0, 1]), new Set<number>()];

function simulate(seed: string, count: number): RawAttempt[] {
  const rng = seedrandom(seed);
  const attempts: RawAttempt[] = [];
  for (let a = 0; a < count; a++) {
    const theta = rng() * 4 - 2;
    const missing = FORMS[Math.floor(rng() * FORMS.length)]!;
    const right = (b: number): boolean => rng() < 1 / (1 + Math.exp(b - theta));
    const itemScores: (number | null)[] = [];
    const choices: (string | string[] | null)[] = [];
    ITEMS.forEach((_item, i) => {
      if (missing.has(i)) {
        itemScores.push(null);
        choices.push(null);
      } else if (i < 6) {
        const pick = rng() < 0.05 ? null : right(i - 3) ? 'B' : 'ACD'[Math.floor(rng() * 3)]!;
        itemScores.push(pick === 'B' ? 1 : 0);
        choices.push(pick);
      } else if (i < 8) {
        const picked = ['A', 'B', 'C', 'D', 'E'].filter((o) => (o === 'A' || o === 'C' ? right(0) : rng() < 0.2));
        const good = picked.filter((o) => o === 'A' || o === 'C').length;
        itemScores.push(2 * Math.max(0, (good - (picked.length - good)) / 2));
        choices.push(picked);
      } else if (i === 8) {
        itemScores.push([0, 1, 2, 3].filter((s) => s > 0 && right(s - 2)).length);
        choices.push(null);
      } else if (i === 9) {
        itemScores.push([0, 0.1, 0.25, 0.5, 1][[0, 1, 2, 3].filter((s) => right(s - 1.5)).length]!);
        choices.push(null);
      } else {
        itemScores.push(right(i === 10 ? -1 : 1.5) ? 1 : 0);
        choices.push(null);
      }
    });
    attempts.push({ itemScores, choices });
  }
  return attempts;
}

// ---- the naive implementation ----
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const pvar = (xs: number[]): number => mean(xs.map((x) => (x - mean(xs)) ** 2));
const stdev = (xs: number[]): number => Math.sqrt((pvar(xs) * xs.length) / (xs.length - 1));
function pearson(x: number[], y: number[]): number | null {
  if (new Set(x).size < 2 || new Set(y).size < 2) return null;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  x.forEach((xi, j) => {
    sxy += (xi - mx) * (y[j]! - my);
    sxx += (xi - mx) ** 2;
    syy += (y[j]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}
/** Overlap of each candidate's tie-block rank interval with the first g places. */
function groupWeights(keys: number[], g: number, top: boolean): number[] {
  const order = keys.map((_, j) => j).sort((p, q) => (top ? keys[q]! - keys[p]! : keys[p]! - keys[q]!));
  const w = new Array<number>(keys.length).fill(0);
  for (let pos = 0; pos < order.length; ) {
    let end = pos;
    while (end < order.length && keys[order[end]!] === keys[order[pos]!]) end++;
    const overlap = Math.max(0, Math.min(end, g) - pos);
    for (let q = pos; q < end; q++) w[order[q]!] = overlap / (end - pos);
    pos = end;
  }
  return w;
}

function naive(items: AnalysisItem[], attempts: RawAttempt[]) {
  const totals = attempts.map((a) => a.itemScores.reduce<number>((s, x) => s + (x ?? 0), 0));
  const maxTotals = attempts.map((a) => items.reduce((s, item, i) => s + (a.itemScores[i] === null ? 0 : item.maxPoints), 0));
  const ratio = totals.map((tot, a) => tot / maxTotals[a]!);
  const itemStats = items.map((item, i) => {
    const idx = attempts.map((_, a) => a).filter((a) => attempts[a]!.itemScores[i] !== null);
    const x = idx.map((a) => attempts[a]!.itemScores[i]!);
    const rest = idx.map((a, j) => totals[a]! - x[j]!);
    const g = Math.round(0.27 * idx.length);
    const keys = idx.map((a) => ratio[a]!);
    const wu = groupWeights(keys, g, true);
    const wl = groupWeights(keys, g, false);
    const D = x.reduce((s, v, j) => s + ((wu[j]! - wl[j]!) * v) / item.maxPoints, 0) / g;
    const options: Record<string, { count: number; share: number; pbis: number | null; upper: number; lower: number }> = {};
    for (const o of item.options ?? []) {
      const ind = idx.map((a) => {
        const c = attempts[a]!.choices[i];
        return c === o || (Array.isArray(c) && c.includes(o)) ? 1 : 0;
      });
      const count = ind.reduce<number>((s, v) => s + v, 0);
      options[o] = {
        count,
        share: count / idx.length,
        pbis: pearson(ind, rest),
        upper: ind.reduce<number>((s, v, j) => s + v * wu[j]!, 0) / g,
        lower: ind.reduce<number>((s, v, j) => s + v * wl[j]!, 0) / g,
      };
    }
    return { n: idx.length, p: mean(x) / item.maxPoints, pbis: pearson(x, rest), D, options };
  });
  const byForm = new Map<string, number[]>();
  attempts.forEach((a, j) => {
    const key = a.itemScores.map((x) => (x === null ? '0' : '1')).join('');
    byForm.set(key, [...(byForm.get(key) ?? []), j]);
  });
  let pooledN = 0, pooledE = 0;
  const forms = [...byForm.entries()].map(([key, members]) => {
    const onForm = [...key].flatMap((c, i) => (c === '1' ? [i] : []));
    const k = onForm.length;
    const ft = members.map((a) => totals[a]!);
    const alpha = (k / (k - 1)) * (1 - onForm.reduce((s, i) => s + pvar(members.map((a) => attempts[a]!.itemScores[i]!)), 0) / pvar(ft));
    const sem = stdev(ft) * Math.sqrt(1 - alpha);
    pooledN += members.length;
    pooledE += members.length * sem * sem;
    return { candidates: members.length, alpha, sem };
  });
  const sd = stdev(totals);
  const sem = Math.sqrt(pooledE / pooledN);
  return { mean: mean(totals), sd, sem, reliability: 1 - (sem * sem) / (sd * sd), forms, items: itemStats };
}

function compare(t: Test, result: ExamAnalysis, expected: ReturnType<typeof naive>): void {
  const TOL = 1e-9;
  near(t, result.mean, expected.mean, TOL, 'mean');
  near(t, result.sd, expected.sd, TOL, 'sd');
  near(t, result.sem, expected.sem, TOL, 'pooled SEM');
  t.ok('alpha' in result.reliability, 'polytomous items: alpha');
  near(t, 'alpha' in result.reliability ? result.reliability.alpha : null, expected.reliability, TOL, 'pooled alpha');
  t.equal(result.forms.length, expected.forms.length, 'forms');
  result.forms.forEach((form, f) => {
    t.equal(form.candidates, expected.forms[f]!.candidates);
    near(t, form.reliability, expected.forms[f]!.alpha, TOL, `form ${f} alpha`);
    near(t, form.sem, expected.forms[f]!.sem, TOL, `form ${f} SEM`);
  });
  result.items.forEach((item, i) => {
    const e = expected.items[i]!;
    t.equal(item.n, e.n, `${item.itemId} n`);
    near(t, item.pValue, e.p, TOL, `${item.itemId} p`);
    near(t, item.pointBiserial, e.pbis, TOL, `${item.itemId} point-biserial`);
    near(t, item.discrimination, e.D, TOL, `${item.itemId} discrimination`);
    for (const [o, eo] of Object.entries(e.options)) {
      const ro = item.options[o]!;
      t.equal(ro.count, eo.count, `${item.itemId} ${o} count`);
      near(t, ro.share, eo.share, TOL, `${item.itemId} ${o} share`);
      near(t, ro.pointBiserial, eo.pbis, TOL, `${item.itemId} ${o} point-biserial`);
      near(t, ro.upperShare, eo.upper, TOL, `${item.itemId} ${o} upper share`);
      near(t, ro.lowerShare, eo.lower, TOL, `${item.itemId} ${o} lower share`);
    }
  });
}

t.test('streaming analyzer agrees with the naive implementation on three forms and mixed item types', async (t) => {
  const attempts = simulate('ctt-crosscheck', 600);
  const analyzer = new ExamAnalyzer(ITEMS, { rasch: false, expectedAttempts: 16 });
  for (const a of attempts) analyzer.add(a);
  const result = analyzer.result();
  t.equal(result.candidates, 600);
  compare(t, result, naive(ITEMS, attempts));
  const mc = result.items[6]!;
  t.ok(Object.values(mc.options).reduce((s, o) => s + o.share, 0) > 1, 'multiple-response shares may add up to more than 1');
  t.equal(result.rasch, null, 'rasch: false skips calibration');
});

t.test('the result does not depend on the order attempts arrive in (ties share group places)', async (t) => {
  const attempts = simulate('order', 300);
  const rng = seedrandom('shuffle');
  const shuffled = attempts.slice();
  for (let j = shuffled.length - 1; j > 0; j--) {
    const r = Math.floor(rng() * (j + 1));
    [shuffled[j], shuffled[r]] = [shuffled[r]!, shuffled[j]!];
  }
  const run = (list: RawAttempt[]): ExamAnalysis => {
    const analyzer = new ExamAnalyzer(ITEMS, { rasch: false });
    list.forEach((a) => analyzer.add(a));
    return analyzer.result();
  };
  const a = run(attempts);
  const b = run(shuffled);
  a.items.forEach((item, i) => {
    near(t, b.items[i]!.discrimination, item.discrimination, 1e-12, `${item.itemId} discrimination`);
    near(t, b.items[i]!.pointBiserial, item.pointBiserial, 1e-12, `${item.itemId} point-biserial`);
  });
});

t.test('result() can be taken mid-stream and again after more attempts', async (t) => {
  const attempts = simulate('incremental', 400);
  const analyzer = new ExamAnalyzer(ITEMS, { rasch: false });
  attempts.slice(0, 150).forEach((a) => analyzer.add(a));
  compare(t, analyzer.result(), naive(ITEMS, attempts.slice(0, 150)));
  attempts.slice(150).forEach((a) => analyzer.add(a));
  t.equal(analyzer.attempts, 400);
  compare(t, analyzer.result(), naive(ITEMS, attempts));
});

t.test('malformed attempts are refused and leave no trace', async (t) => {
  const analyzer = new ExamAnalyzer(ITEMS.slice(0, 2), { rasch: false });
  analyzer.add({ itemScores: [1, 0], choices: ['B', 'A'] });
  t.throws(() => analyzer.add({ itemScores: [1] }), AnalysisInputError, 'wrong length');
  t.throws(() => analyzer.add({ itemScores: [1, 0], choices: ['B'] }), AnalysisInputError, 'choices of the wrong length');
  t.throws(() => analyzer.add({ itemScores: [1.5, 0] }), AnalysisInputError, 'score above maxPoints');
  t.throws(() => analyzer.add({ itemScores: [-1, 0] }), AnalysisInputError, 'negative score');
  t.throws(() => analyzer.add({ itemScores: [null, NaN] }), AnalysisInputError, 'no item on the form');
  t.equal(analyzer.attempts, 1, 'nothing stored from the refused attempts');
  t.throws(() => new ExamAnalyzer([ITEMS[0]!, ITEMS[0]!]), AnalysisInputError, 'same item revision twice');
  t.throws(() => new ExamAnalyzer([{ itemId: 'x', revision: 1, maxPoints: 0 }]), AnalysisInputError, 'maxPoints 0');
  const many = new ExamAnalyzer([{ itemId: 'x', revision: 1, maxPoints: 1, options: [] }]);
  t.throws(
    () => many.add({ itemScores: [0], choices: [Array.from({ length: 33 }, (_, o) => `o${o}`)] }),
    AnalysisInputError,
    'more than 32 options',
  );
  t.equal(many.attempts, 0);
  t.throws(() => new ExamAnalyzer(ITEMS, { binWidth: 0.3 }).result(), RangeError, 'bin width that does not divide 10');
});

t.test('undefined statistics are null, never NaN', async (t) => {
  const items: AnalysisItem[] = [
    { itemId: 'const', revision: 1, maxPoints: 1 },
    { itemId: 'never', revision: 1, maxPoints: 1 },
    { itemId: 'x', revision: 1, maxPoints: 1 },
  ];
  const analyzer = new ExamAnalyzer(items, { binWidth: 0.25 });
  const empty = analyzer.result();
  t.equal(empty.candidates, 0, 'an exam nobody sat yet has a result too');
  t.equal(empty.mean, null);
  t.same(empty.reliability, { kr20: null });
  t.equal(empty.rasch?.calibrated, false);
  t.equal(analyzer.itemIndex('never', 1), 1);
  t.equal(analyzer.itemIndex('never', 2), -1, 'another revision is another item');
  analyzer.add({ itemScores: [1, null, 0] });
  let result = analyzer.result();
  t.equal(result.sd, null, 'one candidate: no SD');
  t.same(result.reliability, { kr20: null });
  t.equal(result.items[1]!.n, 0);
  t.equal(result.items[1]!.pValue, null);
  analyzer.add({ itemScores: [1, null, 1] });
  analyzer.add({ itemScores: [1, null, 1] });
  result = analyzer.result();
  t.equal(result.items[0]!.pointBiserial, null, 'constant item has no correlation');
  t.equal(result.items[2]!.pointBiserial, null, 'constant rest score has no correlation');
  t.equal(result.distribution.bins.length, 40, 'quarter-point bins');
  t.equal(result.distribution.bins.at(-1)!.count, 2, '10 falls into the last, closed bin');
  t.notMatch(JSON.stringify(result), /NaN|Infinity/, 'serialises without NaN');
  t.match(JSON.stringify(result), /"pointBiserial":null/);
});

t.test('analyzeAttempts consumes an async stream, as a database cursor delivers attempts', async (t) => {
  const attempts = simulate('stream', 200);
  async function* cursor(): AsyncGenerator<RawAttempt> {
    for (const a of attempts) yield await Promise.resolve(a);
  }
  const streamed = await analyzeAttempts(ITEMS, cursor(), { rasch: false });
  compare(t, streamed, naive(ITEMS, attempts));
});
