import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import * as moodle from '../../src/interop/moodle-xml.js';
import { applyCategory, categorySegments, topicSlug } from '../../src/interop/categories.js';
import { attr, child, decodeEntities, elements, parseXml, textOf, type XElement } from '../../src/interop/xml.js';
import type { ItemDraft, ParsedEntry } from '../../src/interop/model.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * Moodle XML without silent losses: the corpus of real Moodle XML files
 * (test/fixtures/interop/moodle-xml/: Moodle's own format fixtures, question
 * type fixtures, a generator's reference files checked against Moodle;
 * sources in SOURCES.md there) gives per file what is imported, warned about
 * and refused, with reasons; feedback,
 * hints, names, idnumbers and categories are kept, and exported back so
 * that an export re-imports equal through the HTTP routes.
 */

const dir = new URL('../fixtures/interop/moodle-xml/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir));

const PLUGIN = (type: string) => `failed: Moodle question type ${type} is not a standard Moodle type (a plugin's); not imported`;
const ONE_CHOICE = (type: string, n: number) => `failed: Moodle ${type} gap [[${n}]] offers one choice (its group has no other); a dropdown blank needs at least one wrong option`;

/** Per file (path under the corpus folder), per question: 'ok', 'warned: <what>' or 'failed: <why>'. */
const EXPECTED: Record<string, string[]> = {
  'broken_cloze_questions.xml': [
    // Moodle refuses all five too (its test asserts an error for each).
    'failed: Moodle multianswer question has no sub-questions',
    'failed: Moodle multianswer question has no sub-questions',
    'failed: Moodle cloze MULTICHOICE sub-question 1 has 1 choice; it needs at least two',
    'failed: Moodle cloze sub-question 1 has no full-credit answer',
    'failed: Moodle cloze NUMERICAL answer "zero" is not a number',
  ],
  'error_invalid_grades.xml': [
    "warned: Unequal grades of the right answers are replaced by equal shares | Moodle's grades for wrong options (-50%) are replaced by the partial rule: each wrong pick cancels one right pick",
  ],
  'export_category.xml': ['ok'],
  'html_chars_in_idnumbers.xml': ['ok'],
  'nested_categories_with_questions.xml': ['ok', 'ok', 'ok', 'ok', 'ok'],
  'moodle/categories_reverse_order.xml': ['ok', 'ok'],
  'moodle/category_with_description.xml': ['ok'],
  'moodle/old_format_file.xml': ['ok', 'ok'],
  'moodle-plugins/qtype_ddimageortext-testquestion.moodle.xml': ['failed: Moodle drag and drop onto image places answers on a picture; no item type does, so it is not imported'],
  'moodle-plugins/qtype_gapfill-gapfill_examples.xml': Array<string>(21).fill(PLUGIN('gapfill')),
  'moodle-plugins/qtype_gapselect-testquestion.moodle.xml': ['ok'],
  'moodle-plugins/qtype_ordering-testoldquestion.moodle.xml': ['ok'],
  'moodle-plugins/qtype_ordering-testquestion.moodle.xml': ['ok'],
  'moodle-tools/clozeRef.xml': [
    'ok',
    'warned: Feedback "This is correct" of cloze sub-question 1 answer 5.17:0.01 is not kept | Feedback "Feedback for (most) wrong answers." of cloze sub-question 1 answer 123456:10000000 is not kept',
    'ok',
    'warned: Feedback "Correct answer" of cloze sub-question 1 answer Cache Hit is not kept | Feedback "Wrong answer" of cloze sub-question 1 answer Cache Miss is not kept',
    'warned: Feedback "Some Feedback" of cloze sub-question 1 answer 5.57:0.01 is not kept | Feedback "Wrong answer" of cloze sub-question 2 answer e is not kept | Feedback "Correct answer" of cloze sub-question 2 answer pi is not kept | Unequal weights of the cloze sub-questions are replaced by equal shares',
  ],
  'moodle-tools/description.xml': ['failed: Moodle description is text shown between questions, not a question; not imported'],
  'moodle-tools/dragdrop_missing-wordsRef.xml': [ONE_CHOICE('ddwtos', 6), 'warned: Drag and drop into text is shown as a dropdown list in each gap'],
  'moodle-tools/essayRef.xml': [
    'warned: Information for graders is not kept; the item gets the default rubric | Response template is not kept | Minimum word count (50) is not kept | File attachments (1, 1 required) are not kept; the answer is text only',
    'warned: Response template is not kept',
  ],
  'moodle-tools/exact_set_equalityRef.xml': [PLUGIN('stack')],
  'moodle-tools/markdownRef.xml': ['ok'],
  'moodle-tools/matchingRef.xml': ['ok', 'ok'],
  'moodle-tools/missing-wordsRef.xml': [ONE_CHOICE('gapselect', 6), 'ok', 'ok', 'ok', ONE_CHOICE('gapselect', 5), ONE_CHOICE('gapselect', 5)],
  'moodle-tools/multiple-choiceRef.xml': ['ok', 'warned: Partial credit (50%) for option B is dropped; it counts as wrong'],
  'moodle-tools/multiple-true-falseRef.xml': [PLUGIN('mtf'), PLUGIN('mtf'), PLUGIN('mtf')],
  'moodle-tools/numericalRef.xml': ['warned: Partial credit (50%) for answer 5 is dropped | Feedback of answer 5 is not kept', 'ok'],
  'moodle-tools/orderingRef.xml': [
    'ok',
    'warned: Moodle shows 3 of the 5 elements (a contiguous selection); the item shows all of them | Ordering grading type RELATIVE_TO_CORRECT is replaced by partial credit per element in its right place',
  ],
  'moodle-tools/shortanswerRef.xml': [
    'warned: Partial credit (50%) for answer WITH is dropped | Feedback of answer WITH is not kept',
    'warned: Partial credit (50%) for answer WITH is dropped | Feedback of answer WITH is not kept',
    'ok',
  ],
  'moodle-tools/true-falseRef.xml': ['ok', 'ok', 'ok'],
};

/** Refusals of what a stock Moodle does not define as a question of its own (descriptions, plugins' types, pictures to drop onto). */
const OUT_OF_SCOPE = /not a question|not a standard Moodle type|no item type does/;

function corpusFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    return statSync(full).isDirectory() ? corpusFiles(full) : name.endsWith('.xml') ? [full] : [];
  });
}

