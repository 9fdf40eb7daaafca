import { Writable } from 'node:stream';
import t from 'tap';
import type { ItemContent } from '../../src/bank/item-types.js';
import * as aiken from '../../src/interop/aiken.js';
import * as gift from '../../src/interop/gift.js';
import type { ParsedEntry } from '../../src/interop/model.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * The GIFT and Aiken forms Moodle's importers accept, read as Moodle reads
 * them; what cannot be read is that question's error; what an item cannot
 * keep is a warning on it; and exports read back equal.
 */

function one(text: string): ParsedEntry {
  const { items } = gift.parse(text);
  if (items.length !== 1) throw new Error(`expected one question, got ${JSON.stringify(items)}`);
  return items[0]!;
}

function item(entry: ParsedEntry): Record<string, unknown> {
  if (!entry.item) throw new Error(`no item: ${JSON.stringify(entry)}`);
  return entry.item as unknown as Record<string, unknown>;
}

t.test('GIFT: "~=" is a right answer, not an empty option', async (t) => {
  t.same(item(one('Q1 {~=right ~wrong}')), { type: 'single_choice', stem: 'Q1', options: [{ id: 'A', text: 'right' }, { id: 'B', text: 'wrong' }], correct: ['A'] });
});

t.test('GIFT: [html] [moodle] [plain] [markdown] are format markers, on stems and on answers', async (t) => {
  t.same(item(one('[plain]Is 1 < 2 & 3 > 2? {=[plain]yes <really> ~[html]<b>no</b>}')), {
    type: 'single_choice',
    stem: 'Is 1 &lt; 2 &amp; 3 &gt; 2?',
    options: [{ id: 'A', text: 'yes &lt;really&gt;' }, { id: 'B', text: '<b>no</b>' }],
    correct: ['A'],
  }, 'plain is escaped; an answer\'s own marker wins over the stem\'s');
  t.same(item(one('Spell it {=[plain]a<b =[html]c =[markdown]d =[moodle]e}')).accepted, ['a<b', 'c', 'd', 'e'], 'short answers lose the marker and keep their text');
  t.equal(item(one('[markdown]Who is **here** and *there* and `x<y`? {T}')).stem, 'Who is <b>here</b> and <i>there</i> and <code>x&lt;y</code>?');
  t.equal(item(one('[markdown]Grant\'s _tomb_ {=a}')).stem, "Grant's <i>tomb</i>");
  t.equal(item(one('[moodle]Line one\nline two {T}')).stem, 'Line one<br />line two', 'Moodle auto-format keeps line breaks');
  t.equal(item(one('[html]<p>Line one\nline two</p> {T}')).stem, '<p>Line one\nline two</p>', 'HTML is left to the bank\'s sanitiser');
  t.equal(item(one('[HTML]x {T}')).stem, '[HTML]x', 'markers are lower case, as in Moodle; anything else is text');
});

t.test('GIFT: a second answer block is an error naming the question, never a merge', async (t) => {
  const { items } = gift.parse('Shall {=I} go {=there}?\n\n::Two::Who {~a =b} and {~c =d}\n\nEscaped \\{braces\\} are text {=ok}');
  t.match(items[0], { index: 0, line: 1, error: /^GIFT question has more than one answer block; Moodle reads only the first/ });
  t.equal(items[0]!.item, undefined);
  t.match(items[1], { index: 1, line: 3, error: /more than one answer block.* \(question "Two"\)$/ });
  t.same(item(items[2]!), { type: 'short_text', stem: 'Escaped {braces} are text', accepted: ['ok'] });
});

