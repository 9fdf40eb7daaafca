import { readFileSync } from 'node:fs';
import t from 'tap';
import { zipSync, strToU8 } from 'fflate';
import * as aiken from '../../src/interop/aiken.js';
import * as csv from '../../src/interop/csv.js';
import * as gift from '../../src/interop/gift.js';
import * as moodle from '../../src/interop/moodle-xml.js';
import * as qti from '../../src/interop/qti.js';
import type { ParsedEntry } from '../../src/interop/model.js';
import { ALL_COLUMNS } from '../../src/interop/rows.js';

/**
 * The parsers against public samples written into fixtures by hand (Moodle's
 * GIFT and Moodle XML documentation, the 1EdTech QTI 3.0 choice example),
 * field by field, plus Vietnamese content and hostile XML.
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/interop/${name}`, import.meta.url));

function item(entries: ParsedEntry[], i: number): Record<string, unknown> {
  const e = entries[i];
  if (!e?.item) throw new Error(`entry ${i} has no item: ${JSON.stringify(e)}`);
  return e.item as unknown as Record<string, unknown>;
}

/** Entry `i`'s item content without where it came from (every GIFT example has the file's category path: asserted on its own). */
function content(entries: ParsedEntry[], i: number): Record<string, unknown> {
  const { provenance: _provenance, ...rest } = item(entries, i);
  return rest;
}