function outcome(e: ParsedEntry): string {
  if (e.error) return `failed: ${e.error}`;
  return e.warnings?.length ? `warned: ${e.warnings.join(' | ')}` : 'ok';
}

function item(entries: ParsedEntry[], i: number): Record<string, unknown> {
  const e = entries[i];
  if (!e?.item) throw new Error(`entry ${i} has no item: ${JSON.stringify(e)}`);
  return e.item as unknown as Record<string, unknown>;
}

t.test('the Moodle XML corpus: per file, what is imported, warned about and refused', async (t) => {
  const root = fileURLToPath(dir);
  const files = corpusFiles(root).map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
  t.same(files, Object.keys(EXPECTED).sort(), 'every corpus file has its expected results');
  const tally = { defined: 0, outOfScope: 0, brokenOnPurpose: 0, imported: 0, warned: 0 };
  for (const file of files) {
    const { items } = moodle.parse(read(file));
    t.same(items.map(outcome), EXPECTED[file], file);
    tally.defined += items.length;
    tally.outOfScope += items.filter((e) => e.error && OUT_OF_SCOPE.test(e.error)).length;
    if (file === 'broken_cloze_questions.xml') tally.brokenOnPurpose += items.length;
    tally.imported += items.filter((e) => e.item).length;
    tally.warned += items.filter((e) => e.item && e.warnings?.length).length;
  }
  // 27 out of scope: 21 gapfill, 3 mtf and 1 stack (plugins), 1 drag onto image, 1 description; 5 broken on purpose.
  t.same(tally, { defined: 78, outOfScope: 27, brokenOnPurpose: 5, imported: 42, warned: 12 });
  const inScope = tally.defined - tally.outOfScope - tally.brokenOnPurpose;
  t.equal(`${tally.imported}/${inScope}`, '42/46', 'refused in scope: four gaps whose group holds a single choice');
});