t.test('GIFT: numerical forms Moodle accepts', async (t) => {
  t.same(item(one('{#3:2~#Completely wrong} A number')), { type: 'numeric', stem: '_____ A number', value: 3, tolerance: 2, feedback: { incorrect: 'Completely wrong' } }, 'feedback for any other answer is the incorrect outcome\'s');
  t.equal(one('N {#3:2~#Completely wrong}').warnings, undefined, 'nothing dropped');
  t.match(item(one('Pi {#3.14:0.01}')), { value: 3.14, tolerance: 0.01 });
  t.match(item(one('Range {#1..5}')), { value: 3, tolerance: 2 });
  t.same(item(one('Negative range {#-1.002..-1.001}')), { type: 'numeric', stem: 'Negative range', value: -1.0015, tolerance: 0.0005 }, 'the middle and half-width as the file wrote them, without float noise');
  t.match(item(one('Exact {#1822}')), { value: 1822, tolerance: 0 });
  const multi = one('Born {#\n=%50%1822:2#close\n=1822:0#exact\n}');
  t.match(item(multi), { value: 1822, tolerance: 0, feedback: { correct: 'exact' } }, 'the kept answer\'s feedback is the correct outcome\'s');
  t.same(multi.warnings, ['Answer 1822:2 (50%) is dropped: a numeric item has one answer', 'Feedback "close" on answer 1822:2 is dropped: the item keeps no feedback for it']);
  t.match(one('Either {#=-7 =4}'), { error: /2 full-credit answers/ });
  t.match(one('Bad {#three}'), { error: /"three" is not a number/ });
});

t.test('GIFT: escapes, titles, categories, true/false, matching, essays, descriptions', async (t) => {
  const escaped = item(one('Escapes \\~ \\= \\# \\{ \\} \\: and \\\\ {=a\\=b\\#c}'));
  t.same(escaped, { type: 'short_text', stem: 'Escapes ~ = # { } : and \\', accepted: ['a=b#c'] });

  const { items } = gift.parse('$CATEGORY: $course$/top/Maths/Algebra\n\n::Q\\: one::Is it? {T#not true#yes}\n\n::Q2::It is not {F}');
  t.same(item(items[0]!), {
    type: 'true_false',
    stem: 'Is it?',
    value: true,
    provenance: { title: 'Q: one', source: { categoryPath: ['Maths', 'Algebra'] } },
    feedback: { incorrect: 'not true', correct: 'yes' },
  }, 'the title, the category path and both feedbacks are kept');
  t.equal(items[0]!.warnings, undefined, 'nothing dropped');
  t.same(item(items[1]!), { type: 'true_false', stem: 'It is not', value: false, provenance: { title: 'Q2', source: { categoryPath: ['Maths', 'Algebra'] } } });
  t.equal(items.length, 2, 'the category line is not a question');
  t.same(item(one('Caps {TRUE}')).value, true);
  t.same(item(one('Lower case is a short answer in Moodle {true}')), { type: 'short_text', stem: 'Lower case is a short answer in Moodle', accepted: ['true'] });

  t.same(item(one('Match {=a -> 1 =[plain]b<c -> 2 < 3 = -> 4}')), {
    type: 'matching',
    stem: 'Match',
    premises: [{ id: 'p1', text: 'a' }, { id: 'p2', text: 'b&lt;c' }],
    choices: [{ id: 'c1', text: '1' }, { id: 'c2', text: '2 &lt; 3' }, { id: 'c3', text: '4' }],
    pairs: { p1: 'c1', p2: 'c2' },
  }, 'the right side is plain text, as Moodle reads it; "= -> 4" is a distractor');
  t.match(one('Half {=a -> 1 =b}'), { error: /"b" has no ->/ });

  const essay = one('Write {####Look at the rubric}');
  t.match(item(essay), { type: 'essay', stem: 'Write', feedback: { general: 'Look at the rubric' } });
  t.equal(essay.warnings, undefined);
  t.match(one('Just some text'), { error: /^GIFT description/ });
  t.match(one('Open {=a'), { error: /answer block is not closed/ });
  t.match(one('Stars {=*manually*}'), { error: /\* wildcard/ });
  t.match(one('Any one of two {=a =b ~c}'), { error: /2 full-credit answers; a single-answer item has one/ });
  t.match(one('Q {~a}'), { error: /1 answer; it needs at least two/ });
  t.match(one('{~a ~=b}'), { error: /^GIFT question has no text/ });
});

