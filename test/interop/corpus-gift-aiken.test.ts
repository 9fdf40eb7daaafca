import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * Every real GIFT and Aiken file of the corpus (test/fixtures/interop/gift
 * and aiken, sources in their SOURCES.md) through POST /api/items/import
 * with dryRun: per file, how many questions become items, how many of those
 * carry warnings (what the item does not keep), and how many fail, each
 * with its reason. The numbers were checked by hand against the files.
 */

const { app } = await build(t);
const world = await interopWorld(app);
const author = world.users.authorA;

const ROOT = fileURLToPath(new URL('../fixtures/interop/', import.meta.url));
const DEFAULTS = 'subject=tin-hoc&grade=10&topic=moodle&cognitiveLevel=1&language=en';

interface Expected {
  imported: number;
  warned: number;
  /** Failed questions by index, with the start of their reason. */
  failed?: Record<number, string>;
}

const DESCRIPTION = 'GIFT description';

/** Per file: checked by hand against the file. */
const EXPECTED: Record<string, Expected> = {
  'gift/moodle/examples.txt': { imported: 43, warned: 8 },
  'gift/moodle/questions.gift.txt': { imported: 9, warned: 2 },
  'gift/moodle/questions_in_category.gift.txt': { imported: 4, warned: 1 },
  'gift/qas-editor/all.gift': { imported: 19, warned: 6, failed: { 0: DESCRIPTION, 8: 'GIFT numerical question has 2 full-credit answers', 14: 'GIFT short answer "*manually*" uses Moodle\'s * wildcard' } },
  'gift/qas-editor/essay.gift': { imported: 2, warned: 0 },
  'gift/qas-editor/matching.gift': { imported: 2, warned: 0 },
  'gift/qas-editor/missing_words.gift': { imported: 1, warned: 0 },
  'gift/qas-editor/multichoice.gift': { imported: 4, warned: 2 },
  'gift/qas-editor/numericals.gift': { imported: 3, warned: 1, failed: { 1: 'GIFT numerical question has 2 full-credit answers' } },
  'gift/qas-editor/shorts.gift': { imported: 3, warned: 1, failed: { 0: 'GIFT short answer "*manually*" uses Moodle\'s * wildcard' } },
  'gift/qas-editor/true_false.gift': { imported: 4, warned: 2 },
  'gift/gift-grammar-pegjs/TFTwoFeedback.gift': { imported: 3, warned: 0 },
  'gift/gift-grammar-pegjs/description1.gift': { imported: 1, warned: 0, failed: { 0: DESCRIPTION } },
  'gift/gift-grammar-pegjs/descriptionTitleEscapedColon.gift': { imported: 1, warned: 0, failed: { 0: DESCRIPTION } },
  'gift/gift-grammar-pegjs/descriptionWithID.gift': { imported: 1, warned: 0, failed: { 0: DESCRIPTION } },
  'gift/gift-grammar-pegjs/escapeAll.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/escapeColon.gift': { imported: 0, warned: 0, failed: { 0: 'GIFT multiple choice has 4 full-credit answers' } },
  'gift/gift-grammar-pegjs/escapeEquals.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/essay1.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/formatExamples.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/giftFormatPhpExamples.gift': { imported: 10, warned: 3 },
  'gift/gift-grammar-pegjs/markdown.gift': { imported: 0, warned: 0, failed: { 0: DESCRIPTION, 1: DESCRIPTION, 2: DESCRIPTION, 3: DESCRIPTION } },
  'gift/gift-grammar-pegjs/matching1.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/mc1.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/mc2.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/mc4.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/mc5.gift': { imported: 4, warned: 0 },
  'gift/gift-grammar-pegjs/mcHTMLComment.gift': { imported: 1, warned: 1 },
  'gift/gift-grammar-pegjs/multiLineFeedback1.gift': { imported: 2, warned: 1 },
  'gift/gift-grammar-pegjs/multipleAnswersFloat.gift': { imported: 1, warned: 1 },
  'gift/gift-grammar-pegjs/newlineAndLaTeX.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/numerical1.gift': { imported: 10, warned: 2 },
  'gift/gift-grammar-pegjs/options1.gift': { imported: 14, warned: 4 },
  'gift/gift-grammar-pegjs/shortAnswer1.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/shortAnswer2.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/shortAnswerNotMatching.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/shortFirstEmbedded.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/shortFirstEmbeddedUnderline.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/shortFirstEmbeddedUnderlineHTML.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/symbolsAll.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tag_id.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tag_id_and_two_tags.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tag_two_tags.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tf1.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tf1_html.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tf1_markdown.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/tf2.gift': { imported: 2, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_backslash.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_essay.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_match.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_multichoice.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_multichoice_multi.gift': { imported: 1, warned: 1 },
  'gift/gift-grammar-pegjs/totara_moodle_numerical.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_pre_content.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_shortanswer.gift': { imported: 1, warned: 1 },
  'gift/gift-grammar-pegjs/totara_moodle_shortanswer_general_feedback.gift': { imported: 1, warned: 1 },
  'gift/gift-grammar-pegjs/totara_moodle_truefalse.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_truefalse_true_answer1.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/totara_moodle_truefalse_true_answer2.gift': { imported: 1, warned: 0 },
  'gift/gift-grammar-pegjs/type_inferred_multiline_markdown.gift': { imported: 1, warned: 0 },
  'aiken/moodle/questions.aiken.txt': { imported: 2, warned: 0 },
  'aiken/moodle/aiken_errors.txt': {
    imported: 2,
    warned: 0,
    failed: { 0: 'Aiken question has 1 option; it needs at least two', 1: 'Aiken question has 0 options', 3: 'Aiken question has no "ANSWER:" line' },
  },
  // Its last question's four options all read "." (placeholders for recordings): the bank refuses options that look the same.
  'aiken/qas-editor/aiken_1.txt': { imported: 4, warned: 0, failed: { 4: 'The item is not valid' } },
};

/** Files that hold only a category line: the import says there is nothing to import. */
const NO_QUESTIONS = ['gift/gift-grammar-pegjs/category1.gift', 'gift/gift-grammar-pegjs/categorySpecialCharacter.gift'];

function corpus(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return corpus(path);
      return name === 'SOURCES.md' ? [] : [relative(ROOT, path)];
    });
}

