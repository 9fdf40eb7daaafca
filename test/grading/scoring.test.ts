import t, { type Test } from 'tap';
import seedrandom from 'seedrandom';
import type {
  ClozeBlank,
  ClozeItem,
  EssayItem,
  ItemCommon,
  ItemContent,
  MatchingItem,
  MultipleChoiceItem,
  NumericItem,
  OrderingItem,
  ShortTextItem,
  SingleChoiceItem,
  TrueFalseClusterItem,
  TrueFalseItem,
} from '../../src/bank/item-types.js';
import {
  NATIONAL_CLUSTER_LADDER,
  numericMatches,
  parseNumericResponse,
  roundScore,
  scoreAttempt,
  scoreItem,
  toScore10,
} from '../../src/grading/scoring.js';
import { validateResponse } from '../../src/grading/responses.js';

type Row = [response: unknown, expected: number, why: string];

const common: Omit<ItemCommon, 'type'> = { stem: '<p>?</p>', subject: 'math', grade: 12, topic: 'ham-so', cognitiveLevel: 1 };

function labelled(prefix: string, n: number): { id: string; text: string }[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i + 1}`, text: `${prefix} ${i + 1}` }));
}

/** Runs a table: each row's response must earn `expected` points (compared after rounding). */
function table(t: Test, item: ItemContent, rows: Row[], points?: number): void {
  for (const [response, expected, why] of rows) {
    const s = scoreItem(item, response, points);
    t.equal(roundScore(s.points), expected, `${why}: ${JSON.stringify(response)}`);
    t.equal(s.status, 'scored');
  }
}

// Shared wrong shapes: none may throw, all score 0.
const JUNK: unknown[] = [undefined, null, '', 0, -0, 1, NaN, true, false, [], {}, [[]], [{}], { a: {} }, 'x'.repeat(10_000)];

const single: SingleChoiceItem = { ...common, type: 'single_choice', options: labelled('', 4).map((o, i) => ({ ...o, id: 'ABCD'[i] ?? 'Z' })), correct: ['B'] };

t.test('single_choice: points if equal', async (t) => {
  table(t, single, [
    ['B', 1, 'the key'],
    ['A', 0, 'another option'],
    ['b', 0, 'ids are exact'],
    [' B', 0, 'ids are not trimmed'],
    [['B'], 0, 'wrong shape: list'],
    [undefined, 0, 'absent'],
    [null, 0, 'cleared'],
    ['', 0, 'empty'],
  ]);
  t.equal(scoreItem(single, 'B', 0.25).points, 0.25, 'blueprint override');
  t.equal(scoreItem({ ...single, points: 2 }, 'B').points, 2, 'item points');
  t.equal(scoreItem({ ...single, points: 2 }, 'B', 0.5).points, 0.5, 'override beats item points');
  t.equal(scoreItem(single, 'B', NaN).points, 1, 'an invalid override is ignored');
  t.equal(scoreItem(single, 'B', -1).maxPoints, 1, 'a negative override is ignored');
  t.equal(scoreItem(single, 'B', 0).maxPoints, 0, 'zero points is a valid override');
});

t.test('multiple_choice all_or_nothing (default)', async (t) => {
  const item: MultipleChoiceItem = { ...common, type: 'multiple_choice', options: labelled('o', 5), correct: ['o1', 'o3'] };
  table(t, item, [
    [['o1', 'o3'], 1, 'exactly the key'],
    [['o3', 'o1'], 1, 'order does not matter'],
    [['o1', 'o3', 'o1'], 1, 'duplicates counted once'],
    [['o1'], 0, 'missing one'],
    [['o1', 'o3', 'o2'], 0, 'one extra'],
    [[], 0, 'empty'],
    ['o1', 0, 'wrong shape: string'],
    [['o1', 3], 0, 'wrong shape: not all strings'],
    [{ 0: 'o1', 1: 'o3' }, 0, 'wrong shape: array-like object'],
  ]);
  t.equal(scoreItem({ ...item, scoring: 'all_or_nothing' }, ['o1', 'o3'], 2).points, 2);
});

t.test('multiple_choice partial = points × max(0, (right − wrong) / correct)', async (t) => {
  const item: MultipleChoiceItem = { ...common, type: 'multiple_choice', options: labelled('o', 6), correct: ['o1', 'o2', 'o3'], scoring: 'partial' };
  table(
    t,
    item,
    [
      [['o1', 'o2', 'o3'], 3, 'all right'],
      [['o1', 'o2'], 2, '2 right of 3'],
      [['o1'], 1, '1 right of 3'],
      [['o1', 'o2', 'o4'], 1, '2 right − 1 wrong'],
      [['o1', 'o4'], 0, '1 right − 1 wrong'],
      [['o4', 'o5'], 0, 'never below 0'],
      [['o1', 'o2', 'o3', 'o4', 'o5', 'o6'], 0, 'ticking every box earns nothing'],
      [['o1', 'o1', 'o1'], 1, 'duplicates counted once'],
      [['o1', 'o4', 'o4'], 0, 'duplicate wrong picks counted once'],
      [['o1', 'o2', 'o3', 'o9'], 2, 'an unknown id is a wrong pick'],
      [[], 0, 'empty'],
      [null, 0, 'absent'],
    ],
    3,
  );
  // Rounding happens at the end only: 1 of 3 right on a 1-point item.
  t.equal(scoreItem(item, ['o1']).points, 1 / 3);
});

t.test('true_false: points if equal', async (t) => {
  const yes: TrueFalseItem = { ...common, type: 'true_false', value: true };
  const no: TrueFalseItem = { ...common, type: 'true_false', value: false };
  table(t, yes, [
    [true, 1, 'right'],
    [false, 0, 'wrong'],
    ['true', 0, 'wrong shape: string'],
    [1, 0, 'wrong shape: number'],
    [undefined, 0, 'absent'],
  ]);
  table(t, no, [
    [false, 1, 'right'],
    [true, 0, 'wrong'],
    [null, 0, 'null is absent, not false'],
    [0, 0, 'wrong shape: 0'],
    ['', 0, 'wrong shape: empty string'],
  ]);
});

t.test('true_false_cluster: the 2025 national ladder', async (t) => {
  const item: TrueFalseClusterItem = {
    ...common,
    type: 'true_false_cluster',
    statements: labelled('', 4).map((s, i) => ({ ...s, id: 'abcd'[i] ?? 'z' })),
    values: { a: true, b: false, c: true, d: false },
  };
  t.same(NATIONAL_CLUSTER_LADDER, [0, 0.1, 0.25, 0.5, 1]);
  table(t, item, [
    [{ a: true, b: false, c: true, d: false }, 1, '4 right'],
    [{ a: true, b: false, c: true, d: true }, 0.5, '3 right'],
    [{ a: true, b: false, c: false, d: true }, 0.25, '2 right'],
    [{ a: true, b: true, c: false, d: true }, 0.1, '1 right'],
    [{ a: false, b: true, c: false, d: true }, 0, '0 right'],
    [{ a: true, b: false, c: true }, 0.5, 'an unanswered statement is not right'],
    [{ a: true }, 0.1, 'one answered, right'],
    [{}, 0, 'nothing answered'],
    [{ a: 'true', b: 'false', c: 1, d: 0 }, 0, 'values must be booleans'],
    [{ a: true, b: false, c: true, d: false, e: true }, 1, 'unknown statements are ignored when scoring'],
    [[true, false, true, false], 0, 'wrong shape: list'],
    [true, 0, 'wrong shape: boolean'],
    [null, 0, 'absent'],
  ]);
  // Phần II of the national exam: 1 point per cluster, so 3 right is 0.5 and 1 right 0.1.
  t.equal(scoreItem(item, { a: true, b: false, c: true, d: true }, 1).points, 0.5);
  t.equal(scoreItem(item, { a: true, b: true, c: false, d: true }, 2).points, 0.2);
});

t.test('true_false_cluster: custom ladders and other statement counts', async (t) => {
  const base = { ...common, type: 'true_false_cluster' as const };
  const three: TrueFalseClusterItem = { ...base, statements: labelled('s', 3), values: { s1: true, s2: true, s3: false } };
  table(t, three, [
    [{ s1: true, s2: true, s3: false }, 1, '3 of 3: share right without a ladder'],
    [{ s1: true, s2: true, s3: true }, 0.67, '2 of 3 (0.666… rounded at the end)'],
    [{ s1: true }, 0.33, '1 of 3'],
  ]);
  table(t, { ...three, ladder: [0, 0, 0.5, 1] }, [
    [{ s1: true, s2: true, s3: false }, 1, 'custom ladder, 3 right'],
    [{ s1: true, s2: true, s3: true }, 0.5, 'custom ladder, 2 right'],
    [{ s1: true }, 0, 'custom ladder, 1 right'],
  ]);
  table(t, { ...three, ladder: [0, 0.1, 0.25, 0.5, 1] }, [
    [{ s1: true, s2: true, s3: true }, 0.67, 'a ladder of the wrong length falls back to share right'],
  ]);
  const four: TrueFalseClusterItem = { ...base, statements: labelled('s', 4), values: { s1: true, s2: true, s3: true, s4: true } };
  table(t, { ...four, ladder: [0, 0.25, 0.5, 0.75, 1] }, [[{ s1: true, s2: true }, 0.5, 'a custom ladder replaces the national one']]);
  table(t, { ...four, ladder: [0, -1, 2, NaN, 1] }, [
    [{ s1: true }, 0, 'negative ladder entries clamp to 0'],
    [{ s1: true, s2: true }, 1, 'entries above 1 clamp to full points'],
    [{ s1: true, s2: true, s3: true }, 0, 'a non-number entry earns 0'],
  ]);
  table(t, { ...base, statements: [], values: {} }, [[{}, 0, 'a cluster without statements']]);
});

t.test('numeric: decimal comma, spaces, tolerance, negative zero', async (t) => {
  const item: NumericItem = { ...common, type: 'numeric', value: -1.5 };
  table(t, item, [
    [-1.5, 1, 'number'],
    ['-1,5', 1, 'decimal comma'],
    ['-1.5', 1, 'decimal point'],
    ['  -1,5  ', 1, 'surrounding spaces'],
    ['\u00A0-1,50\t', 1, 'NBSP, tab and a trailing zero'],
    ['\u22121,5', 1, 'U+2212 minus sign pasted from Word'],
    ['-01,5', 1, 'a leading zero'],
    ['- 1,5', 0, 'a space inside'],
    ['1,5', 0, 'sign missing'],
    ['-1,5,3', 0, 'two separators'],
    ['-1.5.3', 0, 'two points'],
    ['-15e-1', 0, 'exponent notation is refused'],
    ['-1,5abc', 0, 'trailing letters'],
    ['abc', 0, 'not a number'],
    ['', 0, 'empty'],
    ['   ', 0, 'only spaces'],
    ['-', 0, 'only a sign'],
    [',', 0, 'only a separator'],
    [NaN, 0, 'NaN'],
    [-Infinity, 0, '-Infinity'],
    ['-Infinity', 0, '"-Infinity"'],
    [['-1,5'], 0, 'wrong shape: list'],
    [{ value: -1.5 }, 0, 'wrong shape: object'],
    [undefined, 0, 'absent'],
  ]);
  const zero: NumericItem = { ...common, type: 'numeric', value: 0 };
  table(t, zero, [
    [0, 1, '0'],
    [-0, 1, 'negative zero'],
    ['-0', 1, '"-0"'],
    ['-0,0', 1, '"-0,0"'],
    ['+0', 1, '"+0"'],
    [',0', 1, 'leading separator'],
    ['0,', 1, 'trailing separator'],
    [1e-300, 0, 'tiny but not zero, tolerance 0'],
    [null, 0, 'null is not zero'],
    [false, 0, 'false is not zero'],
    ['', 0, 'empty is not zero'],
  ]);
  table(t, { ...zero, value: -0 }, [['0', 1, 'a key of -0 equals 0']]);
  const tol: NumericItem = { ...common, type: 'numeric', value: 0.3, tolerance: 0.1 };
  table(t, tol, [
    ['0,4', 1, 'at the upper edge despite float error (0.4 − 0.3 > 0.1 in binary)'],
    ['0,2', 1, 'at the lower edge'],
    [0.4, 1, 'number at the edge'],
    ['0,41', 0, 'just outside'],
    ['0,19', 0, 'just outside below'],
  ]);
  const tiny: NumericItem = { ...common, type: 'numeric', value: 6.67e-11 };
  table(t, tiny, [
    ['0,0000000000667', 1, 'a small constant written out'],
    [0, 0, 'the float slack is relative, never absolute'],
  ]);
  const big: NumericItem = { ...common, type: 'numeric', value: 1_000_000, tolerance: 0.01 };
  table(t, big, [['1000000,01', 1, 'tolerance edge at a large magnitude']]);
  table(t, { ...zero, tolerance: -5 }, [['1', 0, 'a negative tolerance counts as 0']]);
  t.equal(scoreItem(item, '-1,5', 0.5).points, 0.5, 'Phần III: 0.5 points each');
});

t.test('numeric helpers', async (t) => {
  const parsed: [unknown, number | undefined][] = [
    ['2,50', 2.5],
    [' 2.50 ', 2.5],
    ['.5', 0.5],
    ['+7', 7],
    ['1.234,5', undefined],
    ['1 234', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['1/2', undefined],
    ['50%', undefined],
    ['Infinity', undefined],
    ['9'.repeat(400), undefined],
    [Infinity, undefined],
    [true, undefined],
  ];
  for (const [input, expected] of parsed) t.equal(parseNumericResponse(input), expected, JSON.stringify(input));
  t.ok(Object.is(parseNumericResponse('-0'), -0), '"-0" parses to -0 and still compares equal to 0');
  t.ok(numericMatches('-0', 0));
  t.ok(numericMatches(0.1 + 0.2, 0.3), 'float error on the response side');
  t.notOk(numericMatches('1', NaN), 'a broken key matches nothing');
});

t.test('short_text: NFC, trim, whitespace, case and diacritics folding', async (t) => {
  const item: ShortTextItem = { ...common, type: 'short_text', accepted: ['Hà Nội', 'Thủ đô Hà Nội'] };
  table(t, item, [
    ['Hà Nội', 1, 'exact'],
    ['  Hà   Nội ', 1, 'extra whitespace'],
    ['Hà\u00A0Nội', 1, 'NBSP'],
    ['Hà Nội'.normalize('NFD'), 1, 'NFD'],
    ['hà nội', 1, 'case folded by default'],
    ['HÀ NỘI', 1, 'capitals'],
    ['thủ đô hà nội', 1, 'second accepted answer'],
    ['Ha Noi', 0, 'diacritics matter by default'],
    ['Hà Nôi', 0, 'one mark missing'],
    ['Hà Nội.', 0, 'punctuation is not folded'],
    ['HàNội', 0, 'a missing space'],
    ['', 0, 'empty'],
    ['   ', 0, 'only spaces'],
    [['Hà Nội'], 0, 'wrong shape: list'],
    [42, 0, 'wrong shape: number'],
    [undefined, 0, 'absent'],
  ]);
  table(t, { ...item, caseSensitive: true }, [
    ['Hà Nội', 1, 'case-sensitive, exact'],
    [' Hà  Nội ', 1, 'case-sensitive still folds whitespace'],
    ['hà nội', 0, 'case-sensitive refuses other case'],
  ]);
  table(t, { ...item, ignoreDiacritics: true }, [
    ['Ha Noi', 1, 'diacritics ignored'],
    ['ha noi', 1, 'and case'],
    ['Hả Nọi', 1, 'wrong marks ignored too'],
    ['Ha Noi Viet Nam', 0, 'still the whole answer'],
  ]);
  table(t, { ...common, type: 'short_text', accepted: ['Đà Nẵng'], ignoreDiacritics: true }, [['da nang', 1, 'đ folds to d']]);
  table(t, { ...common, type: 'short_text', accepted: ['Hòa Bình'] }, [
    ['Hoà Bình', 1, 'old-style tone placement equals new-style'],
    ['Hoà Binh', 0, 'but a missing mark is still wrong'],
  ]);
  table(t, { ...common, type: 'short_text', accepted: ['', '  '] }, [['', 0, 'an empty answer never matches, even an empty key']]);
});

t.test('matching: points × right pairs / pairs', async (t) => {
  const item: MatchingItem = {
    ...common,
    type: 'matching',
    premises: labelled('p', 4),
    choices: labelled('c', 5),
    pairs: { p1: 'c1', p2: 'c2', p3: 'c3', p4: 'c4' },
  };
  table(t, item, [
    [{ p1: 'c1', p2: 'c2', p3: 'c3', p4: 'c4' }, 1, 'all pairs'],
    [{ p4: 'c4', p3: 'c3', p2: 'c2', p1: 'c1' }, 1, 'key order does not matter'],
    [{ p1: 'c1', p2: 'c2', p3: 'c4', p4: 'c3' }, 0.5, '2 of 4'],
    [{ p1: 'c1' }, 0.25, 'partial answer'],
    [{ p1: 'c5', p2: 'c5', p3: 'c5', p4: 'c5' }, 0, 'the distractor everywhere'],
    [{ p1: 'c1', p9: 'c2' }, 0.25, 'unknown premises ignored'],
    [{ p1: ['c1'] }, 0, 'values must be strings'],
    [{}, 0, 'nothing answered'],
    [[['p1', 'c1']], 0, 'wrong shape: list of pairs'],
    [null, 0, 'absent'],
  ]);
  t.equal(scoreItem(item, { p1: 'c1', p2: 'c2', p3: 'c3' }, 2).points, 1.5);
  const proto: MatchingItem = { ...item, premises: [{ id: 'constructor', text: '' }], pairs: { constructor: 'c1' } };
  table(t, proto, [
    [{}, 0, 'an inherited property is not an answer'],
    [{ constructor: 'c1' }, 1, 'an own property is'],
  ]);
});

t.test('ordering: exact, or share in place', async (t) => {
  const item: OrderingItem = { ...common, type: 'ordering', elements: labelled('e', 4), order: ['e1', 'e2', 'e3', 'e4'] };
  table(t, item, [
    [['e1', 'e2', 'e3', 'e4'], 1, 'exact'],
    [['e2', 'e1', 'e3', 'e4'], 0, 'one swap is wrong when exact'],
    [['e1', 'e2', 'e3'], 0, 'incomplete'],
    [['e1', 'e2', 'e3', 'e4', 'e4'], 0, 'too long'],
    [[], 0, 'empty'],
    ['e1,e2,e3,e4', 0, 'wrong shape: string'],
    [undefined, 0, 'absent'],
  ]);
  table(t, { ...item, scoring: 'partial' }, [
    [['e1', 'e2', 'e3', 'e4'], 1, 'exact'],
    [['e2', 'e1', 'e3', 'e4'], 0.5, 'two in place'],
    [['e4', 'e1', 'e2', 'e3'], 0, 'shifted by one: nothing in place'],
    [['e1', 'e3', 'e2', 'e4'], 0.5, 'middle swap'],
    [['e1', 'e2'], 0.5, 'incomplete: the placed ones count'],
    [['e1', 'e1', 'e1', 'e1'], 0.25, 'duplicates earn only their right place'],
    [['e1', 2, 'e3', 'e4'], 0, 'wrong shape: not all strings'],
  ]);
});

t.test('cloze: points × right blanks / blanks', async (t) => {
  const blanks: ClozeBlank[] = [
    { id: 'b1', accepted: ['Hà Nội'] },
    { id: 'b2', value: 1.5, tolerance: 0.05 },
    { id: 'b3', accepted: ['Mekong', 'Cửu Long'], ignoreDiacritics: true },
    { id: 'b4', accepted: ['H2O'], caseSensitive: true },
  ];
  const item: ClozeItem = { ...common, type: 'cloze', text: 'a {{b1}} b {{b2}} c {{b3}} d {{b4}}', blanks };
  table(t, item, [
    [{ b1: 'Hà Nội', b2: '1,5', b3: 'Mekong', b4: 'H2O' }, 1, 'all right'],
    [{ b1: ' hà  nội ', b2: ' 1.52 ', b3: 'cuu long', b4: ' H2O' }, 1, 'folding per blank, numeric tolerance'],
    [{ b1: 'Hà Nội'.normalize('NFD'), b2: 1.5, b3: 'MEKONG', b4: 'H2O' }, 1, 'NFD, number response'],
    [{ b1: 'Hà Nội', b2: '1,5', b3: 'Mekong', b4: 'h2o' }, 0.75, 'case-sensitive blank'],
    [{ b1: 'Ha Noi', b2: '1,6', b3: 'Mekong', b4: 'H2O' }, 0.5, 'two wrong'],
    [{ b2: '1,5' }, 0.25, 'one answered'],
    [{ b1: 'Hà Nội', b2: '1,5,0' }, 0.25, 'a malformed number is a wrong blank'],
    [{ b1: 1, b2: ['1,5'] }, 0, 'wrong value shapes'],
    [{}, 0, 'nothing'],
    [['Hà Nội', '1,5'], 0, 'wrong shape: list'],
    [null, 0, 'absent'],
  ]);
  t.equal(roundScore(scoreItem(item, { b1: 'Hà Nội' }, 0.5).points), 0.13, '0.125 rounds half away from zero');
  table(t, { ...item, blanks: [] }, [[{}, 0, 'no blanks']]);
});

t.test('essay: pending until a person grades it', async (t) => {
  const item: EssayItem = { ...common, type: 'essay', rubric: [{ criterion: 'argument', maxPoints: 2 }], points: 2 };
  t.same(scoreItem(item, 'Bài làm của em…'), { points: 0, maxPoints: 2, status: 'pending' });
  t.same(scoreItem(item, 'text', 3), { points: 0, maxPoints: 3, status: 'pending' });
  for (const blank of [undefined, null, '', '  \n ', 42, ['text'], { text: 'x' }]) {
    t.same(scoreItem(item, blank), { points: 0, maxPoints: 2, status: 'scored' }, `nothing to read: ${JSON.stringify(blank)}`);
  }
});

t.test('no wrong shape throws, for any item type', async (t) => {
  for (const item of fixedItems()) {
    for (const r of JUNK) {
      // Two junk values happen to be right answers: 0 (and -0) for a numeric 0, false for a false statement.
      const right = (item.type === 'numeric' && r === 0) || (item.type === 'true_false' && r === item.value);
      t.equal(scoreItem(item, r).points, right ? 1 : 0, `${item.type} ${JSON.stringify(r)?.slice(0, 20)}`);
    }
  }
});

t.test('rounding happens once, at the end, half away from zero', async (t) => {
  const cases: [number, number][] = [
    [2.675, 2.68],
    [1.005, 1.01],
    [0.125, 0.13],
    [-0.125, -0.13],
    [0.1 + 0.2, 0.3],
    [0.994999, 0.99],
    [0.995, 1],
    [10.7 * 0.25, 2.68],
    [1 / 3, 0.33],
    [2 / 3, 0.67],
    [-0, 0],
    [-0.001, 0],
    [1e-7, 0],
    [123456.785, 123456.79],
    [1e21, 1e21],
  ];
  for (const [x, expected] of cases) t.ok(Object.is(roundScore(x), expected), `${x} → ${expected} (got ${roundScore(x)})`);
  // 0.1 ten times is 0.9999999999999999 in binary; three 1/3 items sum to 1.
  const tenths = Array.from({ length: 10 }, () => ({ item: single, response: 'B', points: 0.1 }));
  t.equal(scoreAttempt(tenths).score, 1);
  t.equal(scoreAttempt(tenths).maxScore, 1);
  t.equal(scoreAttempt(tenths).score10, 10);
  const mc: MultipleChoiceItem = { ...common, type: 'multiple_choice', options: labelled('o', 3), correct: ['o1', 'o2', 'o3'], scoring: 'partial' };
  const thirds = scoreAttempt([
    { item: mc, response: ['o1'] },
    { item: mc, response: ['o2'] },
    { item: mc, response: ['o3'] },
  ]);
  t.equal(thirds.score, 1, 'rounding each 0.333… first would give 0.99');
  t.equal(thirds.perItem[0]?.points, 1 / 3, 'per-item points stay unrounded');
});

t.test('toScore10', async (t) => {
  t.equal(toScore10(7.125, 10), 7.13);
  t.equal(toScore10(1, 3), 3.33);
  t.equal(toScore10(2, 3), 6.67);
  t.equal(toScore10(0, 10), 0);
  t.equal(toScore10(40, 40), 10);
  t.equal(toScore10(5, 0), 0, 'an exam worth nothing');
  t.equal(toScore10(NaN, 10), 0);
  t.equal(toScore10(11, 10), 10, 'never above 10');
});

t.test('scoreAttempt: a national-format mathematics paper', async (t) => {
  const cluster: TrueFalseClusterItem = { ...common, type: 'true_false_cluster', statements: labelled('s', 4), values: { s1: true, s2: false, s3: true, s4: false } };
  const numeric: NumericItem = { ...common, type: 'numeric', value: 2.5 };
  const essay: EssayItem = { ...common, type: 'essay', rubric: [{ criterion: 'c', maxPoints: 1 }] };
  const entries = [
    // Phần I: 12 × 0.25, 9 right
    ...Array.from({ length: 12 }, (_, i) => ({ item: single, response: i < 9 ? 'B' : 'A', points: 0.25 })),
    // Phần II: 4 clusters × 1 point: 4, 3, 2 and 1 statements right
    { item: cluster, response: { s1: true, s2: false, s3: true, s4: false }, points: 1 },
    { item: cluster, response: { s1: true, s2: false, s3: true }, points: 1 },
    { item: cluster, response: { s1: true, s2: false }, points: 1 },
    { item: cluster, response: { s1: true }, points: 1 },
    // Phần III: 6 × 0.5, 4 right
    ...Array.from({ length: 6 }, (_, i) => ({ item: numeric, response: i < 4 ? ' 2,5 ' : '2,6', points: 0.5 })),
  ];
  const result = scoreAttempt(entries);
  t.equal(result.maxScore, 10);
  t.equal(result.score, 2.25 + 1.85 + 2);
  t.equal(result.score10, 6.1);
  t.equal(result.pending, false);
  t.equal(result.perItem.length, entries.length);

  const withEssay = scoreAttempt([...entries, { item: essay, response: 'lời giải', points: 2 }]);
  t.equal(withEssay.pending, true);
  t.equal(withEssay.maxScore, 12);
  t.equal(withEssay.score, 6.1, 'the pending essay counts 0 for now');
  t.equal(withEssay.score10, 5.08);

  t.same(scoreAttempt([]), { score: 0, maxScore: 0, score10: 0, pending: false, perItem: [] });
});

// ---------------------------------------------------------------------------
// Property-style tests over seeded random items and responses.

type Rng = () => number;

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}
function pick<T>(rng: Rng, list: readonly T[]): T {
  if (list.length === 0) throw new Error('pick from an empty list');
  return list[Math.floor(rng() * list.length)] as T;
}
function shuffle<T>(rng: Rng, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
function subset<T>(rng: Rng, list: readonly T[]): T[] {
  return list.filter(() => rng() < 0.5);
}

const WORDS = ['Hà Nội', 'Đà Nẵng', 'Huế', 'Hòa Bình', 'thủy điện', 'quang hợp', 'Nguyễn Trãi', 'H2O', 'mitochondria', 'Cửu Long'];
const POINTS = [undefined, 0, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 7];

function randomText(rng: Rng): string {
  const base = pick(rng, WORDS);
  return rng() < 0.5 ? base : `${base} ${pick(rng, WORDS)}`;
}

/** Same text as a candidate might type it, still right under the given flags. */
function retype(rng: Rng, s: string, caseSensitive: boolean | undefined, ignoreDiacritics: boolean | undefined): string {
  let out = s;
  if (rng() < 0.5) out = out.normalize('NFD');
  if (rng() < 0.5) out = `  ${out.replace(/ /g, rng() < 0.5 ? '   ' : '\u00A0')}\t`;
  if (!caseSensitive && rng() < 0.5) out = rng() < 0.5 ? out.toUpperCase() : out.toLowerCase();
  if (ignoreDiacritics && rng() < 0.5) out = out.normalize('NFD').replace(/\p{Mn}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
  return out;
}

/** A numeric answer inside the tolerance, written the way candidates write it. */
function numericAnswer(rng: Rng, value: number, tolerance: number): unknown {
  const x = value + (rng() * 2 - 1) * tolerance;
  if (rng() < 0.3) return x;
  // Candidates never write exponents, and the parser refuses them.
  const text = String(x).includes('e') ? x.toFixed(20) : String(x);
  const written = rng() < 0.5 ? text.replace('.', ',') : text;
  return rng() < 0.5 ? ` ${written} ` : written;
}

function randomValue(rng: Rng): number {
  return pick(rng, [0, -0, 1, -1.5, 2.5, 0.3, 1234.5, -0.001, 6.67e-11, int(rng, -1000, 1000) / pick(rng, [1, 10, 100, 4])]);
}

function randomItem(rng: Rng): ItemContent {
  const points = pick(rng, POINTS);
  const c = { ...common, ...(points === undefined ? {} : { points }) };
  switch (pick(rng, ['single_choice', 'multiple_choice', 'true_false', 'true_false_cluster', 'numeric', 'short_text', 'matching', 'ordering', 'cloze', 'essay'] as const)) {
    case 'single_choice': {
      const options = labelled('o', int(rng, 2, 10));
      return { ...c, type: 'single_choice', options, correct: [pick(rng, options).id] };
    }
    case 'multiple_choice': {
      const options = labelled('o', int(rng, 2, 10));
      const correct = subset(rng, options).map((o) => o.id);
      if (correct.length === 0) correct.push(pick(rng, options).id);
      return { ...c, type: 'multiple_choice', options, correct, ...(rng() < 0.5 ? { scoring: pick(rng, ['partial', 'all_or_nothing'] as const) } : {}) };
    }
    case 'true_false':
      return { ...c, type: 'true_false', value: rng() < 0.5 };
    case 'true_false_cluster': {
      const n = rng() < 0.6 ? 4 : int(rng, 1, 6);
      const statements = labelled('s', n);
      const values = Object.fromEntries(statements.map((s) => [s.id, rng() < 0.5]));
      // A valid custom ladder rises from 0 to 1 with statements + 1 entries.
      const ladder = rng() < 0.3 ? [0, ...Array.from({ length: n - 1 }, () => rng()).sort((a, b) => a - b), 1] : undefined;
      return { ...c, type: 'true_false_cluster', statements, values, ...(ladder ? { ladder } : {}) };
    }
    case 'numeric':
      return { ...c, type: 'numeric', value: randomValue(rng), ...(rng() < 0.5 ? { tolerance: pick(rng, [0, 0.01, 0.05, 0.1, 0.5, 1]) } : {}) };
    case 'short_text':
      return {
        ...c,
        type: 'short_text',
        accepted: Array.from({ length: int(rng, 1, 3) }, () => randomText(rng)),
        ...(rng() < 0.5 ? { caseSensitive: rng() < 0.5 } : {}),
        ...(rng() < 0.5 ? { ignoreDiacritics: rng() < 0.5 } : {}),
      };
    case 'matching': {
      const premises = labelled('p', int(rng, 1, 8));
      const choices = labelled('c', premises.length + int(rng, 0, 3));
      const pairs = Object.fromEntries(premises.map((p) => [p.id, pick(rng, choices).id]));
      return { ...c, type: 'matching', premises, choices, pairs };
    }
    case 'ordering': {
      const elements = labelled('e', int(rng, 2, 8));
      return { ...c, type: 'ordering', elements, order: shuffle(rng, elements.map((e) => e.id)), ...(rng() < 0.5 ? { scoring: pick(rng, ['partial', 'all_or_nothing'] as const) } : {}) };
    }
    case 'cloze': {
      const blanks: ClozeBlank[] = Array.from({ length: int(rng, 1, 5) }, (_, i) =>
        rng() < 0.5
          ? { id: `b${i + 1}`, accepted: [randomText(rng)], ...(rng() < 0.5 ? { caseSensitive: true } : {}), ...(rng() < 0.5 ? { ignoreDiacritics: true } : {}) }
          : { id: `b${i + 1}`, value: randomValue(rng), ...(rng() < 0.5 ? { tolerance: pick(rng, [0, 0.1, 0.5]) } : {}) },
      );
      return { ...c, type: 'cloze', text: blanks.map((b) => `{{${b.id}}}`).join(' '), blanks };
    }
    case 'essay':
      return { ...c, type: 'essay', rubric: [{ criterion: 'c', maxPoints: 1 }] };
  }
}

/** A response built from the key that must earn full points. */
function perfectResponse(rng: Rng, item: ItemContent): unknown {
  switch (item.type) {
    case 'single_choice':
      return item.correct[0];
    case 'multiple_choice':
      return shuffle(rng, item.correct);
    case 'true_false':
      return item.value;
    case 'true_false_cluster':
      return Object.fromEntries(shuffle(rng, Object.entries(item.values)));
    case 'numeric':
      return numericAnswer(rng, item.value, item.tolerance ?? 0);
    case 'short_text':
      return retype(rng, pick(rng, item.accepted), item.caseSensitive, item.ignoreDiacritics);
    case 'matching':
      return { ...item.pairs };
    case 'ordering':
      return [...item.order];
    case 'cloze':
      return Object.fromEntries(
        item.blanks.map((b) => [
          b.id,
          'accepted' in b
            ? retype(rng, pick(rng, b.accepted), b.caseSensitive, b.ignoreDiacritics)
            : 'options' in b
              ? b.multiple
                ? [...b.correct].reverse()
                : pick(rng, b.correct)
              : numericAnswer(rng, b.value, b.tolerance ?? 0),
        ]),
      );
    case 'essay':
      return 'Em xin trình bày như sau…';
  }
}

/** Any response at all: right-ish, half right, wrong ids, wrong shapes. */
function randomResponse(rng: Rng, item: ItemContent): unknown {
  const roll = rng();
  if (roll < 0.15) return pick(rng, JUNK);
  if (roll < 0.3) return perfectResponse(rng, randomItem(rng));
  const perfect = perfectResponse(rng, item);
  if (Array.isArray(perfect)) {
    const ids = [...(perfect as string[]), 'o1', 'o2', 'e1', 'zz'];
    return Array.from({ length: int(rng, 0, 6) }, () => pick(rng, ids));
  }
  if (typeof perfect === 'object' && perfect !== null) {
    const entries = Object.entries(perfect).filter(() => rng() < 0.7);
    return Object.fromEntries(entries.map(([k, v]) => [k, rng() < 0.5 ? v : pick(rng, [true, false, 'c1', 'x', '1,5', 0])]));
  }
  if (typeof perfect === 'string') return rng() < 0.5 ? perfect.slice(0, int(rng, 0, perfect.length)) : `${perfect}x`;
  if (typeof perfect === 'number') return perfect + pick(rng, [-1, 1, 0.5, 1e-3]);
  return !perfect;
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

const RUNS = 3000;

t.test(`properties over ${RUNS} seeded random items`, async (t) => {
  const rng = seedrandom('scoring-properties-2025');
  let failures = 0;
  const failAt = (why: string, item: ItemContent, response: unknown): void => {
    failures += 1;
    if (failures <= 5) t.fail(why, { item, response });
  };
  for (let run = 0; run < RUNS; run++) {
    const item = deepFreeze(randomItem(rng));
    const override = rng() < 0.3 ? pick(rng, [0.25, 0.5, 1, 2]) : undefined;
    const max = override ?? item.points ?? 1;

    // 1. A perfect response always gets full points (essays: pending), and is a valid shape.
    const perfect = deepFreeze(perfectResponse(rng, item));
    const best = scoreItem(item, perfect, override);
    if (best.maxPoints !== max) failAt('maxPoints is the override, else item.points, else 1', item, perfect);
    if (item.type === 'essay') {
      if (best.status !== 'pending' || best.points !== 0) failAt('an essay is pending', item, perfect);
    } else if (best.status !== 'scored' || roundScore(best.points) !== roundScore(max)) {
      failAt(`a perfect response gets full points (got ${best.points} of ${max})`, item, perfect);
    }
    if (!validateResponse(item, perfect).ok) failAt('a perfect response is a valid shape', item, perfect);

    // 2. Any response scores within [0, points], never throws, and scores the same twice.
    for (let k = 0; k < 5; k++) {
      const response = deepFreeze(randomResponse(rng, item));
      const s = scoreItem(item, response, override);
      if (!(s.points >= 0 && s.points <= s.maxPoints)) failAt(`0 ≤ ${s.points} ≤ ${s.maxPoints}`, item, response);
      if (s.status === 'pending' && s.points !== 0) failAt('pending scores 0', item, response);
      if (!Object.is(scoreItem(item, response, override).points, s.points)) failAt('scoring is deterministic', item, response);
    }
    if (scoreItem(item, undefined, override).points !== 0) failAt('absent scores 0', item, undefined);
  }
  t.equal(failures, 0, `${RUNS} items, ${RUNS * 7} scorings, no property broken`);
});

t.test('properties of whole attempts', async (t) => {
  const rng = seedrandom('attempt-properties');
  for (let run = 0; run < 200; run++) {
    const items = Array.from({ length: int(rng, 1, 40) }, () => randomItem(rng));
    const perfect = scoreAttempt(items.map((item) => ({ item, response: perfectResponse(rng, item) })));
    const any = scoreAttempt(items.map((item) => ({ item, response: randomResponse(rng, item) })));
    const maxScore = roundScore(items.reduce((sum, i) => sum + (i.points ?? 1), 0));
    const essays = items.filter((i) => i.type === 'essay');
    const ok =
      perfect.maxScore === maxScore &&
      any.maxScore === maxScore &&
      any.score >= 0 &&
      any.score <= any.maxScore &&
      any.score10 >= 0 &&
      any.score10 <= 10 &&
      perfect.pending === (essays.length > 0) &&
      (essays.length > 0 || maxScore === 0 || (perfect.score === maxScore && perfect.score10 === 10)) &&
      perfect.score === roundScore(perfect.score) &&
      perfect.score10 === roundScore(perfect.score10);
    if (!ok) {
      t.fail('attempt properties', { items, perfect, any });
      return;
    }
  }
  t.pass('200 attempts of up to 40 items: 0 ≤ score ≤ maxScore, perfect = full, score10 in [0, 10]');
});

/** One item of each type, for tests that loop over all types. */
function fixedItems(): ItemContent[] {
  return [
    single,
    { ...common, type: 'multiple_choice', options: labelled('o', 3), correct: ['o1'], scoring: 'partial' },
    { ...common, type: 'true_false', value: false },
    { ...common, type: 'true_false_cluster', statements: labelled('s', 4), values: { s1: true, s2: true, s3: true, s4: true } },
    { ...common, type: 'numeric', value: 0 },
    { ...common, type: 'short_text', accepted: ['x'] },
    { ...common, type: 'matching', premises: labelled('p', 2), choices: labelled('c', 2), pairs: { p1: 'c1', p2: 'c2' } },
    { ...common, type: 'ordering', elements: labelled('e', 2), order: ['e1', 'e2'], scoring: 'partial' },
    { ...common, type: 'cloze', text: '{{b1}}', blanks: [{ id: 'b1', value: 0 }] },
    { ...common, type: 'essay', rubric: [] },
  ];
}
