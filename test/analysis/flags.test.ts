// Review flags: the thresholds from issue 7 (p < 0.2 or > 0.9, discrimination
// < 0.2, a distractor with a positive point-biserial, a distractor outdrawing
// the key in the top 27%), on hand-built data whose flags can be seen by eye.
import t from 'tap';
import { DEFAULT_FLAG_THRESHOLDS, ExamAnalyzer, flagItem, type ItemFlag } from '../../src/analysis/index.js';
import type { CttItem } from '../../src/analysis/ctt.js';
import { choiceAttempts, choiceItems } from '../support/analysis.js';

const reasons = (flags: readonly ItemFlag[]): string[] => flags.map((f) => f.reason).sort();

// Items 1–4 are keyed ABCD and measure ability; item 5 is keyed A, but the
// strongest candidates answer D: the classic miskeyed item.
const KEYS = 'ABCDA';
const ROWS = [
  'ABCDD', 'ABCDD', 'ABCDD', 'ABCDD', 'ABCDD',
  'ABCAD', 'ABDDA', 'ACCDD', 'BBCDA',
  'ABAAA', 'AACCB', 'CBCAA', 'DBCBC',
  'ACAAA', 'BBAAB', 'CCCAA', 'DDDDA', 'BADAC',
  'BCDAA', 'CDABB',
];

t.test('a miskeyed item is flagged as a possible wrong key, with the distractor that outdraws the key', async (t) => {
  const analyzer = new ExamAnalyzer(choiceItems(KEYS), { rasch: false });
  choiceAttempts(KEYS, ROWS).forEach((a) => analyzer.add(a));
  const result = analyzer.result();
  const item = result.items[4]!;
  const wrongKey = item.flags.find((f) => f.reason === 'possible_wrong_key');
  t.ok(wrongKey, 'possible wrong key');
  t.equal(wrongKey?.optionId, 'D');
  t.ok(item.options.D!.upperShare! > item.options.A!.upperShare!, 'D is chosen more than the key in the upper group');
  const distractor = item.flags.find((f) => f.reason === 'distractor_positive_point_biserial');
  t.equal(distractor?.optionId, 'D', 'D also has a positive point-biserial');
  t.ok(item.flags.some((f) => f.reason === 'low_discrimination'), 'negative discrimination is low');
  t.ok(item.discrimination! < 0);
  for (const flag of item.flags) t.type(flag.message, 'string');
  for (const other of result.items.slice(0, 4)) {
    t.notOk(other.flags.some((f) => f.reason === 'possible_wrong_key'), `${other.itemId} is keyed right`);
  }
});

t.test('too easy and too hard items are flagged, an item at the threshold is not', async (t) => {
  // 10 candidates: item 1 right for 10 (p = 1), item 2 right for 1 (p = 0.1),
  // item 3 right for 2 (p = 0.2 exactly), item 4 right for 9 (p = 0.9 exactly).
  const rows = [
    [1, 1, 1, 1], [1, 0, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1],
    [1, 0, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 0, 0, 0],
  ];
  const analyzer = new ExamAnalyzer(
    [1, 2, 3, 4].map((i) => ({ itemId: `i${i}`, revision: 1, maxPoints: 1 })),
    { rasch: false, flags: { minDiscrimination: -1 } },
  );
  rows.forEach((itemScores) => analyzer.add({ itemScores }));
  const items = analyzer.result().items;
  t.same(reasons(items[0]!.flags), ['too_easy']);
  t.same(reasons(items[1]!.flags), ['too_hard']);
  t.same(reasons(items[2]!.flags), [], 'p = 0.2 is not below 0.2');
  t.same(reasons(items[3]!.flags), [], 'p = 0.9 is not above 0.9');
  t.equal(items[0]!.flags[0]!.value, 1);
});

function stats(over: Partial<CttItem>): CttItem {
  return { n: 100, mean: 0.5, pValue: 0.5, pointBiserial: 0.4, discrimination: 0.4, omitted: 0, options: {}, ...over };
}
const option = (key: boolean, pointBiserial: number | null, upperShare: number | null) => ({
  count: 10, share: 0.1, key, pointBiserial, upperShare, lowerShare: 0,
});

t.test('flagItem applies each threshold strictly and only judges distractors when a key is known', async (t) => {
  t.same(flagItem(stats({})), [], 'a good item has no flags');
  t.same(reasons(flagItem(stats({ discrimination: 0.19 }))), ['low_discrimination']);
  t.same(flagItem(stats({ discrimination: 0.2 })), [], 'exactly 0.2 is acceptable');
  t.same(flagItem(stats({ pValue: null, discrimination: null })), [], 'no data, no flags');
  const keyed = stats({
    options: { A: option(true, 0.4, 0.6), B: option(false, 0.05, 0.3), C: option(false, 0, 0.1), D: option(false, null, null) },
  });
  const flags = flagItem(keyed);
  t.same(flags.map((f) => [f.reason, f.optionId]), [['distractor_positive_point_biserial', 'B']], 'only B (> 0); 0 and null are not flagged');
  const unkeyed = stats({ options: { A: option(false, 0.4, 0.6), B: option(false, 0.3, 0.9) } });
  t.same(flagItem(unkeyed), [], 'without a key nothing is a distractor');
  const twoKeys = stats({ options: { A: option(true, 0.3, 0.8), C: option(true, 0.2, 0.3), E: option(false, -0.1, 0.5) } });
  t.same(
    flagItem(twoKeys).map((f) => [f.reason, f.optionId]),
    [['possible_wrong_key', 'E']],
    'multiple-response: a distractor outdrawing the least chosen key',
  );
  t.same(
    flagItem(stats({ discrimination: 0.3 }), { ...DEFAULT_FLAG_THRESHOLDS, minDiscrimination: 0.35 }).map((f) => f.reason),
    ['low_discrimination'],
    'thresholds are configurable',
  );
});