interface Report {
  imported: number;
  failed: { index: number; error: { code: string; message: string; details: { keyword?: string }[] } }[];
  warnings: { index: number; messages: string[] }[];
  items: { index: number; item: Record<string, unknown> }[];
}

async function dryRun(file: string): Promise<{ status: number; body: Report & { error?: { message: string } } }> {
  const format = file.startsWith('gift/') ? 'gift' : 'aiken';
  const res = await author({
    method: 'POST',
    url: `/api/items/import?format=${format}&dryRun=true&${DEFAULTS}`,
    payload: readFileSync(join(ROOT, file)),
    headers: { 'content-type': 'application/octet-stream' },
  });
  return { status: res.statusCode, body: res.json() };
}

const files = [...corpus(join(ROOT, 'gift')), ...corpus(join(ROOT, 'aiken'))];
const reports = new Map<string, Report>();

t.test('every file of the corpus is listed here, and every listed file is in the corpus', async (t) => {
  t.same(files.filter((f) => !(f in EXPECTED) && !NO_QUESTIONS.includes(f)), [], 'no file is left out of the expectations');
  t.same(Object.keys(EXPECTED).filter((f) => !files.includes(f)), [], 'no expectation names a missing file');
});

for (const file of files) {
  t.test(file, async (t) => {
    const { status, body } = await dryRun(file);
    if (NO_QUESTIONS.includes(file)) {
      t.equal(status, 400);
      t.match(body.error?.message, /No questions found/);
      return;
    }
    t.equal(status, 200, JSON.stringify(body).slice(0, 300));
    const expected = EXPECTED[file]!;
    const warned = new Set(body.warnings.map((w) => w.index));
    const failed = Object.fromEntries(body.failed.map((f) => [f.index, f.error.message]));
    t.equal(body.imported, expected.imported, 'imported');
    t.equal(body.items.filter((i) => warned.has(i.index)).length, expected.warned, 'imported with warnings');
    t.same(Object.keys(failed).map(Number), Object.keys(expected.failed ?? {}).map(Number), 'failed questions');
    for (const [index, reason] of Object.entries(expected.failed ?? {})) t.ok(failed[index]?.startsWith(reason), `question ${index}: ${failed[index]}`);
    for (const f of body.failed) t.ok(f.error.message.length > 10, `question ${f.index} says why it fails`);
    reports.set(file, body);
  });
}

function itemAt(file: string, index: number): Record<string, unknown> {
  const found = reports.get(file)?.items.find((i) => i.index === index);
  if (!found) throw new Error(`${file}: no item ${index}`);
  return found.item;
}

function warningsAt(file: string, index: number): string[] {
  return reports.get(file)?.warnings.find((w) => w.index === index)?.messages ?? [];
}

