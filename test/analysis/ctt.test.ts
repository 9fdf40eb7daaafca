// Classical statistics checked against an independent computation.
//
// Where the expected numbers come from: the Python 3.11 script quoted at the
// end of this comment (standard library only: statistics.correlation, pvariance,
// stdev; it shares no code with src/analysis). Run it with `python3` after
// stripping the leading "// " of each line; its output is pasted into the
// EXPECTED_* tables below, to 6 decimals. The issue asks for agreement to 3
// decimals; we assert ±1e-6. Dataset A also prints KR-20 from the textbook
// formula k/(k−1)·(1 − Σpq/σ²) to show it equals alpha on 0/1 items.
//
// ---- ctt_reference.py ----
// # Independent CTT reference: textbook formulas written directly with Python's
// # statistics module (no code shared with src/analysis). Python 3.11.
// import math, statistics as st
//
// def weights(keys, g, top):
//     # Share of each candidate in the top (or bottom) g places; a tie block that
//     # straddles the boundary shares the overlap of its rank interval with [0, g).
//     n = len(keys)
//     order = sorted(range(n), key=lambda j: -keys[j] if top else keys[j])
//     w = [0.0] * n
//     pos = 0
//     while pos < n:
//         end = pos
//         while end < n and keys[order[end]] == keys[order[pos]]:
//             end += 1
//         overlap = max(0, min(end, g) - pos)
//         for q in range(pos, end):
//             w[order[q]] = overlap / (end - pos)
//         pos = end
//     return w
//
// def corr(x, y):
//     return st.correlation(x, y) if len(set(x)) > 1 and len(set(y)) > 1 else None
//
// def analyse(name, maxp, rows, choices=None, keys=None):
//     # rows: per candidate a list of scores, None = item not on the form
//     K = len(maxp)
//     tot = [sum(x for x in r if x is not None) for r in rows]
//     mx = [sum(maxp[i] for i in range(K) if r[i] is not None) for r in rows]
//     print(f'== {name}: candidates {len(rows)} mean {st.fmean(tot):.6f} sd {st.stdev(tot):.6f}')
//     forms = {}
//     for r, t in zip(rows, tot):
//         forms.setdefault(tuple(x is not None for x in r), []).append((r, t))
//     pooled_n = pooled_e = 0
//     for mask, members in forms.items():
//         items = [i for i in range(K) if mask[i]]
//         k = len(items)
//         ft = [t for _, t in members]
//         alpha = k / (k - 1) * (1 - sum(st.pvariance([r[i] for r, _ in members]) for i in items) / st.pvariance(ft))
//         sem = st.stdev(ft) * math.sqrt(1 - alpha)
//         pooled_n += len(members); pooled_e += len(members) * sem * sem
//         print(f'form items {items} n {len(members)} mean {st.fmean(ft):.6f} sd {st.stdev(ft):.6f} alpha {alpha:.6f} sem {sem:.6f}')
//         if all(r[i] in (0, maxp[i]) for r, _ in members for i in items):
//             pq = sum(p * (1 - p) for p in (st.fmean([r[i] / maxp[i] for r, _ in members]) for i in items))
//             print(f'  KR-20 by k/(k-1)(1 - sum pq / var): {k / (k - 1) * (1 - pq / st.pvariance(ft)):.6f}')
//     sem = math.sqrt(pooled_e / pooled_n)
//     rel = 1 - sem * sem / st.variance(tot) if len(forms) > 1 else alpha
//     print(f'exam reliability {rel:.6f} sem {sem:.6f}')
//     ratio = [t / m for t, m in zip(tot, mx)]
//     for i in range(K):
//         idx = [a for a in range(len(rows)) if rows[a][i] is not None]
//         x = [rows[a][i] for a in idx]
//         rest = [tot[a] - rows[a][i] for a in idx]
//         n = len(idx)
//         g = math.floor(0.27 * n + 0.5)
//         keyv = [ratio[a] for a in idx]
//         wu, wl = weights(keyv, g, True), weights(keyv, g, False)
//         D = sum(w * v / maxp[i] for w, v in zip(wu, x)) / g - sum(w * v / maxp[i] for w, v in zip(wl, x)) / g
//         pb = corr(x, rest)
//         print(f'item {i}: n {n} p {st.fmean(x) / maxp[i]:.6f} pbis {pb if pb is None else round(pb, 6)} D {D:.6f} g {g}')
//         if choices:
//             sel = [choices[a][i] for a in idx]
//             opts = sorted(set(c for c in sel if c != '-') | {keys[i]})
//             for o in opts:
//                 ind = [1 if c == o else 0 for c in sel]
//                 c = sum(ind)
//                 pbo = corr(ind, rest)
//                 up = sum(w * v for w, v in zip(wu, ind)) / g
//                 lo = sum(w * v for w, v in zip(wl, ind)) / g
//                 print(f'   option {o}: count {c} share {c / n:.6f} pbis {pbo if pbo is None else round(pbo, 6)} upper {up:.6f} lower {lo:.6f}')
//             print(f'   omitted {sel.count("-")}')
//     s10 = [round(10 * t / m, 2) for t, m in zip(tot, mx)]
//     bins = [0] * 10
//     for s in s10:
//         bins[min(int(s // 1), 9)] += 1
//     print(f'ten-point: mean {st.fmean(s10):.6f} sd {st.stdev(s10):.6f} bins {bins}')
//
// # A: 12 candidates x 5 single-choice items, keys ABCDA, '-' = omitted
// keysA = 'ABCDA'
// respA = ['ABCDA', 'ABCDB', 'ABCCA', 'ABDDA', 'ACCDB', 'BBCDC', 'ABACB', 'CBDDC', 'A-BCD', 'DCBAB', 'BDCBC', 'ACDAB']
// analyse('A', [1] * 5, [[1 if c == k else 0 for c, k in zip(r, keysA)] for r in respA], respA, keysA)
//
// # B: 10 candidates x 4 polytomous items worth 2, 1, 3, 1 points
// rowsB = [[2, 1, 3, 1], [1, 1, 2, 0], [2, 0, 1, 1], [0, 0, 0, 0], [1, 1, 3, 1],
//          [2, 1, 2, 1], [0.5, 1, 1.5, 0], [1, 0, 2, 1], [2, 1, 0, 0], [1, 0, 1, 0]]
// analyse('B', [2, 1, 3, 1], rowsB)
//
// # C: two forms, X = items 0-3 and Y = items 2-5, dichotomous; '.' = not on the form
// rowsC = ['1101..', '1111..', '0100..', '1110..', '0010..', '1011..', '0000..', '1100..',
//          '..1101', '..0110', '..1111', '..0001', '..1010', '..0111', '..1100']
// analyse('C', [1] * 6, [[None if c == '.' else int(c) for c in r] for r in rowsC])
// ---- end ----
import t, { type Test } from 'tap';
import { ExamAnalyzer, type ExamAnalysis, type ItemAnalysis } from '../../src/analysis/index.js';
import { choiceAttempts, choiceItems, near } from '../support/analysis.js';

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