t.test('GIFT: links, which the bank does not keep, are named', async (t) => {
  const entry = one('[html]See <a href\\="http\\://example.org/a">this</a> {=<a href\\=\'b.html\'>yes</a> ~no}');
  t.same(entry.warnings, ['Link to "http://example.org/a" is dropped: items keep the link\'s text, not links', 'Link to "b.html" is dropped: items keep the link\'s text, not links']);
});

t.test('GIFT: weights and penalties are named when dropped', async (t) => {
  const single = one('Q {=right ~%50%half ~%-25%penalty ~wrong}');
  t.same(item(single).correct, ['A']);
  t.same(single.warnings, ['Partial credit (50%) for option B is dropped; it counts as wrong', 'Penalty (-25%) for option C is dropped; a wrong answer scores 0']);
  const multi = one('Q {~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-100%d}');
  t.same(item(multi).correct, ['A', 'B', 'C']);
  t.same(multi.warnings, [
    'Unequal weights of the right answers are replaced by equal shares',
    "Penalties of wrong options (D -100%) become -33.333% each: a wrong pick costs one right answer's share",
  ]);
  const free = one('Q {~No one ~%50%Grant ~%50%wife ~%-50%father}');
  t.same(free.warnings, ["Penalties of wrong options (A 0%) become -50% each: a wrong pick costs one right answer's share"], 'a wrong option the file does not penalise is named');
  t.same(one('Q {~%-50%No one ~%50%Grant ~%50%wife ~%-50%father}').warnings, undefined, 'penalties equal to the share: nothing changes, nothing to say');
  const short = one('Q {=yes =%50%maybe =%0%no#nope}');
  t.same(item(short).accepted, ['yes']);
  t.same(short.warnings, ['Answer "maybe" (50%) is dropped: a short answer accepts full-credit answers only', 'Feedback "nope" on answer "no" is dropped: the item keeps no feedback for it', 'Answer "no" (0%) is dropped: a short answer accepts full-credit answers only']);
});

t.test('GIFT: what is written reads back equal, special characters included', async (t) => {
  const items: ItemContent[] = [
    { type: 'single_choice', stem: '<p>Sets {x : x ~ y} # = \\ braces</p>', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, options: [{ id: 'A', text: '= 2 + 3' }, { id: 'B', text: '~ # { } :' }, { id: 'C', text: 'a -> b' }], correct: ['A'] },
    { type: 'short_text', stem: 'Write a#b=c', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, accepted: ['a#b=c', '{x}'] },
    { type: 'matching', stem: 'Match', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, premises: [{ id: 'p1', text: 'x = 1' }, { id: 'p2', text: 'y ~ 2' }], choices: [{ id: 'c1', text: 'a &lt; b &amp; c' }, { id: 'c2', text: '{two}' }], pairs: { p1: 'c1', p2: 'c2' } },
    { type: 'numeric', stem: 'Pi?', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, value: -3.14, tolerance: 0.01 },
    { type: 'true_false', stem: 'True: yes', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, value: true },
    // A leading %50% would be a weight and [plain] a format marker: the writer guards them with [html].
    { type: 'single_choice', stem: 'Sale', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, options: [{ id: 'A', text: '%50% off' }, { id: 'B', text: '[plain] price' }], correct: ['B'] },
    { type: 'short_text', stem: 'Discount?', subject: 's', grade: 1, topic: 't', cognitiveLevel: 1, accepted: ['%50%', '[50]'] },
  ];
  for (const original of items) {
    const { items: back } = gift.parse(gift.serializeItem(original));
    t.same(item(back[0]!), original, `${original.type} reads back equal`);
  }
});