t.test("Moodle's own GIFT fixture, question by question", async (t) => {
  const file = 'gift/moodle/questions.gift.txt';
  t.match(itemAt(file, 0), { type: 'essay', stem: 'How are you?' });
  t.same(warningsAt(file, 0), [], 'the title is kept');
  t.match(itemAt(file, 0), { provenance: { title: 'Q8', source: { format: 'gift' } } });
  const match = itemAt(file, 1);
  t.equal(match.stem, 'Match the <b>activity</b> to the description.', '[html] stem');
  t.same(
    (match.premises as { text: string }[]).map((p) => p.text),
    [
      'An activity supporting asynchronous discussions.',
      'A teacher asks a question and specifies a choice of multiple responses.',
      'A bank of record entries which participants can add to.',
      'A collection of web pages that anyone can add to or edit.',
    ],
    'the [html] [moodle] [plain] [markdown] markers of the premises are read, not kept as text',
  );
  t.same((match.choices as { text: string }[]).map((c) => c.text), ['Forum', 'Choice', 'Database', 'Wiki', 'Chat'], '"= -> Chat" is a distractor');
  t.match(itemAt(file, 2), { type: 'single_choice', options: [{ text: 'yellow' }, { text: 'red' }, { text: 'blue' }], correct: ['A'] });
  t.same(warningsAt(file, 2), [], 'the title and the options\' feedback are kept');
  t.match(itemAt(file, 2), { provenance: { title: 'Q2' }, options: [{ feedback: 'right; good!' }, { feedback: "wrong, it's yellow" }, { feedback: "wrong, it's yellow" }] });
  t.match(itemAt(file, 3), { type: 'multiple_choice', correct: ['A', 'C'], scoring: 'partial' });
  t.match(itemAt(file, 4), { type: 'numeric', value: 3, tolerance: 2, stem: 'What is a number from 1 to 5? _____";' }, '{#3:2~#feedback}: the text after the block continues the stem, as in Moodle');
  t.same(warningsAt(file, 4), []);
  t.match(itemAt(file, 4), { provenance: { title: 'Q5' }, feedback: { incorrect: 'Completely wrong' } }, 'feedback for any other answer is the incorrect outcome\'s');
  t.match(itemAt(file, 5), { type: 'short_text', accepted: ['Frog'] });
  t.match(itemAt(file, 5), { feedback: { correct: 'Good!' } }, 'the right answer\'s feedback is the correct outcome\'s');
  t.match(warningsAt(file, 5), [/Feedback "What is it/, /^Answer "Cat" \(50%\) is dropped/, /Feedback "Completely wrong" on answer "\*"/, /^Answer "\*" \(0%\) is dropped/]);
  t.match(itemAt(file, 6), { type: 'true_false', value: false });
  t.same(warningsAt(file, 6), []);
  t.match(itemAt(file, 6), { provenance: { title: 'Q1' }, feedback: { general: /^This is, of course/, incorrect: '42 is the Ultimate Answer.', correct: 'You gave the right answer.' } }, '{F#wrong#right}: both outcomes\' feedback');
  t.match(itemAt(file, 7), { type: 'true_false', value: true });
  t.match(itemAt(file, 8), { type: 'true_false', value: true }, '{TRUE}');
});

t.test("Moodle's category fixture: the category and the titles are named on every item", async (t) => {
  const file = 'gift/moodle/questions_in_category.gift.txt';
  for (let i = 0; i < 4; i++) t.match(itemAt(file, i), { provenance: { title: /./, source: { categoryPath: ['Default for New Features'] } }, topic: 'default-for-new-features' }, `question ${i}: titled, its category the topic`);
  // The bank keeps no links or spans (src/bank/sanitize.ts): their text stays.
  t.match(itemAt(file, 1), { type: 'single_choice', stem: 'Listen to this greeting:<br /><br />What language is being spoken?', correct: ['B'] }, 'escaped : in an [html] stem is a colon');
  t.match(itemAt(file, 2), { type: 'short_text', accepted: ['Moodler'] }, '=%100% is full credit');
  t.match(itemAt(file, 3), { type: 'true_false', value: true, stem: 'Moodle is an acronym for Modular Object-Oriented Dynamic Learning Environment.' });
});

t.test("Moodle's GIFT examples: missing word, escapes, markdown, weights", async (t) => {
  const file = 'gift/moodle/examples.txt';
  t.match(itemAt(file, 7), { stem: 'The American holiday of Thanksgiving is celebrated on the _____ Thursday of November.', correct: ['C'] });
  t.match(itemAt(file, 24), { type: 'short_text', stem: "Who's buried in <b>Grant's tomb</b>?" }, '[markdown] is rendered');
  t.match(itemAt(file, 26), { type: 'single_choice', correct: ['C'] });
  t.match(warningsAt(file, 26), ['Partial credit (50%) for option B is dropped; it counts as wrong']);
  t.match(itemAt(file, 29), { type: 'multiple_choice', correct: ['B', 'C'] });
  t.same(warningsAt(file, 29), ["Penalties of wrong options (A 0%, D 0%) become -50% each: a wrong pick costs one right answer's share"], 'unpenalised wrong options are named');
  t.match(itemAt(file, 30), { type: 'multiple_choice', correct: ['B', 'C'] });
  t.same(warningsAt(file, 30), [], '-50% penalties are what partial scoring does');
  t.same((itemAt(file, 32).options as { text: string }[]).map((o) => o.text), ['~', '=', '#', '{', '}', '\\'], 'escaped control characters and \\\\');
  t.same(itemAt(file, 32).correct, ['F']);
});

t.test('GIFT-grammar-PEG.js files: Moodle id numbers and tags in comments', async (t) => {
  const file = 'gift/gift-grammar-pegjs/tag_id_and_two_tags.gift';
  t.match(itemAt(file, 0), { type: 'essay', stem: 'Essay?', tags: ['fred', 'barney-wilma'] });
  t.same(warningsAt(file, 0), []);
  t.match(itemAt(file, 0), { provenance: { externalId: '393' } }, 'the Moodle id number is the external id');
});

t.test('QAS-Editor files: HTML banks exported from Moodle', async (t) => {
  const file = 'gift/qas-editor/all.gift';
  t.match(itemAt(file, 1), { provenance: { title: 'Essay 1', externalId: '432', source: { categoryPath: ['qas editor', 'Essays'] } }, topic: 'essays' });
  t.ok((itemAt(file, 1).tags as string[]).includes('qas editor'), 'the categories above the leaf are tags');
  t.match(warningsAt(file, 7), [/^Moodle file "Mojito\.jpg" is not in a GIFT file/]);
  t.match(itemAt(file, 7), { type: 'numeric', value: 2006, tolerance: 1 });
  t.match(itemAt(file, 18), { type: 'multiple_choice', correct: ['A', 'B', 'C'] }, '~%33.33333% three times');
  t.match(itemAt(file, 21), { type: 'multiple_choice', correct: ['A', 'C', 'F'] });
});

t.test('Aiken files: no space after the letter, < > & kept as text', async (t) => {
  t.match(itemAt('aiken/moodle/aiken_errors.txt', 4), {
    type: 'single_choice',
    stem: 'A second good question',
    options: [{ id: 'A', text: 'Incorrect (No space)' }, { id: 'B', text: 'Correct (No space)' }],
    correct: ['B'],
  });
  t.match(itemAt('aiken/moodle/questions.aiken.txt', 1), { stem: 'Moodle\'s abilities include handling user input that includes &lt;html class="cool"&gt; &amp; images:', correct: ['A'] });
  const same = reports.get('aiken/qas-editor/aiken_1.txt')?.failed.find((f) => f.index === 4);
  t.match(same?.error, { code: 'validation_failed', details: [{ keyword: 'duplicateText' }] }, 'four options reading "." are refused by the bank, with the reason');
  t.match(itemAt('aiken/qas-editor/aiken_1.txt', 0), { correct: ['E'], options: [{ text: '2.6' }, { text: '-2.0' }, { text: '2.0' }, { text: '2.1' }, { text: '2.5' }] });
});

t.test('the corpus figure: of the questions the formats define, at least 95 % import', async (t) => {
  let items = 0;
  let imported = 0;
  let outOfScope = 0;
  for (const [file, report] of reports) {
    items += report.imported + report.failed.length;
    imported += report.imported;
    // Descriptions are text without a question, and Moodle's own error file is broken on purpose.
    outOfScope += report.failed.filter((f) => f.error.message.startsWith(DESCRIPTION) || file === 'aiken/moodle/aiken_errors.txt').length;
  }
  const share = imported / (items - outOfScope);
  t.comment(`corpus: ${reports.size} files with questions, ${items} questions, ${imported} imported, ${outOfScope} out of scope, ${items - imported - outOfScope} refused: ${(share * 100).toFixed(1)} %`);
  t.ok(share >= 0.95, `${(share * 100).toFixed(1)} % ≥ 95 %`);
});