t.test('GIFT: the examples of Moodle\'s GIFT documentation', async (t) => {
  const { items } = gift.parse(fixture('moodle-docs.gift.txt'));
  t.equal(items.length, 15, 'every question block is an entry; the category line is not');

  t.same(content(items, 0), {
    type: 'single_choice',
    stem: "Who's buried in Grant's tomb?",
    options: [
      { id: 'A', text: 'Grant' },
      { id: 'B', text: 'Jefferson' },
      { id: 'C', text: 'no one' },
    ],
    correct: ['C'],
  });
  t.same(content(items, 1), {
    type: 'single_choice',
    stem: "Grant is _____ in Grant's tomb.",
    options: [
      { id: 'A', text: 'buried' },
      { id: 'B', text: 'entombed' },
      { id: 'C', text: 'living' },
    ],
    correct: ['B'],
  }, 'missing word: the blank takes the place of the answer block');
  t.same(content(items, 2), { type: 'true_false', stem: "Grant is buried in Grant's tomb.", value: false });
  t.same(content(items, 3), { type: 'true_false', stem: 'The sun rises in the east.', value: true });
  t.same(content(items, 4), { type: 'short_text', stem: "Who's buried in Grant's tomb?", accepted: ['no one', 'nobody'] });
  t.same(content(items, 5), { type: 'short_text', stem: 'Two plus two equals _____.', accepted: ['four', '4'] });
  t.same(content(items, 6), {
    type: 'matching',
    stem: 'Match the following countries with their corresponding capitals.',
    premises: [
      { id: 'p1', text: 'Canada' },
      { id: 'p2', text: 'Italy' },
      { id: 'p3', text: 'Japan' },
      { id: 'p4', text: 'India' },
    ],
    choices: [
      { id: 'c1', text: 'Ottawa' },
      { id: 'c2', text: 'Rome' },
      { id: 'c3', text: 'Tokyo' },
      { id: 'c4', text: 'New Delhi' },
    ],
    pairs: { p1: 'c1', p2: 'c2', p3: 'c3', p4: 'c4' },
  });
  t.same(content(items, 7), { type: 'numeric', stem: 'When was Ulysses S. Grant born?', value: 1822, tolerance: 5 });
  const pi = content(items, 8);
  t.equal(pi.type, 'numeric');
  t.equal(pi.stem, 'What is the value of pi (to 3 decimal places)? _____.');
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: the midpoint of the file's range 3.141..3.142, not π.
  t.ok(Math.abs((pi.value as number) - 3.1415) < 1e-9, 'a range min..max becomes its middle');
  t.ok(Math.abs((pi.tolerance as number) - 0.0005) < 1e-9, '… and half its width');
  t.same(content(items, 9), { type: 'numeric', stem: 'When was Ulysses S. Grant born?', value: 1822, tolerance: 0, feedback: { correct: 'Correct! Full credit.' } });
  t.same(items[9]!.warnings, [
    'Answer 1822:2 (50%) is dropped: a numeric item has one answer',
    'Feedback "He was born in 1822. Half credit for being close." on answer 1822:2 is dropped: the item keeps no feedback for it',
  ], 'the half-credit answer and its feedback are named, not silently dropped');
  t.match(items[9]!.item, { provenance: { title: 'Q7', source: { categoryPath: ['tom', 'dick', 'harry'] } }, feedback: { correct: 'Correct! Full credit.' } }, 'the title, the category and the right answer\'s feedback are kept');
  for (const [i, entry] of items.entries()) {
    if (entry.item) t.match(entry.item, { provenance: { source: { categoryPath: ['tom', 'dick', 'harry'] } } }, `question ${i} keeps the file's category path`);
  }
  t.same(content(items, 10), { type: 'essay', stem: 'How are you?', rubric: [{ criterion: 'Đánh giá chung', maxPoints: 1 }] });
  t.same(content(items, 11), {
    type: 'multiple_choice',
    stem: "What two people are entombed in Grant's tomb?",
    options: [
      { id: 'A', text: 'No one' },
      { id: 'B', text: 'Grant' },
      { id: 'C', text: "Grant's wife" },
      { id: 'D', text: "Grant's father" },
    ],
    correct: ['B', 'C'],
    scoring: 'partial',
  });
  t.same(content(items, 12), {
    type: 'single_choice',
    stem: "What's between orange and green in the spectrum?",
    options: [
      { id: 'A', text: 'yellow', feedback: 'right; good!' },
      { id: 'B', text: 'red', feedback: "wrong, it's yellow" },
      { id: 'C', text: 'blue', feedback: "wrong, it's yellow" },
    ],
    correct: ['A'],
  }, 'each answer\'s feedback is its option\'s…');
  t.match(items[12]!.item, { provenance: { title: 'Q2' } }, '…the title is the provenance title…');
  t.equal(items[12]!.warnings, undefined, '…and nothing is dropped');
  t.same(content(items, 13), {
    type: 'single_choice',
    stem: 'Which answer equals 5?',
    options: [
      { id: 'A', text: '= 2 + 2' },
      { id: 'B', text: '= 2 + 3' },
      { id: 'C', text: '= 2 + 4' },
    ],
    correct: ['B'],
  }, 'escaped \\= is text, not an answer marker');
  t.match(items[14], { index: 14, error: /description .* is not a question/ }, 'a description is reported, not dropped');
  t.equal(items[15], undefined);
  t.equal(items[0]!.line, 11, 'entries carry the line where the question starts');
});

t.test('GIFT: Vietnamese content, maths, tags as metadata, NFD input', async (t) => {
  const { items } = gift.parse(fixture('vietnamese.gift.txt'));
  t.same(item(items, 0), {
    type: 'single_choice',
    stem: '<p>Hàm số \\(y = x^3 - 3x\\) có bao nhiêu điểm cực trị?</p>',
    subject: 'toan',
    grade: 12,
    topic: 'ham-so',
    cognitiveLevel: 2,
    language: 'vi',
    tags: ['giữa kỳ I'],
    options: [
      { id: 'A', text: '0' },
      { id: 'B', text: '1' },
      { id: 'C', text: '2' },
      { id: 'D', text: '3' },
    ],
    correct: ['C'],
    provenance: { title: 'c1' },
  });
  t.same(item(items, 1), { type: 'short_text', stem: 'Thủ đô của Việt Nam là thành phố nào?', subject: 'dia-li', grade: 10, topic: 'viet-nam', cognitiveLevel: 1, accepted: ['Hà Nội', 'Ha Noi'] });
  t.same(item(items, 2), { type: 'numeric', stem: 'Phương trình \\(x^2 - 5x + 6 = 0\\) có nghiệm lớn nhất là', value: 3, tolerance: 0 });
  const nfd = gift.parse(Buffer.from('Thủ đô của Việt Nam?{=Hà Nội}'.normalize('NFD'), 'utf8')).items;
  t.equal((item(nfd, 0).accepted as string[])[0], 'Hà Nội', 'decomposed input comes out NFC');
  t.equal(item(nfd, 0).stem, 'Thủ đô của Việt Nam?');
});