// Dataset A: 12 candidates × 5 single-choice items, keys ABCDA, '-' = omitted.
const KEYS_A = 'ABCDA';
const RESPONSES_A = ['ABCDA', 'ABCDB', 'ABCCA', 'ABDDA', 'ACCDB', 'BBCDC', 'ABACB', 'CBDDC', 'A-BCD', 'DCBAB', 'BDCBC', 'ACDAB'];
const EXPECTED_A = {
  mean: 2.5,
  sd: 1.566699,
  kr20: 0.609568,
  sem: 0.978945,
  items: [
    { n: 12, p: 0.666667, pbis: 0.175412, D: 0.555556 },
    { n: 12, p: 0.583333, pbis: 0.510137, D: 1.0 },
    { n: 12, p: 0.5, pbis: 0.258199, D: 0.555556 },
    { n: 12, p: 0.5, pbis: 0.408248, D: 0.777778 },
    { n: 12, p: 0.25, pbis: 0.507178, D: 0.777778 },
  ],
  // [count, share, point-biserial, upper share, lower share]
  options: [
    { A: [8, 0.666667, 0.175412, 1.0, 0.444444], B: [2, 0.166667, 0.05547, 0, 0.222222], C: [1, 0.083333, 0.037398, 0, 0], D: [1, 0.083333, -0.411377, 0, 0.333333] },
    { A: [0, 0, null, 0, 0], B: [7, 0.583333, 0.510137, 1.0, 0], C: [3, 0.25, -0.283654, 0, 0.555556], D: [1, 0.083333, -0.232781, 0, 0.222222] },
    { A: [1, 0.083333, 0.0, 0, 0], B: [2, 0.166667, -0.519615, 0, 0.555556], C: [6, 0.5, 0.258199, 0.777778, 0.222222], D: [3, 0.25, 0.149071, 0.222222, 0.222222] },
    { A: [2, 0.166667, -0.547723, 0, 0.555556], B: [1, 0.083333, -0.246183, 0, 0.222222], C: [3, 0.25, 0.157135, 0.222222, 0.222222], D: [6, 0.5, 0.408248, 0.777778, 0] },
    { A: [3, 0.25, 0.507178, 0.777778, 0], B: [5, 0.416667, -0.171331, 0.222222, 0.555556], C: [3, 0.25, -0.117041, 0, 0.222222], D: [1, 0.083333, -0.305614, 0, 0.222222] },
  ] as Record<string, [number, number, number | null, number, number]>[],
  omitted: [0, 1, 0, 0, 0],
  tenPoint: { mean: 5, sd: 3.133398, bins: [1, 0, 3, 0, 2, 0, 2, 0, 3, 1] },
};

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
const MAX_B = [2, 1, 3, 1];
const ROWS_B = [
  [2, 1, 3, 1], [1, 1, 2, 0], [2, 0, 1, 1], [0, 0, 0, 0], [1, 1, 3, 1],
  [2, 1, 2, 1], [0.5, 1, 1.5, 0], [1, 0, 2, 1], [2, 1, 0, 0], [1, 0, 1, 0],
];
const EXPECTED_B = {
  mean: 3.9,
  sd: 2.078995,
  alpha: 0.656384,
  sem: 1.218682,
  items: [
    { n: 10, p: 0.625, pbis: 0.375987, D: 0.458333 },
    { n: 10, p: 0.6, pbis: 0.376497, D: 0.666667 },
    { n: 10, p: 0.516667, pbis: 0.550635, D: 0.694444 },
    { n: 10, p: 0.5, pbis: 0.615457, D: 1.0 },
  ],
  tenPoint: { mean: 5.571, sd: 2.968903, bins: [1, 0, 1, 0, 2, 3, 0, 0, 2, 1] },
};

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
const ROWS_C = ['1101..', '1111..', '0100..', '1110..', '0010..', '1011..', '0000..', '1100..',
  '..1101', '..0110', '..1111', '..0001', '..1010', '..0111', '..1100'];
const EXPECTED_C = {
  mean: 2.266667,
  sd: 1.162919,
  kr20: 0.274648,
  sem: 0.99043,
  forms: [
    { itemCount: 4, candidates: 8, mean: 2.125, sd: 1.356203, reliability: 0.543689, sem: 0.916125 },
    { itemCount: 4, candidates: 7, mean: 2.428571, sd: 0.9759, reliability: -0.2, sem: 1.069045 },
  ],
  items: [
    { n: 8, p: 0.625, pbis: 0.745356, D: 1.0 },
    { n: 8, p: 0.625, pbis: 0.11547, D: 0.583333 },
    { n: 15, p: 0.533333, pbis: 0.017857, D: 0.55 },
    { n: 15, p: 0.533333, pbis: 0.333914, D: 0.9 },
    { n: 7, p: 0.571429, pbis: -0.148522, D: 0.416667 },
    { n: 7, p: 0.571429, pbis: -0.148522, D: 0.5 },
  ],
  tenPoint: { mean: 5.666667, sd: 2.907298, bins: [1, 0, 3, 0, 0, 4, 0, 5, 0, 2] },
};

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
