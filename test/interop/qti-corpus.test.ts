import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import type { ParsedEntry, ParseResult } from '../../src/interop/model.js';
import * as qti from '../../src/interop/qti.js';
import { asQti3 } from '../../src/interop/qti-v2.js';
import { child, decodeEntities, isElement, parseXml, type XElement } from '../../src/interop/xml.js';
import { safeUnzip } from '../../src/interop/zip.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * The QTI corpus (test/fixtures/interop/qti/, sources in its SOURCES.md):
 * 1EdTech's QTI 3.0 and 2.2 examples, QTI 2.1 from IMS and the ONYX editor,
 * Cito's packages. Per file: items imported, warned, failed and why; every
 * failure is either out of scope by kind (interactions the item model has
 * none of, several interactions in one item, generated values, adaptive
 * scoring, pages without a question, surveys) or counted against the rate;
 * every word of an imported item's body is in the item or named by a
 * warning (no silent loss); a few items checked field by field; and the bank
 * accepts every imported item (POST /api/items/import?dryRun=true).
 */

const DIR = new URL('../fixtures/interop/qti/', import.meta.url);
const FILES = readdirSync(DIR, { recursive: true })
  .map(String)
  .filter((f) => /\.(xml|zip)$/.test(f))
  .sort();
const read = (f: string) => readFileSync(new URL(f, DIR));