t.test('Moodle XML: the examples of Moodle\'s XML documentation', async (t) => {
  const { items } = moodle.parse(fixture('moodle-docs.xml'));
  t.equal(items.length, 11, 'the category is not a question; every other <question> is an entry');
  t.same(item(items, 0), {
    type: 'single_choice',
    stem: 'What is the answer to this question?',
    shuffleOptions: true,
    options: [
      { id: 'A', text: 'The correct answer', feedback: 'Correct!' },
      { id: 'B', text: 'A distractor', feedback: 'Ooops!' },
      { id: 'C', text: 'Another distractor', feedback: 'Ooops!' },
    ],
    correct: ['A'],
    provenance: { title: 'Name of question', source: { categoryPath: ['Default for the course'] } },
  }, 'per-answer feedback stays on its option; the name and category are the provenance');
  t.same(
    item(items, 1),
    { type: 'true_false', stem: '<p>The sun rises in the <b>east</b>.</p>', value: true, feedback: { correct: 'Correct!', incorrect: 'Ooops!' }, provenance: { title: 'Name of question', source: { categoryPath: ['Default for the course'] } } },
    "the right answer's feedback is the correct outcome's, the other's the incorrect one's",
  );
  t.same(item(items, 2), { type: 'short_text', stem: "Who's buried in Grant's tomb?", accepted: ['The correct answer', 'An alternative answer'], caseSensitive: false, feedback: { correct: 'Correct!' }, provenance: { title: 'Name of question', source: { categoryPath: ['Default for the course'] } } });
  t.same(item(items, 3), { type: 'numeric', stem: 'What is 20 + 3?', points: 2, value: 23, tolerance: 0.5, feedback: { correct: 'Feedback' }, provenance: { title: 'Name of question', source: { categoryPath: ['Default for the course'] } } });
  t.same(item(items, 4), {
    type: 'matching',
    stem: 'Match the pairs.',
    shuffleOptions: true,
    premises: [
      { id: 'p1', text: 'This is the 1st item in the 1st pair.' },
      { id: 'p2', text: 'This is the 1st item in the 2nd pair.' },
    ],
    choices: [
      { id: 'c1', text: 'This is the 2nd item in the 1st pair.' },
      { id: 'c2', text: 'This is the 2nd item in the 2nd pair.' },
      { id: 'c3', text: 'A distractor with no pair.' },
    ],
    pairs: { p1: 'c1', p2: 'c2' },
    provenance: { title: 'Name of question', source: { categoryPath: ['Default for the course'] } },
  }, 'a subquestion without text is a distractor choice');
  t.same(item(items, 5), { type: 'essay', stem: 'Write about your summer holidays.', rubric: [{ criterion: 'Đánh giá chung', maxPoints: 1 }], provenance: { title: 'Name of question', source: { categoryPath: ['Default for the course'] } } });
  t.same(item(items, 6), {
    type: 'cloze',
    stem: 'Capitals',
    text: '<p>The capital of Germany is {{b1}} and pi is about {{b2}}.</p>',
    blanks: [
      { id: 'b1', accepted: ['Berlin'] },
      { id: 'b2', value: 3.14, tolerance: 0.01 },
    ],
    provenance: { source: { categoryPath: ['Default for the course'] } },
  }, 'a name used as the stem is not repeated as a title');
  t.match(items[7], { error: /^Moodle description is text shown between questions, not a question/ });
  t.match(items[8], { error: 'Moodle ddwtos gap [[1]] names choice 1, which the question does not have (0 choices)' });
  t.match(items[9], { error: /^Moodle calculated question draws values from datasets/ });
  const img = item(items, 10);
  t.match(img.stem, /<img src="data:image\/png;base64,iVBORw0KGgo[^"]+" alt="dot" \/>/, 'an embedded file becomes a data: URL');
  t.ok(items.every((e) => typeof e.line === 'number'), 'entries carry lines');
  t.equal(items[0]!.line, 17);
});

