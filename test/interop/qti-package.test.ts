import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { attr, findAll, parseXml, type XElement } from '../../src/interop/xml.js';
import type { ExportItem } from '../../src/interop/model.js';
import { qti } from '../../src/interop/qti.js';
import { safeUnzip, ZipWriter } from '../../src/interop/zip.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * The QTI 3.0 package an export writes, through the real routes: library
 * pictures embedded under media/ (not `/api/media/…` addresses a player cannot
 * fetch), passages as qti-assessment-stimulus files their items refer to,
 * fixed option positions, only element and attribute names that 1EdTech's own
 * QTI 3.0 examples use; and the package re-imports equal.
 */

const { app } = await build(t);
const world = await interopWorld(app);
const author = world.users.authorA;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const picture = (label: string) => Buffer.concat([PNG, Buffer.from(label)]);
const hashOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;

const topic = `qti-pkg-${Date.now().toString(36)}`;
/** A recording of the library (test/fixtures/media/tone.m4a), which an item plays at most twice. */
const TONE = readFileSync(new URL('../fixtures/media/tone.m4a', import.meta.url));
const tone = await author({ method: 'POST', url: '/api/media', payload: TONE, headers: { 'content-type': 'audio/mp4' } });
if (tone.statusCode !== 201) throw new Error(tone.body);
const inStem = picture('stem');
const inPassage = picture('passage');

const passage = await author({
  method: 'POST',
  url: '/api/stimuli',
  payload: { title: 'Bài đọc: Sông Hồng', content: `<p>Sông Hồng bắt nguồn từ Vân Nam.</p><p><img src="${dataUrl(inPassage)}" alt="bản đồ"></p>`, subject: 'dia-ly', grade: 9, topic },
});
if (passage.statusCode !== 201) throw new Error(passage.body);
const passageId: string = passage.json().id;

const originals = [
  {
    type: 'single_choice',
    stem: `<p>Sông Hồng chảy qua tỉnh nào? <img src="${dataUrl(inStem)}" alt="hình"></p>`,
    subject: 'dia-ly',
    grade: 9,
    topic,
    cognitiveLevel: 1,
    language: 'vi',
    points: 0.5,
    shuffleOptions: true,
    stimulusId: passageId,
    options: [
      { id: 'A', text: 'Lào Cai' },
      { id: 'B', text: 'Cà Mau' },
      { id: 'C', text: 'Cả hai đáp án trên', fixed: true },
    ],
    correct: ['A'],
  },
  {
    type: 'essay',
    stem: '<p>Viết một đoạn văn về sông Hồng, có \\(E = mc^{2}\\) và 村田<ruby>真<rt>まこと</rt></ruby>.</p>',
    subject: 'dia-ly',
    grade: 9,
    topic,
    cognitiveLevel: 3,
    language: 'vi',
    points: 4,
    stimulusId: passageId,
    rubric: [
      { criterion: 'Nội dung', maxPoints: 3 },
      { criterion: 'Trình bày', maxPoints: 1 },
    ],
    feedback: { general: '<p>Nhớ nêu nguồn của sông.</p>', correct: 'Rất tốt' },
    staffNotes: '<p>Chấm ý <b>nguồn</b> trước.</p>',
  },
  {
    type: 'cloze',
    stem: '<p>Điền vào chỗ trống.</p>',
    subject: 'dia-ly',
    grade: 9,
    topic,
    cognitiveLevel: 2,
    language: 'vi',
    text: '<p>Sông Hồng chảy qua {{b1}} và đổ ra {{b2}}.</p>',
    blanks: [
      { id: 'b1', options: [{ id: 'A', text: 'Hà Nội' }, { id: 'B', text: 'Huế' }], correct: ['A'], shuffle: true },
      { id: 'b2', accepted: ['biển Đông'] },
    ],
    feedback: { correct: 'Đúng cả hai', partial: 'Đúng một chỗ', incorrect: 'Xem lại bản đồ' },
    provenance: { title: 'Sông Hồng (điền)', externalId: 'SH 12' },
  },
  {
    type: 'multiple_choice',
    stem: '<p>Những tỉnh nào giáp biển?</p>',
    subject: 'dia-ly',
    grade: 9,
    topic,
    cognitiveLevel: 1,
    language: 'vi',
    options: [
      { id: 'A', text: 'Quảng Ninh', feedback: 'Có vịnh Hạ Long' },
      { id: 'B', text: 'Lào Cai', feedback: 'Giáp Trung Quốc, không giáp biển' },
      { id: 'C', text: 'Nam Định' },
    ],
    correct: ['A', 'C'],
    scoring: 'partial',
    feedback: { incorrect: 'Xem lại đường bờ biển' },
    hints: ['Nhìn bản đồ', '<p>Tìm tỉnh có <b>cảng</b></p>'],
    provenance: { externalId: 'dia-9-bien' },
    audio: { media: hashOf(TONE), maxPlays: 2 },
  },
];
const stored: Record<string, unknown>[] = [];
for (const item of originals) {
  const res = await author({ method: 'POST', url: '/api/items', payload: item });
  if (res.statusCode !== 201) throw new Error(res.body);
  stored.push(res.json());
}