/** The words a reader sees in HTML or text (codes of embedded answers, gap markers and file references left out). */
function words(text: string): string[] {
  return decodeEntities(
    text
      .replace(/@@PLUGINFILE@@\/[^"'\s>]*/g, ' ')
      // A wrong answer worth nothing and saying nothing tells a candidate nothing: every other answer is wrong too.
      .replace(/~%0%[^~}#]*(?=[~}])/g, ' ')
      .replace(/\{\d*:[A-Za-z_]+:/g, ' ')
      .replace(/%-?\d+(?:\.\d+)?%/g, ' ')
      .replace(/\[\[\d+\]\]/g, ' ')
      .replace(/<[^>]*>/g, ' '),
  )
    .replace(/&nbsp;/g, ' ')
    .normalize('NFC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1);
}

/** The words of what a question shows or tells: its text, answers, choices, feedback and hints (not its name, tags, files or settings). */
function questionWords(q: XElement, warnings: string): string[] {
  const text = (el: XElement | undefined) => (el ? words(textOf(child(el, 'text'))) : []);
  // What a warning names as a whole ("Information for graders is not kept", "Feedback of answer X is not kept") is not checked word by word.
  const named = (what: RegExp) => what.test(warnings);
  return [
    ...text(child(q, 'questiontext')),
    ...text(child(q, 'generalfeedback')),
    ...['correctfeedback', 'partiallycorrectfeedback', 'incorrectfeedback'].flatMap((tag) => text(child(q, tag))),
    ...elements(q, 'answer').flatMap((a) => {
      // An answer of a typed response worth nothing tells nothing either (its feedback is checked below).
      const silentWrong = ['shortanswer', 'numerical'].includes(attr(q, 'type') ?? '') && Number(attr(a, 'fraction') ?? 0) <= 0;
      return [...(silentWrong ? [] : text(a)), ...(named(/Feedback of answer|feedback; none of it/) ? [] : text(child(a, 'feedback')))];
    }),
    ...elements(q, 'subquestion').flatMap((sq) => [...text(sq), ...text(child(sq, 'answer'))]),
    ...[...elements(q, 'selectoption'), ...elements(q, 'dragbox')].flatMap(text),
    ...elements(q, 'hint').flatMap(text),
    ...(named(/Information for graders/) ? [] : text(child(q, 'graderinfo'))),
    ...(named(/Response template/) ? [] : text(child(q, 'responsetemplate'))),
  ];
}

t.test('no silent loss: every word a corpus question shows is in its item, or in a warning', async (t) => {
  let checked = 0;
  for (const file of Object.keys(EXPECTED)) {
    const questions = elements(parseXml(read(file).toString('utf8')), 'question').filter((q) => attr(q, 'type') !== 'category');
    for (const e of moodle.parse(read(file)).items) {
      if (!e.item) continue;
      const warnings = (e.warnings ?? []).join(' ');
      const kept = new Set([...words(JSON.stringify(e.item)), ...words(warnings)]);
      const missing = [...new Set(questionWords(questions[e.index]!, warnings))].filter((w) => !kept.has(w));
      t.same(missing, [], `${file} #${e.index}: no word left out`);
      checked++;
    }
  }
  t.equal(checked, 42, 'every imported corpus question compared with its source');
});

t.test('hand-checked: categories, names and idnumbers become provenance, and the leaf category a topic', async (t) => {
  const nested = moodle.parse(read('nested_categories_with_questions.xml')).items;
  t.same(item(nested, 1), {
    type: 'essay',
    stem: 'Testing Kappa Essay Question',
    points: 1,
    rubric: [{ criterion: 'Đánh giá chung', maxPoints: 1 }],
    provenance: { title: 'Kappa Essay Question', source: { categoryPath: ['Iota', 'Kappa'] } },
  });
  t.same(item(nested, 3).provenance, { title: 'Lambda Question', source: { categoryPath: ['Iota', 'Kappa', 'Lambda'] } });
  t.match(applyCategory(item(nested, 3) as unknown as ItemDraft), { topic: 'lambda', tags: ['Iota', 'Kappa'] }, 'leaf → topic, the rest → tags');
  t.match(applyCategory(item(nested, 3) as unknown as ItemDraft, { 'Iota/Kappa/Lambda': 'dai-so' }), { topic: 'dai-so' }, 'a path in the map wins');
  t.match(applyCategory(item(nested, 4) as unknown as ItemDraft, { Mu: 'xac-suat' }), { topic: 'xac-suat', tags: ['Iota'] }, 'so does a leaf');

  t.same(moodle.parse(read('moodle/categories_reverse_order.xml')).warnings, [
    'The description of category Sigma/Tau is not kept; its questions keep the category path',
    'The description of category Sigma is not kept; its questions keep the category path',
  ], "a category's description belongs to no question: a warning for the file");
  t.same(moodle.parse(read('html_chars_in_idnumbers.xml')).warnings, ['The description and idnumber (The inequalities < & >) of category Alpha are not kept; its questions keep the category path']);
  t.notOk(moodle.parse(read('moodle/old_format_file.xml')).warnings, 'a category with neither says nothing');

  const ids = moodle.parse(read('html_chars_in_idnumbers.xml')).items;
  t.same(item(ids, 0), {
    type: 'true_false',
    stem: '<p>Testing Alpha Question</p>',
    points: 1,
    value: true,
    provenance: { title: 'Alpha Question', externalId: 'T & F', source: { categoryPath: ['Alpha'] } },
  }, 'an idnumber with XML entities is read as text');

  const grades = moodle.parse(read('error_invalid_grades.xml')).items;
  t.match(item(grades, 0), {
    type: 'multiple_choice',
    correct: ['B', 'C', 'E'],
    scoring: 'partial',
    feedback: { correct: 'Your answer is correct.', partial: 'Your answer is partially correct.', incorrect: 'Your answer is incorrect.' },
    provenance: { title: 'Question with <strong>invalid grades</strong> : x > 1 & x < 2' },
  });
});

t.test('category strings and slugs', async (t) => {
  t.same(categorySegments('$course$/top/Đại số/Phương trình'), ['Đại số', 'Phương trình']);
  t.same(categorySegments('$system$/top'), []);
  t.same(categorySegments('$course$/A//B/C'), ['A/B', 'C'], 'a doubled slash is a slash inside a name');
  t.equal(topicSlug('Phương trình bậc hai'), 'phuong-trinh-bac-hai');
  t.equal(topicSlug('Đạo hàm'), 'dao-ham');
  t.equal(topicSlug('!!!'), '');
});

t.test('every feedback, hint and answer-feedback form Moodle writes is kept, or named in a warning', async (t) => {
  const xml = `<?xml version="1.0"?><quiz>
<question type="category"><category><text>$course$/top/Toán/Số học</text></category></question>
<question type="shortanswer"><name><text>Thủ đô</text></name><idnumber>geo-1</idnumber>
 <questiontext format="html"><text>Capital of France?</text></questiontext>
 <generalfeedback format="html"><text><![CDATA[<p>Paris is on the Seine.</p>]]></text></generalfeedback>
 <answer fraction="100"><text>Paris</text><feedback><text>Yes</text></feedback></answer>
 <answer fraction="0"><text>Lyon</text><feedback><text>Lyon is the third city</text></feedback></answer>
 <answer fraction="0"><text>*</text><feedback><text>No</text></feedback></answer>
 <hint format="html"><text>It starts with P</text><shownumcorrect/></hint><hint format="html"><text>Four letters</text></hint>
</question>
<question type="essay"><name><text>E</text></name><questiontext><text>Write.</text></questiontext>
 <graderinfo format="html"><text>Look for structure</text></graderinfo><responsetemplate><text>Start here</text></responsetemplate></question>
<question type="multianswer"><name><text>C</text></name><questiontext><text>The capital is {1:SHORTANSWER:=Paris#Right~*#Wrong}</text></questiontext></question>
<question type="truefalse"><name><text>Audio</text></name><questiontext format="html"><text><![CDATA[<p>Listen <a href="@@PLUGINFILE@@/a.mp3">here</a></p>]]></text><file name="a.mp3" encoding="base64">SUQz</file></questiontext>
 <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>
</quiz>`;
  const { items } = moodle.parse(xml);
  t.same(item(items, 0), {
    type: 'short_text',
    stem: 'Capital of France?',
    accepted: ['Paris'],
    caseSensitive: false,
    feedback: { general: '<p>Paris is on the Seine.</p>', correct: 'Yes', incorrect: 'No' },
    hints: ['It starts with P', 'Four letters'],
    provenance: { title: 'Thủ đô', externalId: 'geo-1', source: { categoryPath: ['Toán', 'Số học'] } },
  });
  t.same(items[0]!.warnings, ['Feedback of answer Lyon is not kept']);
  t.same(items[1]!.warnings, ['Information for graders is not kept; the item gets the default rubric', 'Response template is not kept']);
  t.match(items[2]!.warnings, [/Feedback "Right" of cloze sub-question 1 answer Paris is not kept/, /Feedback "Wrong" of cloze sub-question 1 answer \* is not kept/]);
  t.same(items[3]!.warnings, ['File a.mp3 is not kept (only png, jpeg, gif and webp pictures are)']);
});

t.test('export: stock Moodle types only, all-or-nothing as multichoice with -100 % wrong options, fixed positions kept', async (t) => {
  const base = { subject: 'toan', grade: 10, topic: 'so-hoc', cognitiveLevel: 1 as const };
  const xml = moodle.serializeItem({
    ...base,
    type: 'multiple_choice',
    stem: 'Pick the primes',
    options: [{ id: 'A', text: '2', feedback: 'Prime' }, { id: 'B', text: '4' }, { id: 'C', text: '5' }, { id: 'D', text: 'None of these', fixed: true }],
    correct: ['A', 'C'],
    scoring: 'all_or_nothing',
  });
  t.match(xml, /<question type="multichoice">/);
  t.notMatch(xml, /multichoiceset/);
  t.match(xml, /<single>false<\/single>/);
  t.match(xml, /<shuffleanswers>false<\/shuffleanswers>/, 'Moodle shuffles all or nothing: a fixed option turns shuffling off');
  t.same([...xml.matchAll(/fraction="([^"]+)"/g)].map((m) => m[1]), ['50', '-100', '50', '-100']);
  t.match(xml, /<tag><text>fixed:D<\/text><\/tag>/);
  const back = item(moodle.parse(`<quiz>${xml}</quiz>`).items, 0);
  t.match(back, { scoring: 'all_or_nothing', shuffleOptions: true, options: [{ id: 'A', feedback: 'Prime' }, { id: 'B' }, { id: 'C' }, { id: 'D', fixed: true }] });
});

t.test('through the routes: import with topicMap and fileName, export, re-import equal', async (t) => {
  const { app } = await build(t);
  const world = await interopWorld(app);
  const author = world.users.authorA;
  const file = `<?xml version="1.0"?><quiz>
<question type="category"><category><text>$course$/top/Đại số/Phương trình</text></category></question>
<question type="multichoice"><name><text>Nghiệm</text></name><idnumber>PT-7</idnumber>
 <questiontext format="html"><text>Nghiệm của x - 2 = 0?</text></questiontext>
 <generalfeedback format="html"><text>Chuyển vế.</text></generalfeedback>
 <single>true</single><shuffleanswers>true</shuffleanswers>
 <correctfeedback><text>Đúng rồi</text></correctfeedback><partiallycorrectfeedback><text></text></partiallycorrectfeedback><incorrectfeedback><text>Chưa đúng</text></incorrectfeedback>
 <answer fraction="100"><text>2</text><feedback><text>2 - 2 = 0</text></feedback></answer>
 <answer fraction="0"><text>-2</text><feedback><text>Sai dấu</text></feedback></answer>
 <hint><text>Cộng 2 vào hai vế</text></hint>
 <tags><tag><text>subject:toan</text></tag><tag><text>grade:8</text></tag><tag><text>level:1</text></tag></tags>
</question>
<question type="category"><category><text>$course$/top/Đại số/Số nguyên tố</text></category></question>
<question type="truefalse"><name><text>Hai</text></name><questiontext><text>2 là số nguyên tố.</text></questiontext>
 <answer fraction="100"><text>true</text><feedback><text>Đúng: chỉ chia hết cho 1 và 2</text></feedback></answer>
 <answer fraction="0"><text>false</text><feedback><text>2 là số nguyên tố chẵn duy nhất</text></feedback></answer>
 <tags><tag><text>subject:toan</text></tag><tag><text>grade:8</text></tag><tag><text>level:1</text></tag></tags>
</question></quiz>`;

  const bad = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml&topicMap=%7Bnope', payload: file, headers: { 'content-type': 'application/xml' } });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error.code, 'validation_failed', 'a topicMap that is not JSON is refused with the error body');
  const notSlug = await author({ method: 'POST', url: `/api/items/import?format=moodle-xml&topicMap=${encodeURIComponent('{"Phương trình":"Not a slug"}')}`, payload: file, headers: { 'content-type': 'application/xml' } });
  t.equal(notSlug.statusCode, 400);

  const map = encodeURIComponent(JSON.stringify({ 'Đại số/Phương trình': 'phuong-trinh-bac-nhat' }));
  const res = await author({ method: 'POST', url: `/api/items/import?format=moodle-xml&fileName=dai-so.xml&topicMap=${map}`, payload: file, headers: { 'content-type': 'application/xml' } });
  t.equal(res.statusCode, 200, res.body);
  const report = res.json();
  t.same(report.failed, []);
  t.equal(report.imported, 2);
  const stored = await Promise.all((report.ids as string[]).map(async (id) => (await author({ method: 'GET', url: `/api/items/${id}` })).json()));
  t.match(stored[0], {
    type: 'single_choice',
    topic: 'phuong-trinh-bac-nhat',
    tags: ['Đại số'],
    options: [{ id: 'A', text: '2', feedback: '2 - 2 = 0' }, { id: 'B', text: '-2', feedback: 'Sai dấu' }],
    feedback: { general: 'Chuyển vế.', correct: 'Đúng rồi', incorrect: 'Chưa đúng' },
    hints: ['Cộng 2 vào hai vế'],
    provenance: { title: 'Nghiệm', externalId: 'PT-7', source: { file: 'dai-so.xml', format: 'moodle-xml', categoryPath: ['Đại số', 'Phương trình'] } },
  });
  t.notOk('partial' in stored[0].feedback, 'an empty outcome feedback is not stored');
  t.match(stored[1], { type: 'true_false', topic: 'so-nguyen-to', tags: ['Đại số'], feedback: { correct: 'Đúng: chỉ chia hết cho 1 và 2', incorrect: '2 là số nguyên tố chẵn duy nhất' } }, 'without a mapping the leaf is the topic');

  // Export the two (in review, so the export reads them and not the re-import) and import the file again.
  for (const id of report.ids as string[]) await author({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'in_review' } });
  const exported = await author({ method: 'GET', url: '/api/items/export?format=moodle-xml&status=in_review' });
  t.equal(exported.statusCode, 200);
  t.match(exported.body, /<question type="category">\s*<category><text>\$course\$\/top\/Đại số\/Phương trình<\/text><\/category>/);
  t.match(exported.body, /<category><text>\$course\$\/top\/Đại số\/Số nguyên tố<\/text><\/category>/);
  t.match(exported.body, /<name><text>Nghiệm<\/text><\/name>/);
  t.match(exported.body, /<idnumber>PT-7<\/idnumber>/);
  const again = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml', payload: exported.rawPayload, headers: { 'content-type': 'application/xml' } });
  t.equal(again.statusCode, 200, again.body);
  t.same(again.json().failed, []);
  t.same(again.json().warnings, [], 'nothing of an export is lost on re-import');
  const content = (v: Record<string, unknown>) => {
    const { id, revision, status, authorId, createdAt, createdBy, latestRevision, approvedRevision, keyIncluded, statusLog, lastReview, people, ownerOrgId, language, ...rest } = v;
    const provenance = rest.provenance as { source?: Record<string, unknown> } | undefined;
    return { ...rest, provenance: { ...provenance, source: { ...provenance?.source, file: undefined } } };
  };
  const reimported = await Promise.all((again.json().ids as string[]).map(async (id) => (await author({ method: 'GET', url: `/api/items/${id}` })).json()));
  t.equal(reimported[1].provenance.externalId, stored[1].id, "an item without an external id travels with its bank id as Moodle's idnumber");
  delete reimported[1].provenance.externalId;
  t.same(reimported.map(content), stored.map(content), 'feedback, hints, provenance, topic and tags come back equal');
});

t.test('select missing words and drag and drop into text become cloze choice blanks', async (t) => {
  const gapselect = moodle.parse(read('moodle-plugins/qtype_gapselect-testquestion.moodle.xml')).items;
  const options = [{ id: 'A', text: 'cat' }, { id: 'B', text: 'sat' }, { id: 'C', text: 'mat' }, { id: 'D', text: 'dog' }, { id: 'E', text: 'table' }];
  t.same(item(gapselect, 0), {
    type: 'cloze',
    stem: 'Imported Select missing words 001',
    points: 1,
    text: 'The {{b1}} {{b2}} on the {{b3}}.',
    blanks: [
      { id: 'b1', options, correct: ['A'] },
      { id: 'b2', options, correct: ['B'] },
      { id: 'b3', options, correct: ['C'] },
    ],
    feedback: { general: 'The cat sat on the mat.', correct: 'Your answer is correct.', partial: 'Your answer is partially correct.', incorrect: 'Your answer is incorrect.' },
    hints: ['First hint', 'Second hint'],
    provenance: { source: { categoryPath: ['Default for C1'] } },
  }, 'each [[n]] offers its group, the n-th choice is right; feedback and hints kept');

  const groups = moodle.parse(read('moodle-tools/missing-wordsRef.xml')).items;
  t.same((item(groups, 1).blanks as unknown[])[0], { id: 'b1', options: [{ id: 'A', text: 'SELECT' }, { id: 'B', text: 'FROM' }, { id: 'C', text: 'WHERE' }], correct: ['A'], shuffle: true }, 'shuffleanswers shuffles every blank');

  const xml = `<quiz>
<question type="ddwtos"><name><text>Chemistry</text></name>
 <questiontext format="html"><text><![CDATA[<p>Water is [[1]]; [[1]] again; salt is [[3]].</p>]]></text></questiontext>
 <shuffleanswers>0</shuffleanswers>
 <dragbox><text>H&lt;sub&gt;2&lt;/sub&gt;O</text><group>1</group></dragbox>
 <dragbox><text>CO2</text><group>1</group><infinite/></dragbox>
 <dragbox><text>NaCl</text><group>2</group></dragbox>
 <dragbox><text>KCl</text><group>2</group></dragbox>
</question>
<question type="gapselect"><name><text>Missing</text></name><questiontext><text>A [[4]] gap</text></questiontext>
 <selectoption><text>a</text><group>1</group></selectoption><selectoption><text>b</text><group>1</group></selectoption></question>
<question type="gapselect"><name><text>None</text></name><questiontext><text>No gaps</text></questiontext>
 <selectoption><text>a</text><group>1</group></selectoption><selectoption><text>b</text><group>1</group></selectoption></question>
<question type="gapselect"><name><text>Plain</text></name><questiontext><text>Pick [[2]]</text></questiontext>
 <selectoption><text>&lt;b&gt;x&lt;/b&gt;</text><group>1</group></selectoption><selectoption><text>y</text><group>1</group></selectoption></question>
<question type="gapselect"><name><text>Ruled</text></name><questiontext><text><![CDATA[<p>One [[1]]</p><hr /><p>Two [[2]]</p>]]></text></questiontext>
 <selectoption><text>a</text><group>1</group></selectoption><selectoption><text>b</text><group>1</group></selectoption></question>
</quiz>`;
  const { items } = moodle.parse(xml);
  t.match(item(items, 0), {
    text: '<p>Water is {{b1}}; {{b2}} again; salt is {{b3}}.</p>',
    blanks: [
      { id: 'b1', options: [{ id: 'A', text: 'H2O' }, { id: 'B', text: 'CO2' }], correct: ['A'] },
      { id: 'b2', correct: ['A'] },
      { id: 'b3', options: [{ id: 'A', text: 'NaCl' }, { id: 'B', text: 'KCl' }], correct: ['A'] },
    ],
  });
  t.same(items[0]!.warnings, [
    'Formatting of choice 1 (H2O) is dropped; a choice is plain text',
    'Drag and drop into text is shown as a dropdown list in each gap',
    'Choice 1 (H2O) answers 2 gaps but can be dragged once in Moodle; here each gap offers it',
  ]);
  t.equal(items[1]!.error, 'Moodle gapselect gap [[4]] names choice 4, which the question does not have (2 choices)');
  t.equal(items[2]!.error, 'Moodle gapselect question has no gaps ([[n]] in its text)');
  t.match(item(items, 3), { blanks: [{ options: [{ text: '<b>x</b>' }, { text: 'y' }], correct: ['B'] }] }, 'a select option is plain text: markup stays as written');
  t.notOk(items[3]!.warnings);
  t.match(item(items, 4), { stem: 'Ruled', text: '<p>One {{b1}}</p><hr /><p>Two {{b2}}</p>' }, "an author's rule above a gap is kept in the text, not read as the stem's end");
});

t.test('types the bank cannot hold are refused with the reason, per question', async (t) => {
  const q = (type: string) => `<question type="${type}"><name><text>${type}</text></name><questiontext><text>What is {a} + {b}?</text></questiontext></question>`;
  const types = ['calculated', 'calculatedsimple', 'calculatedmulti', 'random', 'randomsamatch', 'ddmarker', 'description', 'coderunner'];
  const { items } = moodle.parse(`<quiz>${types.map(q).join('')}</quiz>`);
  t.same(items.map((e) => e.error), [
    'Moodle calculated question draws values from datasets into its text and computes the answer by a formula; the bank has no generated values, so it is not imported',
    'Moodle simple calculated question draws values from datasets into its text and computes the answer by a formula; the bank has no generated values, so it is not imported',
    'Moodle calculated multichoice question draws values from datasets into its text and options; the bank has no generated values, so it is not imported',
    'Moodle random question is a placeholder drawing a question from a category, not a question; not imported',
    'Moodle random short-answer matching draws its premises from other questions of the category when attempted; not a question of its own, not imported',
    'Moodle drag and drop markers places markers on a picture; no item type does, so it is not imported',
    'Moodle description is text shown between questions, not a question; not imported',
    "Moodle question type coderunner is not a standard Moodle type (a plugin's); not imported",
  ]);
});

t.test("ordering: the plugin's numeric grading codes are read by name", async (t) => {
  const q = (code: string) =>
    `<question type="ordering"><name><text>O</text></name><questiontext><text>Order</text></questiontext><gradingtype>${code}</gradingtype><selecttype>0</selecttype><selectcount>0</selectcount>` +
    '<answer fraction="1"><text>a</text></answer><answer fraction="2"><text>b</text></answer><answer fraction="3"><text>c</text></answer></question>';
  const { items } = moodle.parse(`<quiz>${q('-1')}${q('0')}${q('5')}</quiz>`);
  t.match(item(items, 0), { scoring: 'all_or_nothing' }, '-1 is all or nothing, not partial');
  t.notOk(items[0]!.warnings);
  t.match(item(items, 1), { scoring: 'partial' }, '0 is absolute position');
  t.notOk(items[1]!.warnings);
  t.same(items[2]!.warnings, ['Ordering grading type LONGEST_ORDERED_SUBSET is replaced by partial credit per element in its right place']);
});

t.test('export: a cloze item of one-answer dropdowns is a gapselect, anything else a multianswer; both re-import equal', async (t) => {
  const base = { subject: 'english', grade: 10, topic: 'grammar', cognitiveLevel: 1 as const };
  const verbs = [{ id: 'A', text: 'is' }, { id: 'B', text: 'are' }, { id: 'C', text: 'be' }];
  const item1 = {
    ...base,
    type: 'cloze' as const,
    stem: '<p>Chọn từ đúng.</p>',
    text: '<p>She {{b1}} here; they {{b2}} there; it is {{b3}}.</p>',
    blanks: [
      { id: 'b1', options: verbs, correct: ['A'] },
      { id: 'b2', options: verbs, correct: ['B'] },
      { id: 'b3', options: [{ id: 'A', text: 'a<b' }, { id: 'B', text: 'c & d' }], correct: ['B'] },
    ],
    feedback: { general: 'G', correct: 'C', partial: 'P', incorrect: 'I' },
    hints: ['H'],
  };
  const xml = moodle.serializeItem(item1);
  t.match(xml, /<question type="gapselect">/);
  t.match(xml, /She \[\[1\]\] here; they \[\[2\]\] there; it is \[\[5\]\]\./, 'gaps name their right choice');
  t.same([...xml.matchAll(/<selectoption><text>([^<]*)<\/text><group>(\d)<\/group>/g)].map((m) => `${m[1]}:${m[2]}`), ['is:1', 'are:1', 'be:1', 'a&lt;b:2', 'c &amp; d:2'], 'blanks with the same options share a group');
  t.match(xml, /<correctfeedback format="html"><text><!\[CDATA\[C\]\]>/, 'gapselect carries the outcome feedback');
  const [back] = moodle.parse(`<quiz>${xml}</quiz>`).items;
  t.notOk(back!.warnings);
  t.same(back!.item, { ...item1, points: 1 }, 're-imports equal (classification travels as tags)');

  const shuffled = { ...item1, blanks: item1.blanks.map((b) => ({ ...b, shuffle: true })) };
  t.match(moodle.serializeItem(shuffled), /<shuffleanswers>1<\/shuffleanswers>/);
  t.same((moodle.parse(`<quiz>${moodle.serializeItem(shuffled)}</quiz>`).items[0]!.item as unknown as typeof shuffled).blanks, shuffled.blanks);

  const mixedShuffle = { ...item1, blanks: [item1.blanks[0]!, { ...item1.blanks[1]!, shuffle: true }, item1.blanks[2]!] };
  const twoRight = { ...item1, blanks: [item1.blanks[0]!, { ...item1.blanks[1]!, correct: ['A', 'B'] }, item1.blanks[2]!] };
  const bracketText = { ...item1, text: '<p>[[1]] {{b1}} {{b2}} {{b3}}</p>' };
  const nineLists = { ...item1, text: Array.from({ length: 9 }, (_x, i) => `{{b${i + 1}}}`).join(' '), blanks: Array.from({ length: 9 }, (_x, i) => ({ id: `b${i + 1}`, options: [{ id: 'A', text: `x${i}` }, { id: 'B', text: 'y' }], correct: ['A'] })) };
  for (const [name, other] of [['mixed shuffling', mixedShuffle], ['two right options', twoRight], ['[[n]] already in the text', bracketText], ['nine option lists', nineLists]] as const) {
    const out = moodle.serializeItem(other);
    t.match(out, /<question type="multianswer">/, `${name}: multianswer`);
    const [again] = moodle.parse(`<quiz>${out}</quiz>`).items;
    t.same((again!.item as unknown as typeof other).blanks, other.blanks, `${name}: blanks re-import equal`);
  }
});

t.test('through the routes: a gapselect file imports, exports as gapselect and re-imports equal', async (t) => {
  const { app } = await build(t);
  const world = await interopWorld(app);
  const author = world.users.authorA;
  const res = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml&subject=english&grade=6&cognitiveLevel=1', payload: read('moodle-plugins/qtype_gapselect-testquestion.moodle.xml'), headers: { 'content-type': 'application/xml' } });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().imported, 1);
  t.same(res.json().warnings, []);
  t.notOk(res.json().fileWarnings, 'its category has no description');
  const [id] = res.json().ids as string[];
  const stored = (await author({ method: 'GET', url: `/api/items/${id}` })).json();
  t.match(stored, { type: 'cloze', topic: 'default-for-c1', blanks: [{ correct: ['A'] }, { correct: ['B'] }, { correct: ['C'] }], feedback: { partial: 'Your answer is partially correct.' } });
  await author({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'in_review' } });
  const exported = await author({ method: 'GET', url: '/api/items/export?format=moodle-xml&status=in_review' });
  t.equal(exported.statusCode, 200);
  t.match(exported.body, /<question type="gapselect">/);
  t.match(exported.body, /The \[\[1\]\] \[\[2\]\] on the \[\[3\]\]\./);
  const again = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml', payload: exported.rawPayload, headers: { 'content-type': 'application/xml' } });
  t.equal(again.statusCode, 200, again.body);
  t.same(again.json().warnings, []);
  const back = (await author({ method: 'GET', url: `/api/items/${(again.json().ids as string[])[0]}` })).json();
  for (const key of ['type', 'stem', 'text', 'blanks', 'feedback', 'hints', 'points', 'topic', 'subject', 'grade']) t.same(back[key], stored[key], key);
  t.same(back.provenance.source.categoryPath, ['Default for C1']);
});