t.test('Moodle XML: Vietnamese content, tags as metadata, plain text escaped, partial credit named', async (t) => {
  const { items } = moodle.parse(fixture('vietnamese.moodle.xml'));
  t.same(item(items, 0), {
    type: 'single_choice',
    stem: '<p>Hàm số \\(y = x^3 - 3x\\) có bao nhiêu điểm cực trị?</p>',
    subject: 'toan',
    grade: 12,
    topic: 'ham-so',
    cognitiveLevel: 2,
    language: 'vi',
    tags: ['Giữa kỳ I'],
    points: 0.25,
    shuffleOptions: false,
    options: [
      { id: 'A', text: '0' },
      { id: 'B', text: '1' },
      { id: 'C', text: '2' },
      { id: 'D', text: '3' },
    ],
    correct: ['C'],
    provenance: { title: 'Cực trị' },
  });
  t.same(item(items, 1), { type: 'short_text', stem: 'Thủ đô của Việt Nam là thành phố nào? (viết &lt;tên&gt;)', accepted: ['Hà Nội'], caseSensitive: false, provenance: { title: 'Thủ đô' } });
  t.match(items[1]!.warnings, [/Partial credit \(50%\) for answer Thăng Long is dropped/]);
});

t.test('QTI 3.0: the choice example of the 1EdTech specification', async (t) => {
  const { items } = qti.parse(fixture('unattended-luggage.qti.xml'));
  t.equal(items.length, 1);
  t.same(item(items, 0), {
    type: 'single_choice',
    stem: '<p>Look at the text in the picture.</p> <p> </p> <p>What does it say?</p>',
    language: 'en',
    shuffleOptions: false,
    options: [
      { id: 'ChoiceA', text: 'You must stay with your luggage at all times.' },
      { id: 'ChoiceB', text: 'Do not let someone else look after your luggage.' },
      { id: 'ChoiceC', text: 'Remember your luggage when you leave.' },
    ],
    correct: ['ChoiceA'],
    provenance: { title: 'Unattended Luggage', externalId: 'choice' },
  });
  t.same(items[0]!.warnings, ['Image images/sign.png is not stored: the file does not carry it as a PNG, JPEG, GIF or WebP picture'], 'a picture outside a package is named, not kept as a broken link');
});