const exported = await author({ method: 'GET', url: `/api/items/export?format=qti&topic=${topic}` });
const files = safeUnzip(exported.rawPayload);
const text = (name: string) => Buffer.from(files.get(name)!).toString('utf8');
const xmlNames = [...files.keys()].filter((n) => n.endsWith('.xml') && n !== 'imsmanifest.xml');

t.test('the library stores the pictures and the ruby once written', async (t) => {
  t.match(stored[0]!.stem, new RegExp(`src="/api/media/${hashOf(inStem)}"`));
  t.match(stored[1]!.stem, /村田<ruby>真<rt>まこと<\/rt><\/ruby>/, 'ruby is kept as markup by the sanitiser');
});

t.test('the package embeds the pictures and the passage', async (t) => {
  t.equal(exported.statusCode, 200);
  t.same(Buffer.from(files.get(`media/${hashOf(inStem)}.png`)!), inStem, 'the stem\'s picture is in the zip');
  t.same(Buffer.from(files.get(`media/${hashOf(inPassage)}.png`)!), inPassage, 'the passage\'s picture too');
  for (const name of xmlNames) t.notMatch(text(name), /\/api\/media\//, `${name} points into the package, not at the server`);
  const stimulusFile = xmlNames.find((n) => n.startsWith('stimuli/'))!;
  t.match(text(stimulusFile), /<qti-assessment-stimulus [^>]*title="Bài đọc: Sông Hồng"[\s\S]*<qti-stimulus-body><p>Sông Hồng bắt nguồn từ Vân Nam.<\/p><p><img src="..\/media\//);
  const items = xmlNames.filter((n) => n.startsWith('items/'));
  t.equal(items.length, 4);
  for (const name of items.filter((n) => text(n).includes('qti-assessment-stimulus-ref'))) t.match(text(name), new RegExp(`<qti-assessment-stimulus-ref identifier="[^"]+" href="../${stimulusFile}"`), `${name} refers to its passage`);
  const choice = items.map(text).find((x) => x.includes('qti-choice-interaction'))!;
  t.match(choice, /<qti-simple-choice identifier="C" fixed="true">Cả hai đáp án trên<\/qti-simple-choice>/, 'the fixed position is kept');
  t.match(choice, /shuffle="true"/);
  const manifest = text('imsmanifest.xml');
  t.match(manifest, /type="imsqti_stimulus_xmlv3p0"/);
  t.match(manifest, new RegExp(`<file href="media/${hashOf(inStem)}.png"/>`), 'the manifest lists the picture with its item');
  t.equal(manifest.match(/<dependency identifierref="/g)?.length, 2, 'each item depends on the passage');
  t.same(Buffer.from(files.get(`media/${hashOf(TONE)}.m4a`)!), TONE, 'the recording is in the zip');
  t.match(manifest, new RegExp(`<file href="media/${hashOf(TONE)}.m4a"/>`), 'and listed with its item');
  const withAudio = items.map(text).find((x) => x.includes('max-choices="0"'))!;
  t.match(withAudio, new RegExp(`<qti-item-body>\\s*<audio src="../media/${hashOf(TONE)}.m4a" controls="controls" data-max-plays="2"/>\\s*<div class="exam-stem">`), 'played before the stem, its limit in data-max-plays');
  t.equal(exported.trailers['x-export-audio-dropped'], '0', 'QTI carries the recording');
});

t.test('formats that cannot carry a recording write the item and count the loss', async (t) => {
  for (const format of ['moodle-xml', 'gift', 'csv', 'xlsx', 'docx']) {
    const res = await author({ method: 'GET', url: `/api/items/export?format=${format}&topic=${topic}&type=multiple_choice` });
    t.equal(res.statusCode, 200, format);
    t.equal(res.trailers['x-export-items'], '1', `${format}: the item is written`);
    t.equal(res.trailers['x-export-audio-dropped'], '1', `${format}: without its recording, and the trailer says so`);
  }
  const res = await author({ method: 'GET', url: `/api/items/export?format=moodle-xml&topic=${topic}&type=essay` });
  t.equal(res.trailers['x-export-audio-dropped'], '0', 'an item without a recording loses nothing');
});

/** (element, attribute) pairs used by 1EdTech's QTI 3.0 examples in the corpus. */
function vocabulary(): Set<string> {
  const dir = new URL('../fixtures/interop/qti/', import.meta.url);
  const out = new Set<string>();
  const add = (xml: string) => {
    let root: XElement;
    try {
      root = parseXml(xml.replace(/^\uFEFF/, ''));
    } catch {
      return;
    }
    if (!root.name.startsWith('qti-') && root.name !== 'manifest') return;
    for (const e of [root, ...findAll(root, () => true)]) {
      out.add(e.name);
      for (const a of Object.keys(e.attrs)) out.add(`${e.name}@${a}`);
    }
  };
  for (const f of readdirSync(dir).filter((n) => n.startsWith('1edtech-qti3'))) {
    const bytes = readFileSync(new URL(f, dir));
    if (f.endsWith('.xml')) add(bytes.toString('utf8'));
    else for (const [name, data] of safeUnzip(bytes)) if (name.endsWith('.xml')) add(Buffer.from(data).toString('utf8'));
  }
  return out;
}

/** The XHTML of item content that QTI 3.0 takes as it is (the bank's safe subset, docs/item-types.md). */
const XHTML = ['p', 'br', 'b', 'i', 'u', 'sub', 'sup', 'ul', 'ol', 'li', 'table', 'tr', 'td', 'th', 'img', 'code', 'ruby', 'rb', 'rt', 'rp', 'div'];

t.test('every element and attribute of the export is one that 1EdTech\'s QTI 3.0 examples use', async (t) => {
  const known = vocabulary();
  for (const e of XHTML) known.add(e);
  // HTML5 audio, which QTI 3.0 item bodies allow.
  for (const a of ['audio', 'audio@src', 'audio@controls']) known.add(a);
  for (const a of ['table@class', 'td@colspan', 'td@rowspan', 'th@colspan', 'th@rowspan', 'img@width', 'img@height', 'img@alt', 'img@src', 'div@class']) known.add(a);
  t.ok(known.has('qti-choice-interaction@max-choices'), 'the examples were read');
  const unknown = new Set<string>();
  for (const name of [...xmlNames, 'imsmanifest.xml']) {
    const root = parseXml(text(name));
    for (const e of [root, ...findAll(root, () => true)]) {
      if (!known.has(e.name)) unknown.add(e.name);
      // data-* is QTI 3.0's own extension point; xmlns and xsi are namespace plumbing.
      for (const a of Object.keys(e.attrs)) if (!a.startsWith('data-') && !a.startsWith('xmlns') && a !== 'schemaLocation' && !known.has(`${e.name}@${a}`)) unknown.add(`${e.name}@${a}`);
    }
  }
  t.same([...unknown], []);
  t.equal(attr(parseXml(text(xmlNames.find((n) => n.startsWith('items/'))!)), 'time-dependent'), 'false');
});

t.test('feedback, staff notes and identifiers are written as a QTI 3 player reads them', async (t) => {
  const all = xmlNames.filter((n) => n.startsWith('items/')).map(text);
  const essay = all.find((x) => x.includes('qti-extended-text-interaction'))!;
  t.match(essay, /<qti-rubric-block use="instructions" view="tutor"><qti-content-body><p>Chấm ý <b>nguồn<\/b> trước.<\/p><\/qti-content-body><\/qti-rubric-block>/, 'staff notes: a rubric block for tutors');
  t.match(essay, /<qti-modal-feedback outcome-identifier="FEEDBACK" show-hide="show" identifier="general"><qti-content-body><p>Nhớ nêu nguồn của sông.<\/p><\/qti-content-body><\/qti-modal-feedback>/);
  t.match(essay, /<qti-outcome-declaration identifier="FEEDBACK" cardinality="multiple" base-type="identifier"\/>/);
  const cloze = all.find((x) => x.includes('exam-cloze'))!;
  t.match(cloze, /identifier="item-[0-9a-f]+" title="Sông Hồng \(điền\)"[^>]*data-external-id="SH 12"/, 'an external id that is no XML name travels in data-external-id');
  t.match(cloze, /<qti-inline-choice-interaction response-identifier="RESPONSE_b1" shuffle="true">/);
  t.match(cloze, /<qti-not><qti-lt><qti-variable identifier="SCORE"\/><qti-base-value base-type="float">2<\/qti-base-value><\/qti-lt><\/qti-not>/, 'correct when every blank scores');
  const choice = all.find((x) => x.includes('max-choices="0"'))!;
  t.match(choice, /identifier="dia-9-bien"/, 'an external id that is an XML name is the identifier');
  t.match(choice, /<qti-set-outcome-value identifier="FEEDBACK_OPTION"><qti-variable identifier="RESPONSE"\/><\/qti-set-outcome-value>/, 'option feedback: the outcome holds the options picked');
  t.notMatch(choice, /template="/, 'a template is written out as its rules so feedback rules can follow');
  t.match(choice, /<qti-end-attempt-interaction response-identifier="HINTREQUEST" title="Xem gợi ý"\/>/, 'hints: a hint button…');
  t.match(choice, /<qti-feedback-block identifier="HINT_2" outcome-identifier="FEEDBACK_HINT" show-hide="show"><qti-content-body><p>Tìm tỉnh có <b>cảng<\/b><\/p><\/qti-content-body><\/qti-feedback-block>/, '…showing the hints as feedback blocks');
});

t.test('the package re-imports equal: same pictures, passage, fixed position and rubric', async (t) => {
  const res = await author({ method: 'POST', url: '/api/items/import?format=qti', payload: exported.rawPayload, headers: { 'content-type': 'application/zip' } });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const body = res.json();
  t.equal(body.imported, 4);
  t.same(body.failed, []);
  t.same(body.warnings, []);
  t.equal(body.stimuli.length, 1);
  const newPassage = (await author({ method: 'GET', url: `/api/stimuli/${body.stimuli[0].id}` })).json();
  const oldPassage = (await author({ method: 'GET', url: `/api/stimuli/${passageId}` })).json();
  t.equal(newPassage.title, oldPassage.title);
  t.equal(newPassage.content, oldPassage.content, 'the passage comes back with the same library picture');
  t.same([newPassage.subject, newPassage.grade, newPassage.topic], [oldPassage.subject, oldPassage.grade, oldPassage.topic], 'and its classification, from the manifest');
  const again = await Promise.all(body.ids.map(async (id: string) => (await author({ method: 'GET', url: `/api/items/${id}` })).json()));
  const fields = ['type', 'stem', 'options', 'correct', 'shuffleOptions', 'points', 'language', 'subject', 'grade', 'topic', 'cognitiveLevel', 'rubric'];
  const pick = (x: Record<string, unknown>) => Object.fromEntries(fields.filter((f) => x[f] !== undefined).map((f) => [f, x[f]]));
  const byType = (list: Record<string, unknown>[], type: string) => list.find((x) => x.type === type)!;
  for (const type of ['single_choice', 'essay']) {
    t.same(pick(byType(again, type)), pick(byType(stored, type)), `${type} equal`);
    t.equal(byType(again, type).stimulusId, body.stimuli[0].id, `${type} refers to the re-imported passage`);
  }
  const more = ['type', 'stem', 'options', 'correct', 'scoring', 'text', 'blanks', 'feedback', 'hints', 'staffNotes', 'rubric', 'audio'];
  const pickMore = (x: Record<string, unknown>) => Object.fromEntries(more.filter((f) => x[f] !== undefined).map((f) => [f, x[f]]));
  for (const type of ['essay', 'cloze', 'multiple_choice']) {
    t.same(pickMore(byType(again, type)), pickMore(byType(stored, type)), `${type}: feedback, option feedback, hints, staff notes, choice blanks and recording equal`);
  }
  t.same(byType(again, 'multiple_choice').audio, { media: hashOf(TONE), maxPlays: 2 }, 'the recording comes back: the same library file, the same limit');
  const prov = (x: Record<string, unknown>) => {
    const p = (x.provenance ?? {}) as { title?: string; externalId?: string };
    return { title: p.title, externalId: p.externalId };
  };
  t.same(prov(byType(again, 'cloze')), prov(byType(stored, 'cloze')), 'title and an external id that is no XML name come back');
  t.same(prov(byType(again, 'multiple_choice')), prov(byType(stored, 'multiple_choice')));
  t.same(prov(byType(again, 'essay')), { title: undefined, externalId: `item-${byType(stored, 'essay').id}` }, 'an item without an external id travels with its bank id; a made-up title is no title');
  t.match(byType(again, 'cloze').provenance, { source: { format: 'qti' } });
});

/** The exported package with one item document changed. */
async function repacked(change: (name: string, xml: string) => string): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const zip = new ZipWriter(out);
  for (const [name, data] of files) await zip.add(name, name.startsWith('items/') ? change(name, Buffer.from(data).toString('utf8')) : data);
  await zip.finish();
  out.end();
  return Buffer.concat(chunks);
}

t.test('a recording the item cannot keep is named, the first good one is kept', async (t) => {
  const png = `media/${hashOf(inStem)}.png`;
  const pkg = await repacked((_, xml) =>
    xml.includes('data-max-plays')
      ? xml.replace('<qti-item-body>', `<qti-item-body><audio src="../media/missing.mp3"/><audio src="../${png}"/><audio src="../media/${hashOf(TONE)}.m4a" data-max-plays="99"/>`)
      : xml.replace('<div class="exam-stem">', '<audio><source src="../media/none.ogg"/></audio><div class="exam-stem">'),
  );
  const res = await author({ method: 'POST', url: '/api/items/import?format=qti&dryRun=true', payload: pkg, headers: { 'content-type': 'application/zip' } });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const body = res.json();
  t.same(body.failed, []);
  const withAudio = body.items.find((x: { item: { audio?: unknown } }) => x.item.audio !== undefined);
  t.same(withAudio.item.audio, { media: hashOf(TONE) }, 'the recording is kept; a play limit out of 1–10 is not');
  t.same(body.warnings.find((w: { index: number }) => w.index === withAudio.index)?.messages, [
    'Audio ../media/missing.mp3 is not stored: the package does not hold the file',
    `Audio ../${png} is not stored: the file is not an MP3, Ogg or M4A recording`,
    `Audio ../media/${hashOf(TONE)}.m4a is not stored: an item keeps one recording, and ../media/${hashOf(TONE)}.m4a is it`,
  ]);
  const others = body.warnings.filter((w: { index: number }) => w.index !== withAudio.index);
  t.equal(others.length, 3, 'every other item names its missing recording');
  for (const w of others) t.same(w.messages, ['Audio ../media/none.ogg is not stored: the package does not hold the file']);
  t.equal(body.items.filter((x: { item: { audio?: unknown } }) => x.item.audio !== undefined).length, 1);
});

t.test('a recording the exporter may not read is neither written nor pointed at, and is counted', async (t) => {
  let dropped = 0;
  const item = stored.find((x) => x.audio !== undefined) as unknown as ExportItem;
  async function* one() {
    yield item;
  }
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  // No media library: the exporter reads no file.
  await qti.write!({ all: one, ofType: one, audioDropped: () => dropped++ }, out);
  out.end();
  const written = safeUnzip(Buffer.concat(chunks));
  const xml = Buffer.from([...written].find(([n]) => n.startsWith('items/'))![1]).toString('utf8');
  t.notMatch(xml, /<audio|\/api\/media\//);
  t.same([...written.keys()].filter((n) => n.startsWith('media/')), []);
  t.equal(dropped, 1);
});

t.test('an author of another school cannot export what they cannot see, pictures included', async (t) => {
  const other = await world.users.authorC({ method: 'GET', url: `/api/items/export?format=qti&topic=${topic}` });
  t.equal(other.statusCode, 200);
  const theirs = safeUnzip(other.rawPayload);
  t.same([...theirs.keys()].filter((n) => n.startsWith('media/') || n.startsWith('items/') || n.startsWith('stimuli/')), [], 'no item, passage or picture of school A');
});

t.test('another school importing the package stores the recording in the library for itself', async (t) => {
  const other = world.users.authorC;
  t.equal((await other({ method: 'GET', url: `/api/media/${hashOf(TONE)}` })).statusCode, 404, 'school C could not read the file before');
  const res = await other({ method: 'POST', url: '/api/items/import?format=qti', payload: exported.rawPayload, headers: { 'content-type': 'application/zip' } });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  t.equal(res.json().imported, 4);
  const items = await Promise.all(res.json().ids.map(async (id: string) => (await other({ method: 'GET', url: `/api/items/${id}` })).json()));
  t.same(items.find((x) => x.audio)?.audio, { media: hashOf(TONE), maxPlays: 2 });
  t.equal((await other({ method: 'GET', url: `/api/media/${hashOf(TONE)}` })).statusCode, 200, 'the import put the file in the library for school C');
});