/** Failures that are out of scope by kind, not misreadings of an item the model could hold. */
const OUT_OF_SCOPE = [
  /QTI qti-[a-z-]+-interaction is not supported$/,
  /QTI item with several interactions/,
  /QTI template item/,
  /QTI adaptive item/,
  /QTI item has no interaction$/,
  /no correct response \(a survey/,
];

/** Per file: [items, imported, imported with warnings, failed in scope, passages]. */
const EXPECTED: Record<string, [number, number, number, number, number]> = {
  '1edtech-qti22-examples.zip': [57, 26, 6, 0, 1],
  '1edtech-qti3-bbqs-test.zip': [22, 13, 10, 1, 0],
  '1edtech-qti3-bpig-MathML.xml': [1, 1, 0, 0, 0],
  '1edtech-qti3-bpig-end-attempt-example-1.xml': [1, 1, 0, 0, 0],
  '1edtech-qti3-bpig-essay.xml': [1, 1, 1, 0, 0],
  '1edtech-qti3-bpig-rubric_block.xml': [1, 1, 1, 0, 0],
  '1edtech-qti3-bpig-ruby_default.xml': [1, 1, 0, 0, 0],
  '1edtech-qti3-english-basic.zip': [52, 52, 0, 0, 0],
  '1edtech-qti3-interaction-mix-saxony.zip': [13, 10, 9, 1, 0],
  '1edtech-qti3-shared-stimulus.zip': [3, 2, 2, 1, 1],
  '1edtech-qti3-shared-vocabulary.zip': [28, 5, 2, 1, 0],
  'cito-biologie.zip': [40, 32, 27, 0, 0],
  'cito-kennisnet-2.zip': [14, 11, 4, 2, 0],
  'qti21/ims-associate.xml': [1, 1, 0, 0, 0],
  'qti21/ims-choice_fixed.xml': [1, 1, 1, 0, 0],
  'qti21/ims-extended_text_rubric.xml': [1, 1, 1, 0, 0],
  'qti21/ims-feedbackInline.xml': [1, 1, 0, 0, 0],
  'qti21/ims-inline_choice.xml': [1, 1, 0, 0, 0],
  'qti21/ims-match.xml': [1, 1, 0, 0, 0],
  'qti21/ims-math.xml': [1, 1, 0, 0, 0],
  'qti21/ims-modalFeedback.xml': [1, 1, 0, 0, 0],
  'qti21/ims-order.xml': [1, 1, 0, 0, 0],
  'qti21/ims-text_entry.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-Choicemultiple_2014410822.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-Choicemultiple_871212949.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-Choicesingle_853928446.xml': [1, 0, 0, 1, 0],
  'qti21/sachsen-Choicetruefalse_176040516.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-Hotspot_278940407.xml': [1, 0, 0, 0, 0],
  'qti21/sachsen-Hottext_801974120.xml': [1, 0, 0, 0, 0],
  'qti21/sachsen-Matchmultiple_1038910213.xml': [1, 0, 0, 1, 0],
  'qti21/sachsen-Matchsingle_143114773.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-Order_913967682.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-TextEntry_883368511.xml': [1, 1, 0, 0, 0],
  'qti21/sachsen-TextEntrynumeric_2040297025.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-TextEntrynumeric_770468849.xml': [1, 1, 1, 0, 0],
  'qti21/sachsen-TextEntrysubset_806481421.xml': [1, 0, 0, 1, 0],
};

const parsed = new Map<string, ParseResult>();
for (const f of FILES) parsed.set(f, await qti.parse(read(f)));

const inScope = (e: ParsedEntry) => e.item !== undefined || !OUT_OF_SCOPE.some((re) => re.test(e.error ?? ''));

t.test('every file of the corpus is listed with what it gives', async (t) => {
  t.same(FILES, Object.keys(EXPECTED).sort(), 'the table covers the corpus');
  for (const f of FILES) {
    const { items, stimuli } = parsed.get(f)!;
    const imported = items.filter((e) => e.item);
    const failedInScope = items.filter((e) => !e.item && inScope(e));
    t.same(
      [items.length, imported.length, imported.filter((e) => e.warnings?.length).length, failedInScope.length, stimuli?.length ?? 0],
      EXPECTED[f],
      `${f}: items, imported, warned, failed in scope, passages`,
    );
    for (const e of items) if (!e.item) t.match(e.error, /\S/, `${f} #${e.index} fails with a reason`);
  }
});

t.test('at least 85 % of the items in scope import', async (t) => {
  const all = [...parsed.values()].flatMap((p) => p.items);
  const scope = all.filter(inScope);
  const imported = scope.filter((e) => e.item).length;
  const rate = imported / scope.length;
  t.comment(`QTI corpus: ${all.length} items, ${scope.length} in scope, ${imported} imported (${(rate * 100).toFixed(1)} %), ${all.filter((e) => e.warnings?.length && e.item).length} with warnings`);
  t.ok(rate >= 0.85, `${imported} of ${scope.length}`);
});

/** The words a reader sees in HTML or text. */
function words(text: string): string[] {
  return decodeEntities(text.replace(/<[^>]*>/g, ' '))
    .replace(/&nbsp;/g, ' ')
    .normalize('NFC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1);
}

/** Elements whose text is not the item's own text: maths (LaTeX), what the reader names in warnings, and interaction bookkeeping. */
const NOT_TEXT = new Set(['math', 'qti-feedback-inline', 'qti-feedback-block', 'qti-modal-feedback', 'qti-rubric-block', 'qti-template-block', 'qti-template-inline', 'qti-catalog-info', 'qti-end-attempt-interaction', 'object', 'audio', 'video', 'style', 'script', 'qti-stylesheet']);

function sourceWords(el: XElement): string[] {
  const out: string[] = [];
  for (const c of el.children) {
    if (isElement(c)) {
      if (!NOT_TEXT.has(c.name)) out.push(...sourceWords(c));
    } else if ('text' in c) out.push(...words(decodeEntities(c.text)));
    else if ('cdata' in c) out.push(...words(c.cdata));
  }
  return out;
}

/** The item documents of a file: the file itself, or every XML of the package that is an item. */
function documents(f: string): XElement[] {
  const texts = f.endsWith('.xml') ? [read(f)] : [...safeUnzip(read(f)).entries()].filter(([n]) => n.endsWith('.xml')).map(([, b]) => Buffer.from(b));
  return texts.flatMap((bytes) => {
    try {
      const root = asQti3(parseXml(bytes.toString('utf8').replace(/^\uFEFF/, '')));
      return root.name === 'qti-assessment-item' && child(root, 'qti-item-body') ? [root] : [];
    } catch {
      return [];
    }
  });
}

t.test('no silent loss: every word of an imported item\'s body is in the item, or in a warning', async (t) => {
  let checked = 0;
  for (const f of FILES) {
    const docs = documents(f).map((root) => sourceWords(child(root, 'qti-item-body')!));
    for (const e of parsed.get(f)!.items) {
      if (!e.item) continue;
      const kept = new Set([...words(JSON.stringify(e.item)), ...words((e.warnings ?? []).join(' ')), ...(parsed.get(f)!.stimuli ?? []).filter((s) => s.ref === e.item!.stimulusId).flatMap((s) => words(s.content))]);
      // The entry's source is the document whose words the item holds best (packages hold near-copies of one item).
      // Scored on the item's own words: its passage's words would make every item of the passage look like its source.
      const own = new Set([...words(JSON.stringify(e.item)), ...words((e.warnings ?? []).join(' '))]);
      const scored = docs.map((d) => {
        const distinct = [...new Set(d)];
        return { missing: distinct.filter((w) => !kept.has(w)), score: distinct.filter((w) => own.has(w)).length - distinct.filter((w) => !own.has(w)).length };
      });
      const best = scored.sort((x, y) => y.score - x.score)[0];
      t.ok(best, `${f} #${e.index}: its source is found`);
      const missing = best?.missing ?? [];
      t.same(missing, [], `${f} #${e.index}: no word left out`);
      checked++;
    }
  }
  t.ok(checked >= 170, `${checked} imported items compared with their source`);
});

t.test('items checked by hand', async (t) => {
  const entry = (f: string, i: number) => parsed.get(f)!.items[i]!;
  t.same(entry('1edtech-qti3-bpig-MathML.xml', 0).item, {
    type: 'single_choice',
    stem: '<p>Which famous scientist is popularly associated with the equation <div role="math" aria-label="E equals m c squared"> \\(E=mc^{2}\\) </div></p>',
    language: 'en',
    options: [
      { id: 'E', text: 'Einstein' },
      { id: 'G', text: 'Galileo' },
      { id: 'H', text: 'Hawking' },
      { id: 'N', text: 'Newton' },
    ],
    correct: ['E'],
    provenance: { title: 'Relativity', externalId: 'math' },
  }, 'MathML becomes LaTeX: E = mc² is E=mc^{2}; identifier and title are the provenance');
  t.match(entry('1edtech-qti3-bpig-ruby_default.xml', 0).item, { stem: /村田<ruby><rb>真<\/rb><rt>まこと<\/rt><\/ruby>の出身地/ }, 'ruby stays markup');
  t.match(entry('1edtech-qti3-bpig-end-attempt-example-1.xml', 0), { item: { type: 'single_choice', hints: [/Tony lived in the United Kingdom/] } }, 'the hint button\'s feedback block is a hint');
  t.notOk(entry('1edtech-qti3-bpig-end-attempt-example-1.xml', 0).warnings, 'so neither the button nor the block is left out');
  const rubricBlocks = entry('1edtech-qti3-bpig-rubric_block.xml', 0);
  t.notMatch(JSON.stringify(rubricBlocks.warnings ?? []), /Rubric block/, 'rubric blocks for staff are no longer warnings');
  t.match(rubricBlocks.item, { staffNotes: /^<p><b>tutor<\/b><\/p>[\s\S]*<p><b>proctor<\/b><\/p>[\s\S]*<p><b>scorer<\/b><\/p>/ }, '…but the staff notes, each headed by its view');
  t.notMatch(rubricBlocks.item!.stem, /tutor|proctor|scorer/i, 'and never the question');
  t.match(entry('1edtech-qti3-bpig-rubric_block.xml', 0).item, { stem: /Select the option that best represents the correct answer/ }, 'a rubric block for the candidate is part of the question');

  // QTI 2.2, from the package.
  const qti22 = parsed.get('1edtech-qti22-examples.zip')!;
  const byTitle = (r: ParseResult, title: RegExp) => r.items.find((e) => e.item && title.test(e.item.stem))!;
  t.same(qti22.items[52]!.item, {
    type: 'short_text',
    stem: "<p>Identify the missing word in this famous quote from Shakespeare's Richard III.</p> <blockquote> <p>Now is the winter of our discontent<br /> Made glorious summer by this sun of _____;<br /> And all the clouds that lour'd upon our house<br /> In the deep bosom of the ocean buried.</p> </blockquote>",
    accepted: ['York', 'york'],
    caseSensitive: true,
    provenance: { title: 'Richard III (Take 3)', externalId: 'textEntry' },
  });
  t.match(qti22.items[52]!.warnings, [/"york" \(0\.5 of 1\) now earns full credit/]);
  t.match(qti22.items[19]!.warnings, [/The essay has no marking scheme/], 'without a rubric block the default rubric, said');
  const postcard = qti22.items[20]!;
  t.match(postcard.item, { type: 'essay', rubric: [{ criterion: /When not all 3 questions are answered in the response: -1 for each missing/, maxPoints: 3 }] }, 'the scorer rubric block is the essay\'s marking scheme');
  const orkney = qti22.items.filter((e) => e.item?.stimulusId === 'shared/orkney.html');
  t.same(orkney.map((e) => e.stimulusOrder), [0, 1], 'both Orkney items refer to the passage, in order');
  t.match(qti22.stimuli, [{ ref: 'shared/orkney.html', title: 'The Ancient Islands of Orkney', content: /seventy islands which form the Orkney Islands/ }]);

  const errorOf = (r: ParseResult, file: string) => r.items.find((e) => e.error?.startsWith(`${file}:`))!.error;
  t.match(errorOf(qti22, 'mc_calc3.xml'), /template item \(values generated for each candidate\)/, 'generated values are refused, not frozen into one item');
  t.match(errorOf(qti22, 'adaptive.xml'), /adaptive item/, 'adaptive scoring is refused');
  t.match(errorOf(qti22, 'hotspot.xml'), /QTI qti-hotspot-interaction is not supported/, 'an interaction the item model has none of is named');

  // QTI 3 shared stimulus package.
  const shared = parsed.get('1edtech-qti3-shared-stimulus.zip')!;
  t.match(shared.stimuli, [{ ref: 'Stimulus1', content: /<img src="data:image\/png;base64,/ }], 'the passage, with its pictures from the package');
  t.same(shared.items.filter((e) => e.item).map((e) => [e.item!.stimulusId, e.stimulusOrder]), [['Stimulus1', 0], ['Stimulus1', 1]]);
  t.match(shared.items[1]!.error, /correct order names 1 of its 5 choices/, 'an order whose key names one choice is refused, not misread');

  // QTI 2.1 (ONYX): relative tolerance, numeric.
  t.match(entry('qti21/sachsen-TextEntrynumeric_770468849.xml', 0), { item: { type: 'numeric', value: 4.136, tolerance: 0.2068 }, warnings: [/Relative tolerance 5% is turned into the absolute tolerance 0\.2068/] });
  t.match(entry('qti21/sachsen-TextEntrysubset_806481421.xml', 0).error, /compares the gaps with each other/, 'gaps that must differ are refused, not scored one by one');

  // Cito: per-aspect scorer rubric blocks, items found through the test.
  const cito = parsed.get('cito-biologie.zip')!;
  t.match(cito.items.find((e) => e.item?.type === 'essay')!.item, { rubric: [{ criterion: /^<b>Inhoud<\/b>: /, maxPoints: 1 }] });

  // Feedback read from what response processing does with it.
  t.match(entry('qti21/ims-modalFeedback.xml', 0), { item: { type: 'true_false', value: true, feedback: { correct: 'correct', incorrect: 'incorrect' } } }, 'modal feedback set by match-correct and its else: correct and incorrect');
  t.notOk(entry('qti21/ims-modalFeedback.xml', 0).warnings, 'nothing left unsaid');
  t.match(entry('qti21/ims-feedbackInline.xml', 0).item, { type: 'true_false', feedback: { correct: /That's\s+correct/, incorrect: /That's not\s+correct/ } }, 'FEEDBACK = RESPONSE on a true/false: the right pick is the correct feedback');
  t.match(entry('qti21/sachsen-TextEntry_883368511.xml', 0).item, { feedback: { correct: /^<p><b>Richtig!<\/b><\/p>Der Fichtelberg/, incorrect: /^<p><b>Leider Falsch!<\/b><\/p>Der Fichtelberg/ } }, "ONYX's FEEDBACKBASIC, overwritten when the score is full, followed to its conditions; modal titles kept");
  const bbqs = parsed.get('1edtech-qti3-bbqs-test.zip')!;
  t.match(byTitle(bbqs, /octahedron has 12 faces/).item, { type: 'single_choice', options: [{ id: 'ChoiceA', feedback: /No, an octahedron has 8 faces/ }, { id: 'ChoiceB', feedback: /That's right/ }] }, 'FEEDBACK = RESPONSE: per-option feedback');
  t.match((byTitle(bbqs, /Lycidas|To-morrow to/)?.warnings ?? []).filter((w) => w.startsWith('Feedback')), [/Feedback block "Correct1" is not stored/], 'per-gap feedback stays a warning naming it');

  // Inline choices: cloze choice blanks, options in order, shuffle kept, right from the response declaration.
  const jumble = bbqs.items.find((e) => e.item?.provenance?.externalId === 'jumble-inlineChoice')!;
  t.match(jumble.item, {
    type: 'cloze',
    stem: 'Jumble: Legend - inlineChoice',
    text: /The bandit killed her \{\{RESPONSE1\}\} and burned her \{\{RESPONSE2\}\}, then jumped on her \{\{RESPONSE3\}\} and rode away/,
    blanks: [
      { id: 'RESPONSE1', options: [{ id: 'C1', text: 'castle' }, { id: 'F1', text: 'family' }, { id: 'H1', text: 'horse' }, { id: 'S1', text: 'sword' }], correct: ['F1'], shuffle: true },
      { id: 'RESPONSE2', correct: ['C2'], shuffle: true },
      { id: 'RESPONSE3', correct: ['H3'], shuffle: true },
    ],
  });
  t.match(jumble.item, { feedback: { correct: /Yes, that's what he did/, partial: /No, that's not what he did/, incorrect: /No, that's not what he did/ } }, 'SCORE equal to the sum of SCORE1..3 at their best is full marks; its else is partial and none');
  t.notOk(jumble.warnings, 'nothing of it left out');
  t.match(entry('qti21/ims-inline_choice.xml', 0).item, { type: 'cloze', blanks: [{ options: [{}, {}, {}], correct: [/./] }] }, 'a single inline choice is a cloze with one dropdown');

  // A value scored by response processing rather than declared as correct.
  t.match(byTitle(parsed.get('1edtech-qti3-bbqs-test.zip')!, /answer to life, the universe/).item, { type: 'numeric', value: 42, points: 10 });
});

const { app } = await build(t);
const world = await interopWorld(app);

t.test('the bank takes every imported item as it is read (dry run through POST /api/items/import)', async (t) => {
  for (const f of FILES) {
    const res = await world.users.authorA({
      method: 'POST',
      url: '/api/items/import?format=qti&subject=english&grade=10&topic=qti-corpus&cognitiveLevel=1&dryRun=true',
      payload: read(f),
      headers: { 'content-type': f.endsWith('.zip') ? 'application/zip' : 'application/xml' },
    });
    t.equal(res.statusCode, 200, `${f}: ${res.statusCode === 200 ? 'read' : res.body.slice(0, 200)}`);
    const body = res.json();
    const [, imported] = EXPECTED[f]!;
    const refused = body.failed.filter((x: { error: { code: string } }) => x.error.code !== 'not_importable');
    t.equal(body.imported, imported, `${f}: every item the reader gives is valid for the bank ${JSON.stringify(refused).slice(0, 1500)}`);
  }
});