t.test('GIFT: titles, id numbers, categories and feedback are written and read back equal', async (t) => {
  const base = { subject: 's', grade: 1, topic: 't', cognitiveLevel: 1 as const };
  const source = { categoryPath: ['Toán 10', 'Hàm số / đồ thị'] };
  const items = [
    { ...base, id: 'bank1', type: 'single_choice', stem: 'Q1', options: [{ id: 'A', text: 'a', feedback: '<b>Đúng</b> #1' }, { id: 'B', text: 'b', feedback: 'Sai: xem lại {x}' }], correct: ['A'], feedback: { general: 'Chung = ~' }, provenance: { title: 'Câu: 1', externalId: 'Q-001', source } },
    { ...base, id: 'bank2', type: 'multiple_choice', stem: 'Q2', options: [{ id: 'A', text: 'a', feedback: 'yes' }, { id: 'B', text: 'b' }, { id: 'C', text: 'c', feedback: 'also' }], correct: ['A', 'C'], scoring: 'partial', provenance: { externalId: 'bank2', source } },
    { ...base, id: 'bank3', type: 'true_false', stem: 'Q3', value: false, feedback: { correct: 'right', incorrect: 'wrong', general: 'g' }, provenance: { externalId: 'bank3' } },
    { ...base, id: 'bank4', type: 'true_false', stem: 'Q4', value: true, feedback: { correct: 'only right' }, provenance: { externalId: 'bank4' } },
    { ...base, id: 'bank5', type: 'numeric', stem: 'Q5', value: 2.5, tolerance: 0.1, feedback: { correct: 'ok', incorrect: 'no' }, provenance: { externalId: 'bank5', source: { categoryPath: ['Other'] } } },
    { ...base, id: 'bank6', type: 'short_text', stem: 'Q6', accepted: ['x', 'y'], feedback: { correct: 'good', general: 'general' }, provenance: { externalId: 'bank6', source: { categoryPath: ['Other'] } } },
    { ...base, id: 'bank7', type: 'essay', stem: 'Q7', rubric: [{ criterion: 'Đánh giá chung', maxPoints: 1 }], feedback: { general: 'Xem hướng dẫn' }, provenance: { externalId: 'bank7' } },
  ];
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  await gift.write({ all: async function* () { yield* items as never[]; }, ofType: async function* () {} }, out);
  t.match(text, /\$CATEGORY: \$course\$\/top\/Toán 10\/Hàm số \/\/ đồ thị\n/, 'a / inside a category name is written //');
  t.match(text, /\$CATEGORY: \$course\$\/top\n\n\/\/ \[id:bank3\]/, 'an item without a category clears it');
  const { items: back } = gift.parse(text);
  t.equal(back.length, items.length);
  back.forEach((entry, i) => {
    const { id: _id, ...original } = items[i]!;
    t.same(entry.item, original, `${original.type} ${i + 1}: title, id number, category and feedback read back equal`);
    t.equal(entry.warnings, undefined, 'nothing dropped');
  });
});

t.test('Aiken: labels with or without a space, plain text, ANSWER variants, CRLF and BOM', async (t) => {
  const text = [
    'Is 1 < 2 & 3 > 2?',
    'A)True',
    'B)False',
    'ANSWER: A',
    'Second, with no blank line before it',
    'A.one',
    'B. two',
    'C) three',
    'ANSWER:C',
    '',
    'Lower-case key with its punctuation',
    'A. x',
    'B. y',
    'Answer: b)',
    '',
    'Key followed by the option text',
    'A. x',
    'B. y',
    'ANSWER: B. y',
    '',
    'Two keys',
    'A. x',
    'B. y',
    'ANSWER: A, B',
    '',
    'Labels out of order',
    'A. x',
    'C. y',
    'ANSWER: C',
  ].join('\r\n');
  const { items } = aiken.parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  t.same(item(items[0]!), { type: 'single_choice', stem: 'Is 1 &lt; 2 &amp; 3 &gt; 2?', options: [{ id: 'A', text: 'True' }, { id: 'B', text: 'False' }], correct: ['A'] });
  t.same(item(items[1]!), { type: 'single_choice', stem: 'Second, with no blank line before it', options: [{ id: 'A', text: 'one' }, { id: 'B', text: 'two' }, { id: 'C', text: 'three' }], correct: ['C'] });
  t.same(item(items[2]!).correct, ['B']);
  t.same(item(items[3]!).correct, ['B']);
  t.match(items[4], { line: 21, error: /answer "A, B" is not one option letter/ });
  t.match(items[5], { line: 26, error: /labelled A, C; they must run A, B, C/ });
  t.equal(items.length, 6);
});