t.test('QTI 3.0: Vietnamese text in decomposed Unicode comes out NFC, a text entry with a tolerance becomes numeric', async (t) => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="vi" title="Phương trình" xml:lang="vi-VN">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="float"><qti-correct-response><qti-value>-1.5</qti-value></qti-correct-response></qti-response-declaration>
  <qti-item-body><p>Nghiệm của phương trình \\(2x + 3 = 0\\) là</p><p><qti-text-entry-interaction response-identifier="RESPONSE"/></p></qti-item-body>
  <qti-response-processing><qti-response-condition><qti-response-if><qti-equal tolerance-mode="absolute" tolerance="0.01 0.01"><qti-variable identifier="RESPONSE"/><qti-correct identifier="RESPONSE"/></qti-equal><qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value></qti-response-if></qti-response-condition></qti-response-processing>
</qti-assessment-item>`;
  const { items } = qti.parse(Buffer.from(xml.normalize('NFD')));
  t.same(item(items, 0), { type: 'numeric', stem: '<p>Nghiệm của phương trình \\(2x + 3 = 0\\) là</p><p>_____</p>', language: 'vi', value: -1.5, tolerance: 0.01, provenance: { title: 'Phương trình', externalId: 'vi' } });
  t.equal((item(items, 0).provenance as { title?: string } | undefined)?.title, 'Phương trình'.normalize('NFC'), 'the title too');
  t.equal(item(items, 0).stem, (item(items, 0).stem as string).normalize('NFC'));
});

t.test('QTI 3.0: a content package resolves images from the zip and reports what it cannot map by name', async (t) => {
  const item1 = fixture('unattended-luggage.qti.xml').toString('utf8');
  const hotspot = `<?xml version="1.0"?><qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="h" title="h">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"/>
  <qti-item-body><qti-hotspot-interaction response-identifier="RESPONSE" max-choices="1"><qti-prompt>Where?</qti-prompt></qti-hotspot-interaction></qti-item-body></qti-assessment-item>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM" identifier="m">
  <resources>
    <resource identifier="choice" type="imsqti_item_xmlv3p0" href="items/choice.xml">
      <metadata><imsmd:lom><imsmd:general><imsmd:keyword><imsmd:string>subject:english</imsmd:string></imsmd:keyword><imsmd:keyword><imsmd:string>signs</imsmd:string></imsmd:keyword></imsmd:general></imsmd:lom></metadata>
      <file href="items/choice.xml"/><file href="items/images/sign.png"/>
    </resource>
    <resource identifier="h" type="imsqti_item_xmlv3p0" href="items/hotspot.xml"><file href="items/hotspot.xml"/></resource>
    <resource identifier="gone" type="imsqti_item_xmlv3p0" href="items/missing.xml"/>
    <resource identifier="img" type="webcontent" href="items/images/sign.png"/>
  </resources>
</manifest>`;
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const zip = Buffer.from(zipSync({ 'imsmanifest.xml': strToU8(manifest), 'items/choice.xml': strToU8(item1), 'items/hotspot.xml': strToU8(hotspot), 'items/images/sign.png': png }));
  const { items } = qti.parse(zip);
  t.equal(items.length, 3);
  const choice = item(items, 0);
  t.match(choice.stem, /<img src="data:image\/png;base64,iVBORw0KGgo/);
  t.equal(choice.subject, 'english', 'LOM keywords carry metadata');
  t.same(choice.tags, ['signs']);
  t.match(items[1], { error: 'items/hotspot.xml: QTI qti-hotspot-interaction is not supported' });
  t.match(items[2], { error: /items\/missing\.xml: listed in imsmanifest.xml but missing/ });
});

t.test('XML is parsed safely: billion laughs and external entities are refused', async (t) => {
  for (const name of ['billion-laughs.xml', 'xxe.xml']) {
    const started = process.hrtime.bigint();
    t.throws(() => moodle.parse(fixture(name)), { statusCode: 400, code: 'bad_request', message: /DOCTYPE or entity declarations; they are refused/ }, name);
    t.ok(Number(process.hrtime.bigint() - started) / 1e6 < 1000, `${name} is refused at once, without expanding anything`);
  }
  // The same inside a QTI item, and an entity used without a declaration stays text.
  t.throws(() => qti.parse(fixture('xxe.xml')), { code: 'bad_request' });
  const undeclared = moodle.parse(Buffer.from('<quiz><question type="truefalse"><questiontext><text>&lol9; &amp; &#x1EA0;</text></questiontext><answer fraction="100"><text>true</text></answer></question></quiz>'));
  t.equal(item(undeclared.items, 0).stem, '&lol9; & Ạ', 'only predefined entities and character references are decoded');
});

t.test('Aiken: Moodle\'s documentation example, Vietnamese, and broken questions', async (t) => {
  // Modelled on docs.moodle.org/en/Aiken_format.
  const text = [
    'What is the correct answer to this question?',
    'A. Is it this one?',
    'B. Maybe this answer?',
    'C. Possibly this one?',
    'D. Must be this one!',
    'ANSWER: D',
    '',
    'Which LMS has the most quiz import formats?',
    'A) Moodle',
    'B) ATutor',
    'C) Claroline',
    'D) Blackboard',
    'E) WebCT',
    'F) Ilias',
    'ANSWER: A',
    '',
    'Hàm số \\(y = x^4\\) có mấy điểm cực trị?',
    'A. 0',
    'B. 1',
    'ANSWER: B',
    '',
    'A question without an answer',
    'A. one',
    'B. two',
    '',
    'Names a missing option',
    'A. one',
    'B. two',
    'ANSWER: E',
  ].join('\r\n');
  const { items } = aiken.parse(Buffer.from(text));
  t.equal(items.length, 5);
  t.same(item(items, 0), {
    type: 'single_choice',
    stem: 'What is the correct answer to this question?',
    options: [
      { id: 'A', text: 'Is it this one?' },
      { id: 'B', text: 'Maybe this answer?' },
      { id: 'C', text: 'Possibly this one?' },
      { id: 'D', text: 'Must be this one!' },
    ],
    correct: ['D'],
  });
  t.equal((item(items, 1).options as unknown[]).length, 6);
  t.same(item(items, 1).correct, ['A']);
  t.equal(item(items, 2).stem, 'Hàm số \\(y = x^4\\) có mấy điểm cực trị?');
  t.match(items[3], { line: 22, error: /no "ANSWER:" line/ });
  t.match(items[4], { line: 26, error: /answer "E" names no option/ });
});

t.test('CSV: semicolon files as Excel writes them in Vietnamese locales, quoted newlines, per-row errors', async (t) => {
  const text = [
    'type;stem;subject;grade;topic;cognitiveLevel;A;B;C;D;answer;tolerance',
    'single_choice;"Hàm số nào đồng biến\ntrên R?";toan;12;ham-so;Nhận biết;y = x;y = -x;y = x^2;y = 1/x;A;',
    'numeric;Giá trị của \\(\\log_2 8\\)?;toan;12;logarit;2;;;;;3;0',
    'true_false;Số 2 là số nguyên tố.;toan;6;so-hoc;1;;;;;Đúng;',
    'essay;Bài luận;van;12;nghi-luan;4;;;;;;',
  ].join('\n');
  const { items } = csv.parse(Buffer.from(`\uFEFF${text}`));
  t.equal(items.length, 4);
  t.same(item(items, 0), {
    type: 'single_choice',
    stem: 'Hàm số nào đồng biến\ntrên R?',
    subject: 'toan',
    grade: 12,
    topic: 'ham-so',
    cognitiveLevel: 1,
    options: [
      { id: 'A', text: 'y = x' },
      { id: 'B', text: 'y = -x' },
      { id: 'C', text: 'y = x^2' },
      { id: 'D', text: 'y = 1/x' },
    ],
    correct: ['A'],
  });
  t.equal(items[0]!.line, 2);
  t.equal(items[1]!.line, 4, 'a quoted newline moves the next row down');
  t.same(item(items, 1), { type: 'numeric', stem: 'Giá trị của \\(\\log_2 8\\)?', subject: 'toan', grade: 12, topic: 'logarit', cognitiveLevel: 2, value: 3, tolerance: 0 });
  t.equal(item(items, 2).value, true, 'Đúng is true');
  t.match(items[3], { line: 6, error: /rubric is not valid JSON/ });
});

t.test('CSV: cells a spreadsheet would run as formulas are written inert and read back as they were', async (t) => {
  const source = {
    type: 'short_text' as const,
    stem: '=HYPERLINK("http://example.invalid","bấm vào đây")',
    subject: 'toan',
    grade: 6,
    topic: 'so-hoc',
    cognitiveLevel: 1 as const,
    accepted: ['+1', '-x', '-2', '@me'],
  };
  const line = csv.serializeRow(source);
  t.match(line, /^short_text,"'=HYPERLINK\(/, 'the stem cannot start a formula');
  t.match(line, /,'\+1 \| -x \| -2 \| @me,/, 'nor can the answer cell');
  const { items } = csv.parse(Buffer.from(`${ALL_COLUMNS.join(',')}\n${line}`));
  t.same(item(items, 0), { ...source, caseSensitive: false, ignoreDiacritics: false });
});

t.test('QTI 3.0: a lone item that refers to a shared stimulus says the passage is not in the file', async (t) => {
  const xml = `<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="s" title="s" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"><qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>
  <qti-assessment-stimulus-ref identifier="Stimulus1" href="passages/night.xml"/>
  <qti-item-body><qti-choice-interaction response-identifier="RESPONSE" max-choices="1"><qti-prompt>Who?</qti-prompt><qti-simple-choice identifier="A">Ann</qti-simple-choice><qti-simple-choice identifier="B">Bo</qti-simple-choice></qti-choice-interaction></qti-item-body>
</qti-assessment-item>`;
  const { items, stimuli } = qti.parse(Buffer.from(xml));
  t.equal(stimuli, undefined);
  t.equal(item(items, 0).stimulusId, undefined);
  t.same(items[0]!.warnings, ['Shared stimulus Stimulus1 (passages/night.xml) is not in the file or cannot be read; the item is stored without its passage']);
});

t.test('QTI 2.2: a package whose items share content by XInclude, an end-attempt button beside the choice', async (t) => {
  const doc = (id: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p2" xmlns:xi="http://www.w3.org/2001/XInclude" identifier="${id}" title="${id}" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>B</value></correctResponse></responseDeclaration>
  <responseDeclaration identifier="HINT" cardinality="single" baseType="boolean"/>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <xi:include href="shared/passage.xml"/>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <prompt>Câu hỏi ${id}</prompt>
      <simpleChoice identifier="A">Sai</simpleChoice>
      <simpleChoice identifier="B" fixed="true">Đúng</simpleChoice>
    </choiceInteraction>
    ${extra}
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p2/rptemplates/match_correct"/>
</assessmentItem>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><resources>
  <resource identifier="i1" type="imsqti_item_xmlv2p2" href="q1.xml"><file href="q1.xml"/></resource>
  <resource identifier="i2" type="imsqti_item_xmlv2p2" href="q2.xml"><file href="q2.xml"/></resource>
</resources></manifest>`;
  const zip = Buffer.from(
    zipSync({
      'imsmanifest.xml': strToU8(manifest),
      'q1.xml': strToU8(doc('q1')),
      'q2.xml': strToU8(doc('q2', '<endAttemptInteraction responseIdentifier="HINT" title="Gợi ý"/>')),
      'shared/passage.xml': strToU8('<div xmlns="http://www.w3.org/1999/xhtml"><p>Đoạn văn chung cho hai câu.</p></div>'),
    }),
  );
  const { items, stimuli } = qti.parse(zip);
  t.same(stimuli, [{ ref: 'shared/passage.xml', title: 'q1.xml', content: '<div><p>Đoạn văn chung cho hai câu.</p></div>' }], 'the included file is one passage');
  t.same(items.map((e) => [e.item?.stimulusId, e.stimulusOrder]), [['shared/passage.xml', 0], ['shared/passage.xml', 1]], 'both items refer to it, in order');
  t.same(item(items, 1), {
    type: 'single_choice',
    stem: '<p>Câu hỏi q2</p>',
    shuffleOptions: false,
    options: [
      { id: 'A', text: 'Sai' },
      { id: 'B', text: 'Đúng', fixed: true },
    ],
    correct: ['B'],
    stimulusId: 'shared/passage.xml',
    provenance: { title: 'q2', externalId: 'q2' },
  });
  t.same(items[1]!.warnings, ['End-attempt button "Gợi ý" (hint or solution) is left out']);
  t.equal(items[0]!.warnings, undefined, 'nothing else is lost');
});
