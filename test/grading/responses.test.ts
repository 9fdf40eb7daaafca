import t, { type Test } from 'tap';
import type { ItemCommon, ItemContent } from '../../src/bank/item-types.js';
import { RESPONSE_LIMITS, validateResponse } from '../../src/grading/responses.js';

const common: Omit<ItemCommon, 'type'> = { stem: '<p>?</p>', subject: 'math', grade: 12, topic: 'ham-so', cognitiveLevel: 1 };

function labelled(prefix: string, n: number): { id: string; text: string }[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i + 1}`, text: `${prefix} ${i + 1}` }));
}

/** Each accepted response must pass; each refused one must fail with a message that does not give the key away. */
function check(t: Test, item: ItemContent, accepted: unknown[], refused: [unknown, RegExp][]): void {
  for (const r of accepted) t.same(validateResponse(item, r), { ok: true }, `accepts ${JSON.stringify(r)?.slice(0, 60)}`);
  for (const [r, message] of refused) {
    const result = validateResponse(item, r);
    t.equal(result.ok, false, `refuses ${JSON.stringify(r)?.slice(0, 60)}`);
    if (!result.ok) t.match(result.message, message);
  }
}

const ABSENT_AND_CLEARED: [unknown[], [unknown, RegExp][]] = [[null], [[undefined, /missing/]]];

t.test('single_choice: one known option id', async (t) => {
  const item: ItemContent = { ...common, type: 'single_choice', options: labelled('o', 4), correct: ['o2'] };
  check(t, item, ['o1', 'o2', 'o4', ...ABSENT_AND_CLEARED[0]], [
    ...ABSENT_AND_CLEARED[1],
    ['o9', /^Unknown option id$/],
    ['', /Unknown option id/],
    [['o2'], /one option id/],
    [2, /one option id/],
    [{ id: 'o2' }, /one option id/],
  ]);
});

t.test('multiple_choice: a list of distinct known option ids', async (t) => {
  const item: ItemContent = { ...common, type: 'multiple_choice', options: labelled('o', 4), correct: ['o1', 'o3'] };
  check(t, item, [[], ['o1'], ['o4', 'o2', 'o1', 'o3'], null], [
    ['o1', /list of option ids/],
    [['o1', 1], /list of option ids/],
    [['o1', 'o9'], /Unknown option id/],
    [['o1', 'o1'], /listed twice/],
    [{ 0: 'o1' }, /list of option ids/],
    [undefined, /missing/],
  ]);
});

t.test('true_false: a boolean', async (t) => {
  const item: ItemContent = { ...common, type: 'true_false', value: true };
  check(t, item, [true, false, null], [
    ['true', /true or false/],
    [1, /true or false/],
    [[true], /true or false/],
  ]);
});

t.test('true_false_cluster: statement ids to booleans, partial answers allowed', async (t) => {
  const item: ItemContent = { ...common, type: 'true_false_cluster', statements: labelled('s', 4), values: { s1: true, s2: false, s3: true, s4: false } };
  check(t, item, [{ s1: true, s2: false, s3: true, s4: false }, { s1: false }, {}, null], [
    [{ s1: 'true' }, /true or false/],
    [{ s1: null }, /true or false/],
    [{ s9: true }, /Unknown statement id/],
    [Object.create({ s1: true }), /maps statement ids/],
    [JSON.parse('{"__proto__": true}'), /Unknown statement id/],
    [[true, false, true, false], /maps statement ids/],
    [true, /maps statement ids/],
    [new Map([['s1', true]]), /maps statement ids/],
  ]);
});

t.test('numeric: a finite number or any short string (a malformed number is wrong, not refused)', async (t) => {
  const item: ItemContent = { ...common, type: 'numeric', value: -1.5 };
  check(t, item, [-1.5, 0, -0, '-1,5', ' 2.50 ', 'abc', '', '1e3', '1,5,3', 'x'.repeat(RESPONSE_LIMITS.numeric), null], [
    [NaN, /finite number/],
    [Infinity, /finite number/],
    ['1'.repeat(RESPONSE_LIMITS.numeric + 1), /longer than 100 characters/],
    [true, /number or a string/],
    [['1'], /number or a string/],
  ]);
});

t.test('short_text: a string up to the text limit, counted in NFC characters', async (t) => {
  const item: ItemContent = { ...common, type: 'short_text', accepted: ['Hà Nội'] };
  const nfdAtLimit = 'ệ'.repeat(RESPONSE_LIMITS.text).normalize('NFD');
  t.ok(nfdAtLimit.length > RESPONSE_LIMITS.text, 'the NFD fixture is longer in UTF-16 units than the limit');
  check(t, item, ['Hà Nội', '', '  ', nfdAtLimit, 'a'.repeat(RESPONSE_LIMITS.text), null], [
    ['a'.repeat(RESPONSE_LIMITS.text + 1), /longer than 1000 characters/],
    [`${nfdAtLimit}ệ`, /longer than/],
    [42, /is a string/],
    [['Hà Nội'], /is a string/],
  ]);
});

t.test('matching: premise ids to known choice ids', async (t) => {
  const item: ItemContent = { ...common, type: 'matching', premises: labelled('p', 3), choices: labelled('c', 4), pairs: { p1: 'c1', p2: 'c2', p3: 'c3' } };
  check(t, item, [{ p1: 'c1', p2: 'c2', p3: 'c3' }, { p1: 'c4' }, { p1: 'c1', p2: 'c1' }, {}, null], [
    [{ p1: 'c9' }, /Unknown choice id/],
    [{ p9: 'c1' }, /Unknown premise id/],
    [{ p1: 1 }, /matched to a choice id/],
    [{ p1: ['c1'] }, /matched to a choice id/],
    [[['p1', 'c1']], /maps premise ids/],
    ['p1:c1', /maps premise ids/],
  ]);
});

t.test('ordering: a permutation of the element ids', async (t) => {
  const item: ItemContent = { ...common, type: 'ordering', elements: labelled('e', 3), order: ['e1', 'e2', 'e3'] };
  check(t, item, [['e1', 'e2', 'e3'], ['e3', 'e1', 'e2'], null], [
    [['e1', 'e2'], /every element once/],
    [[], /every element once/],
    [['e1', 'e2', 'e2'], /listed twice/],
    [['e1', 'e2', 'e9'], /Unknown element id/],
    [['e1', 'e2', 'e3', 'e4'], /Unknown element id/],
    [['e1', 'e2', 3], /list of element ids/],
    ['e1,e2,e3', /list of element ids/],
  ]);
});

t.test('cloze: blank ids to strings; numbers only for numeric blanks', async (t) => {
  const item: ItemContent = {
    ...common,
    type: 'cloze',
    text: '{{b1}} {{b2}}',
    blanks: [
      { id: 'b1', accepted: ['Hà Nội'] },
      { id: 'b2', value: 1.5 },
    ],
  };
  check(t, item, [{ b1: 'Hà Nội', b2: '1,5' }, { b2: 1.5 }, { b1: '' }, {}, null], [
    [{ b1: 1 }, /answered with a string/],
    [{ b2: NaN }, /finite number/],
    [{ b2: true }, /answered with a string/],
    [{ b3: 'x' }, /Unknown blank id/],
    [{ b1: 'x'.repeat(RESPONSE_LIMITS.text + 1) }, /longer than/],
    [['Hà Nội', '1,5'], /maps blank ids/],
  ]);
});

t.test('essay: a string of at most 20,000 characters', async (t) => {
  const item: ItemContent = { ...common, type: 'essay', rubric: [{ criterion: 'c', maxPoints: 1 }], maxWords: 10 };
  t.equal(RESPONSE_LIMITS.essay, 20_000);
  check(t, item, ['', 'Bài làm', 'ư'.repeat(20_000).normalize('NFD'), 'word '.repeat(100), null], [
    ['a'.repeat(20_001), /longer than 20000 characters/],
    [{ text: 'x' }, /is a string/],
    [['x'], /is a string/],
  ]);
});

t.test('messages never contain the key or the submitted value', async (t) => {
  const secret = 'KEY-SECRET';
  const items: ItemContent[] = [
    { ...common, type: 'single_choice', options: [{ id: secret, text: '' }, { id: 'o2', text: '' }], correct: [secret] },
    { ...common, type: 'matching', premises: [{ id: 'p1', text: '' }], choices: [{ id: secret, text: '' }], pairs: { p1: secret } },
    { ...common, type: 'ordering', elements: [{ id: secret, text: '' }], order: [secret] },
  ];
  const bad = '<script>bad</script>';
  for (const item of items) {
    for (const r of [bad, [bad], { [bad]: bad }, { p1: bad }, 1, [secret, secret]]) {
      const result = validateResponse(item, r);
      if (!result.ok) {
        t.notMatch(result.message, secret, `${item.type}: no key in "${result.message}"`);
        t.notMatch(result.message, bad, `${item.type}: no echo in "${result.message}"`);
      }
    }
  }
});
