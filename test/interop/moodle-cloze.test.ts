// Moodle embedded answers (Cloze): MULTICHOICE and MULTIRESPONSE sub-questions
// become choice blanks; what the model cannot keep is a warning of the item;
// the export writes them back in cloze syntax and re-imports equal.
import t from 'tap';
import type { ClozeItem } from '../../src/bank/item-types.js';
import { checkItem } from '../../src/bank/item-schemas.js';
import * as moodle from '../../src/interop/moodle-xml.js';

function quiz(questionText: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<quiz><question type="cloze"><name><text>Q</text></name><questiontext format="html"><text><![CDATA[${questionText}]]></text></questiontext></question></quiz>`;
}

function parseOne(questionText: string) {
  const { items } = moodle.parse(quiz(questionText));
  t.equal(items.length, 1);
  return items[0]!;
}

t.test('MULTICHOICE and its variants become dropdown blanks; MULTIRESPONSE pick-several blanks', async (t) => {
  const entry = parseOne(
    '<p>Paris is in {1:MULTICHOICE:=France#Yes~Spain#No}. ' +
      'Berlin: {1:MC:Austria~=Germany}. Rome: {1:MCS:=Italy~Greece~Malta}. ' +
      'Vertical {1:MCV:=a~b}, horizontal {1:MULTICHOICE_HS:c~=d}. ' +
      'Primes: {1:MULTIRESPONSE:%50%2~%50%3~%-50%4}. Even: {1:MRS:%100%2~%-100%5}. ' +
      'Type {1:SA:=word} and {1:NM:=7:0.5}.</p>',
  );
  t.notOk(entry.error, entry.error ?? 'no error');
  const item = entry.item as unknown as ClozeItem;
  t.equal(item.type, 'cloze');
  t.match(item.text, /Paris is in \{\{b1\}\}\. Berlin: \{\{b2\}\}\. Rome: \{\{b3\}\}\. Vertical \{\{b4\}\}, horizontal \{\{b5\}\}\. Primes: \{\{b6\}\}\. Even: \{\{b7\}\}\. Type \{\{b8\}\} and \{\{b9\}\}\./);
  t.same(item.blanks, [
    { id: 'b1', options: [{ id: 'A', text: 'France' }, { id: 'B', text: 'Spain' }], correct: ['A'] },
    { id: 'b2', options: [{ id: 'A', text: 'Austria' }, { id: 'B', text: 'Germany' }], correct: ['B'] },
    { id: 'b3', options: [{ id: 'A', text: 'Italy' }, { id: 'B', text: 'Greece' }, { id: 'C', text: 'Malta' }], correct: ['A'], shuffle: true },
    { id: 'b4', options: [{ id: 'A', text: 'a' }, { id: 'B', text: 'b' }], correct: ['A'] },
    { id: 'b5', options: [{ id: 'A', text: 'c' }, { id: 'B', text: 'd' }], correct: ['B'], shuffle: true },
    { id: 'b6', options: [{ id: 'A', text: '2' }, { id: 'B', text: '3' }, { id: 'C', text: '4' }], correct: ['A', 'B'], multiple: true },
    { id: 'b7', options: [{ id: 'A', text: '2' }, { id: 'B', text: '5' }], correct: ['A'], multiple: true, shuffle: true },
    { id: 'b8', accepted: ['word'] },
    { id: 'b9', value: 7, tolerance: 0.5 },
  ]);
  const warnings = entry.warnings ?? [];
  t.ok(warnings.some((w) => /Feedback "[^"]*" of cloze sub-question 1 answer France is not kept/.test(w)), 'per-answer feedback is named');
  t.ok(warnings.some((w) => /Feedback "[^"]*" of cloze sub-question 1 answer Spain is not kept/.test(w)));
  t.ok(warnings.some((w) => /MCV sub-question 4 is shown as a dropdown/.test(w)), 'a radio-button layout is named');
  t.ok(warnings.some((w) => /MULTICHOICE_HS sub-question 5 is shown as a dropdown/.test(w)));
  t.ok(warnings.some((w) => /MULTIRESPONSE sub-question 6 is shown as a multiple-selection list/.test(w)));
  t.notOk(warnings.some((w) => /Weights of cloze MULTIRESPONSE/.test(w)), 'equal shares are what the model scores: no weight warning');
  t.ok(checkItem({ ...item, subject: 'geo', grade: 10, topic: 'europe', cognitiveLevel: 1 }).ok, 'the imported item passes the bank checks');
});

t.test('weights the model cannot keep are warnings; a sub-question with nothing right is the item\'s error', async (t) => {
  const weighted = parseOne('<p>{1:MULTICHOICE:=right~%50%half~wrong} {1:MR:%70%a~%30%b~c}</p>');
  t.notOk(weighted.error);
  t.same((weighted.item as unknown as ClozeItem).blanks[0], { id: 'b1', options: [{ id: 'A', text: 'right' }, { id: 'B', text: 'half' }, { id: 'C', text: 'wrong' }], correct: ['A'] });
  t.same((weighted.item as unknown as ClozeItem).blanks[1], { id: 'b2', options: [{ id: 'A', text: 'a' }, { id: 'B', text: 'b' }, { id: 'C', text: 'c' }], correct: ['A', 'B'], multiple: true });
  t.ok(weighted.warnings?.some((w) => /Partial credit \(50%\) for cloze answer half is dropped/.test(w)));
  t.ok(weighted.warnings?.some((w) => /Weights of cloze MULTIRESPONSE sub-question 2 are replaced by all-or-nothing/.test(w)));
  t.match(parseOne('<p>{1:MC:a~b}</p>').error, /sub-question 1 has no full-credit answer/);
  t.match(parseOne('<p>{1:MR:%-50%a~b}</p>').error, /MULTIRESPONSE sub-question 1 has no answer with a positive weight/);
  t.match(parseOne('<p>{1:REGEXP:=a}</p>').error, /type REGEXP is not supported/);
});

t.test('choice blanks export in cloze syntax and re-import equal', async (t) => {
  const item: ClozeItem = {
    type: 'cloze',
    stem: '<p>Chọn từ đúng.</p>',
    subject: 'english',
    grade: 10,
    topic: 'grammar',
    cognitiveLevel: 1,
    text: '<p>She {{b1}} here; {{b2}} are colours; the city is {{b3}}; {{b4}}.</p>',
    blanks: [
      { id: 'b1', options: [{ id: 'A', text: 'is' }, { id: 'B', text: 'are' }], correct: ['A'] },
      { id: 'b2', options: [{ id: 'A', text: 'red' }, { id: 'B', text: 'blue' }, { id: 'C', text: 'run' }], correct: ['A', 'B'], multiple: true, shuffle: true },
      { id: 'b3', options: [{ id: 'A', text: 'a~b}c#d/e' }, { id: 'B', text: '<b>x</b>' }, { id: 'C', text: 'y' }], correct: ['B', 'C'], shuffle: true },
      { id: 'b4', accepted: ['ok'] },
    ],
  };
  const xml = `<quiz>${moodle.serializeItem(item)}</quiz>`;
  t.match(xml, /\{1:MULTICHOICE:=is~are\}/, 'a dropdown is a MULTICHOICE code with = on the right option');
  t.match(xml, /\{1:MULTIRESPONSE_S:%50%red~%50%blue~%-50%run\}/, 'a pick-several blank is MULTIRESPONSE, shuffled as _S');
  t.match(xml, /\{1:MULTICHOICE_S:a\\~b\\\}c\\#d\\\/e~=/, 'special characters are escaped');
  const [entry] = moodle.parse(xml).items;
  t.notOk(entry!.error, entry!.error ?? 'no error');
  const back = entry!.item as unknown as ClozeItem;
  t.equal(back.text, item.text);
  t.same(back.blanks, item.blanks, 're-imports equal');
  t.same(entry!.warnings?.filter((w) => !/multiple-selection list/.test(w)) ?? [], [], 'nothing else to warn about');
});