t.test('Aiken: export is plain text, and reads back as the same text', async (t) => {
  const written = aiken.serializeItem({
    type: 'single_choice',
    stem: '<p>Is <b>1 &lt; 2</b> &amp;&nbsp;true?</p><p>Choose.</p>',
    subject: 's',
    grade: 1,
    topic: 't',
    cognitiveLevel: 1,
    options: [{ id: 'X', text: '<i>yes</i>' }, { id: 'Y', text: 'no &gt; maybe' }],
    correct: ['Y'],
  });
  t.equal(written, 'Is 1 < 2 & true? Choose.\nA. yes\nB. no > maybe\nANSWER: B\n\n');
  t.same(item(aiken.parse(written).items[0]!), { type: 'single_choice', stem: 'Is 1 &lt; 2 &amp; true? Choose.', options: [{ id: 'A', text: 'yes' }, { id: 'B', text: 'no &gt; maybe' }], correct: ['B'] });
});

t.test('through the API: per-question errors and warnings in a dry run, Aiken export without markup', async (t) => {
  const { app } = await build(t);
  const world = await interopWorld(app);
  const author = world.users.authorA;
  const defaults = 'subject=toan&grade=10&topic=so-hoc&cognitiveLevel=1&language=en';

  const file = '::Merged::Shall {=I} go {=there}?\n\n::Kept::Q {~=right ~wrong#no}\n';
  const dry = await author({ method: 'POST', url: `/api/items/import?format=gift&dryRun=true&${defaults}`, payload: file, headers: { 'content-type': 'text/plain' } });
  t.equal(dry.statusCode, 200);
  const report = dry.json();
  t.equal(report.imported, 1);
  t.match(report.failed, [{ index: 0, line: 1, error: { code: 'not_importable', message: /more than one answer block.*\(question "Merged"\)/ } }]);
  t.same(report.warnings, [], 'the title and the option\'s feedback are kept');
  t.match(report.items, [{ index: 1, item: { type: 'single_choice', options: [{ text: 'right' }, { text: 'wrong', feedback: 'no' }], correct: ['A'], provenance: { title: 'Kept', source: { format: 'gift' } } } }]);

  const created = await author({
    method: 'POST',
    url: '/api/items',
    payload: { type: 'single_choice', stem: '<p>Is 1 &lt; 2 &amp; 2 &gt; 1?</p>', subject: 'toan', grade: 10, topic: 'aiken-export', cognitiveLevel: 1, options: [{ id: 'A', text: '<b>Yes</b>' }, { id: 'B', text: 'No' }], correct: ['A'] },
  });
  t.equal(created.statusCode, 201, created.body);
  const exported = await author({ method: 'GET', url: '/api/items/export?format=aiken&topic=aiken-export' });
  t.equal(exported.statusCode, 200);
  t.equal(exported.body, 'Is 1 < 2 & 2 > 1?\nA. Yes\nB. No\nANSWER: A\n\n', 'no tags, entities decoded');
  const back = await author({ method: 'POST', url: `/api/items/import?format=aiken&dryRun=true&${defaults}`, payload: exported.rawPayload, headers: { 'content-type': 'text/plain' } });
  t.match(back.json().items, [{ item: { stem: 'Is 1 &lt; 2 &amp; 2 &gt; 1?', options: [{ text: 'Yes' }, { text: 'No' }], correct: ['A'] } }]);
});
