import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { safeUnzip } from '../../src/interop/zip.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * Bank → Word → bank over HTTP: GET /api/items/export?format=docx of items
 * that share passages (with maths, a picture and a table), imported back
 * with POST /api/items/import?format=docx, dry run and for real. Everything
 * the convention carries comes back equal; every field it does not carry is
 * named in docs/item-types.md ("Word files"); a passage the exporter may not
 * read is not written.
 */

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const PNG_HASH = createHash('sha256').update(Buffer.from(PNG.split(',')[1]!, 'base64')).digest('hex');

const { app } = await build(t);
const world = await interopWorld(app);
const { authorA: author, authorC: otherAuthor } = world.users;
const run = Date.now().toString(36);
const topic = `passages-${run}`;
const base = { subject: 'ngu-van', grade: 10, topic };

type Json = Record<string, unknown>;

async function created(res: { statusCode: number; body: string; json(): unknown }): Promise<Json> {
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as Json;
}

/** Text, maths and pictures without markup differences Word cannot keep: paragraphs, braces, spacing; a picture by its bytes' hash. */
function norm(html: string): string {
  return html
    .replace(/<img\b[^>]*\bsrc="([^"]*)"[^>]*>/g, (_m, src: string) => {
      if (src.startsWith('data:')) return `[img:${createHash('sha256').update(Buffer.from(src.split(',')[1]!, 'base64')).digest('hex')}]`;
      return `[img:${/\/api\/media\/([0-9a-f]{64})/.exec(src)?.[1] ?? src}]`;
    })
    .replace(/<\/?(p|tbody|thead)>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/[{}\s]/g, '');
}

// Two passages: one of three questions of two kinds (Phần I and Phần II), one of a numeric answer and an essay.
const passageOne = await created(await author({
  method: 'POST',
  url: '/api/stimuli',
  payload: {
    ...base,
    title: 'Vịnh Hạ Long',
    content: `<p>Vịnh Hạ Long có diện tích khoảng \\(1553\\) km², gồm \\(1969\\) hòn đảo.</p><p><img src="${PNG}" alt="" /></p><table><tr><td>Đảo</td><td>Diện tích</td></tr><tr><td>Cái Bầu</td><td>\\(177\\)</td></tr></table>`,
  },
}));
const passageTwo = await created(await author({
  method: 'POST',
  url: '/api/stimuli',
  payload: { ...base, title: 'Số liệu dân số', content: '<p>Năm 2020 dân số của tỉnh là \\(1{,}3\\) triệu người, tăng \\(\\frac{3}{2}\\%\\) mỗi năm.</p>' },
}));
const p1 = String(passageOne.id);
const p2 = String(passageTwo.id);

const tf = (texts: string[], values: boolean[]) => ({
  statements: texts.map((text, i) => ({ id: `s${i + 1}`, text })),
  values: Object.fromEntries(values.map((v, i) => [`s${i + 1}`, v])),
});

/**
 * The bank's items in the order they are written (the bank's search order),
 * named by key. The passage items are written out of their passage order and
 * between other items, so the export has to bring them together.
 */
const authored: [string, Json][] = [
  ['p1-second', { ...base, cognitiveLevel: 2, type: 'single_choice', stimulusId: p1, stimulusOrder: 2, stem: `<p>Hình sau cho thấy điều gì? <img src="${PNG}" alt="" /></p>`, options: [{ id: 'w', text: 'Đảo' }, { id: 'x', text: 'Hang' }, { id: 'y', text: 'Biển' }, { id: 'z', text: 'Núi' }], correct: ['y'] }],
  ['alone-choice', { ...base, cognitiveLevel: 1, type: 'single_choice', stem: 'Nghiệm của \\(x^{2}=4\\) là', options: [{ id: 'o1', text: '\\(x=\\pm 2\\)' }, { id: 'o2', text: '\\(x=2\\)' }, { id: 'o3', text: '\\(x=4\\)' }, { id: 'o4', text: 'Vô nghiệm' }], correct: ['o1'], tags: ['de-cuong'], points: 0.25, shuffleOptions: false }],
  ['p1-first', { ...base, cognitiveLevel: 1, type: 'single_choice', stimulusId: p1, stimulusOrder: 0, stem: 'Vịnh Hạ Long có bao nhiêu hòn đảo?', options: [{ id: 'a', text: '\\(1553\\)' }, { id: 'b', text: '\\(1969\\)' }, { id: 'c', text: '\\(177\\)' }, { id: 'd', text: '\\(2000\\)' }], correct: ['b'] }],
  ['alone-cluster', { ...base, cognitiveLevel: 2, type: 'true_false_cluster', stem: 'Cho hàm số \\(y=x^{3}\\).', ...tf(['Hàm số đồng biến.', 'Đồ thị đi qua \\((1;1)\\).', 'Hàm số chẵn.', 'Đạo hàm là \\(3x^{2}\\).'], [true, true, false, true]) }],
  ['p1-cluster', { ...base, cognitiveLevel: 3, type: 'true_false_cluster', stimulusId: p1, stimulusOrder: 5, stem: 'Dựa vào đoạn văn, xét các nhận định sau.', ...tf(['Đảo Cái Bầu rộng \\(177\\) km².', 'Vịnh có hơn 2000 đảo.', 'Đoạn văn có một bảng.', 'Vịnh ở Quảng Ninh.'], [true, false, true, true]), ladder: [0, 0.2, 0.4, 0.6, 1] }],
  ['p2-numeric', { ...base, cognitiveLevel: 3, type: 'numeric', stimulusId: p2, stimulusOrder: 0, stem: 'Dân số năm 2020 là bao nhiêu triệu người?', value: 1.3, tolerance: 0.05 }],
  ['alone-numeric', { ...base, cognitiveLevel: 2, type: 'numeric', stem: 'Tính \\(\\sqrt{2{,}25}\\).', value: 1.5 }],
  ['p2-essay', { ...base, cognitiveLevel: 4, type: 'essay', stimulusId: p2, stimulusOrder: 1, stem: 'Nêu hệ quả của việc dân số tăng \\(\\frac{3}{2}\\%\\) mỗi năm.', rubric: [{ criterion: 'Nêu được hai hệ quả', maxPoints: 1 }, { criterion: 'Lập luận chặt chẽ', maxPoints: 0.5 }], maxWords: 200 }],
  ['alone-essay', { ...base, cognitiveLevel: 3, type: 'essay', stem: 'Viết đoạn văn về quê hương em.', rubric: [{ criterion: 'Đúng hình thức đoạn văn', maxPoints: 0.5 }, { criterion: 'Nội dung', maxPoints: 1.5 }] }],
];
const stored = new Map<string, Json>();
for (const [key, item] of authored) {
  const { id } = await created(await author({ method: 'POST', url: '/api/items', payload: item }));
  stored.set(key, (await author({ method: 'GET', url: `/api/items/${String(id)}` })).json() as Json);
}

/**
 * The order the Word file gives: parts I (choices), II (clusters), III
 * (numbers), then essays; within a part the bank's order, each passage's
 * questions together where its first one stands, in the passage's order.
 */
const expectedOrder = ['p1-first', 'p1-second', 'alone-choice', 'alone-cluster', 'p1-cluster', 'p2-numeric', 'alone-numeric', 'p2-essay', 'alone-essay'];

/** Fields of the docs' "Word files" list: what the convention does not carry. */
function documentedAsNotCarried(): Set<string> {
  const doc = readFileSync(new URL('../../docs/item-types.md', import.meta.url), 'utf8');
  const section = /^## Word files\n([\s\S]*?)(?=^## )/m.exec(doc)?.[1] ?? '';
  const list = /What a Word file does not carry[\s\S]*?(?=\n\n)/.exec(section)?.[0] ?? '';
  return new Set([...list.matchAll(/`([A-Za-z.[\]]+)`/g)].map((m) => m[1]!));
}

const exported = await author({ method: 'GET', url: `/api/items/export?format=docx&topic=${topic}` });

/** Every field of an item (one level into options, statements and rubric rows) as path → JSON. */
function fields(item: Json): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(item)) {
    if (['options', 'statements'].includes(k) && Array.isArray(v)) {
      v.forEach((o: Json, i) => {
        for (const [kk, vv] of Object.entries(o)) out.set(`${k}[].${kk}`, `${out.get(`${k}[].${kk}`) ?? ''}${i}:${kk === 'text' ? norm(String(vv)) : JSON.stringify(vv)};`);
      });
    } else out.set(k, k === 'stem' ? norm(String(v)) : JSON.stringify(v));
  }
  return out;
}

/** The original's key in terms of positions (ids are not carried: they come back as A, B, … and a, b, …). */
function positional(item: Json): unknown {
  if (item.type === 'single_choice') return (item.options as Json[]).map((o) => (item.correct as string[]).includes(String(o.id)));
  if (item.type === 'true_false_cluster') return (item.statements as Json[]).map((s) => (item.values as Record<string, boolean>)[String(s.id)]);
  if (item.type === 'numeric') return item.value;
  if (item.type === 'essay') return item.rubric;
  return undefined;
}

function checkCarried(t: Test, original: Json, back: Json, key: string, passageOf: (id: unknown) => unknown) {
  t.equal(back.type, original.type, `${key}: type`);
  t.equal(norm(String(back.stem)), norm(String(original.stem)), `${key}: stem, maths and picture`);
  t.equal(back.cognitiveLevel, original.cognitiveLevel, `${key}: level`);
  if (original.options) t.same((back.options as Json[]).map((o) => norm(String(o.text))), (original.options as Json[]).map((o) => norm(String(o.text))), `${key}: options in order`);
  if (original.statements) t.same((back.statements as Json[]).map((o) => norm(String(o.text))), (original.statements as Json[]).map((o) => norm(String(o.text))), `${key}: statements in order`);
  t.same(positional(back), positional(original), `${key}: key`);
  t.equal(passageOf(back.stimulusId), original.stimulusId, `${key}: its passage`);
}

t.test('the export writes each passage before its questions, which it brings together', async (t) => {
  t.equal(exported.statusCode, 200, exported.statusCode === 200 ? 'the Word file' : exported.body.slice(0, 300));
  t.equal(exported.headers['content-type'], DOCX);
  t.equal(exported.trailers['x-export-items'], String(authored.length));
  t.equal(exported.trailers['x-export-passages-withheld'], '0');
  const xml = Buffer.from(safeUnzip(exported.rawPayload).get('word/document.xml')!).toString('utf8');
  const text = xml.replace(/<w:tab\/>/g, '\t').replace(/<\/w:p>/g, '\n').replace(/<[^>]+>/g, '');
  t.equal(text.split('Vịnh Hạ Long có diện tích').length - 1, 2, 'passage one once in each part its questions are in');
  t.equal(text.split('Năm 2020 dân số').length - 1, 2, 'passage two once in each part its questions are in');
  t.match(text, /Đọc đoạn văn sau và trả lời các câu từ 1 đến 2\.\nVịnh Hạ Long có diện tích[\s\S]*?Câu 1 \[NB\]\. Vịnh Hạ Long có bao nhiêu[\s\S]*?Câu 2 \[TH\]\. Hình sau[\s\S]*?Câu 3 \[NB\]\. \(0,25 điểm\) Nghiệm/, 'Phần I: the passage, then its questions in its order, then the others');
  t.match(text, /Đọc đoạn văn sau và trả lời câu 2\.\nVịnh Hạ Long có diện tích[\s\S]*?Câu 2 \[VD\]\. Dựa vào đoạn văn/, 'Phần II: the passage again before its one cluster');
  t.match(text, /Đọc đoạn văn sau và trả lời câu 1\.\nNăm 2020[\s\S]*?Câu 1 \[VD\]\. Dân số năm 2020[\s\S]*?Câu 2 \[TH\]\. Tính/, 'Phần III');
  t.ok(xml.includes('<m:oMath'), 'maths as Word equations');
  t.ok([...safeUnzip(exported.rawPayload).keys()].some((name) => name.startsWith('word/media/')), 'the picture is embedded');
});

t.test('importing the export back, dry run then for real, restores the items, the passages and which items share which', async (t) => {
  const url = `/api/items/import?format=docx&subject=ngu-van&grade=10&topic=${topic}-back`;
  const dry = await author({ method: 'POST', url: `${url}&dryRun=true`, payload: exported.rawPayload, headers: { 'content-type': DOCX } });
  t.equal(dry.statusCode, 200, dry.body.slice(0, 300));
  const preview = dry.json();
  t.same(preview.failed, []);
  t.equal(preview.imported, authored.length);
  t.equal(preview.stimuli.length, 2, 'one stimulus per passage, though each is written twice');
  const before = await app.models.Stimulus.countDocuments({});

  const real = await author({ method: 'POST', url, payload: exported.rawPayload, headers: { 'content-type': DOCX } });
  t.equal(real.statusCode, 200, real.body.slice(0, 300));
  const report = real.json();
  t.same(report.failed, []);
  t.equal(report.imported, authored.length);
  t.equal(report.stimuli.length, 2);
  t.equal(await app.models.Stimulus.countDocuments({}), before + 2, 'the dry run wrote no passage; the import wrote two');

  // The passages: the text, its maths, its picture (the same library file) and its table.
  const passages = new Map<string, Json>();
  for (const s of report.stimuli as { id: string }[]) passages.set(s.id, (await author({ method: 'GET', url: `/api/stimuli/${s.id}` })).json() as Json);
  const originals = new Map([[p1, passageOne], [p2, passageTwo]]);
  /** Imported passage id → original passage id, by content. */
  const match = new Map<string, string>();
  for (const [id, p] of passages) {
    const original = [...originals.entries()].find(([, o]) => norm(String(o.content)) === norm(String(p.content)));
    t.ok(original, `passage "${String(p.title)}" has an original with the same content`);
    if (original) match.set(id, original[0]);
  }
  t.equal(new Set(match.values()).size, 2, 'each original passage comes back once');
  t.match(String([...passages.values()].find((p) => match.get(String(p.id)) === p1)?.content), new RegExp(`<img src="/api/media/${PNG_HASH}"[^>]*>[\\s\\S]*<table>`), 'its picture is the same library file and its table a table');

  const dryMatch = new Map<string, string>();
  for (const s of preview.stimuli as { ref: string; content: string }[]) {
    const original = [...originals.entries()].find(([, o]) => norm(String(o.content)) === norm(s.content));
    if (original) dryMatch.set(s.ref, original[0]);
  }
  t.equal(dryMatch.size, 2, 'the dry run shows both passages as they will be stored');

  // The items, in the file's order, each against its original.
  const back = await Promise.all((report.ids as string[]).map(async (id) => (await author({ method: 'GET', url: `/api/items/${id}` })).json() as Json));
  const planned = (preview.items as { item: Json }[]).map((p) => p.item);
  const notCarried = documentedAsNotCarried();
  const undocumented = new Set<string>();
  expectedOrder.forEach((key, i) => {
    const original = stored.get(key)!;
    checkCarried(t, original, back[i]!, key, (id) => (id === undefined ? undefined : match.get(String(id))));
    checkCarried(t, original, planned[i]!, `${key} (dry run)`, (id) => (id === undefined ? undefined : dryMatch.get(String(id))));
    // Nothing lost silently: every field that differs is one the docs list as not carried.
    const a = fields(original);
    const b = fields(back[i]!);
    for (const field of new Set([...a.keys(), ...b.keys()])) {
      if (['id', 'revision', 'status', 'authorId', 'ownerOrgId', 'orgPath', 'createdAt', 'updatedAt', 'updatedBy', 'keyIncluded', 'statusHistory', 'stats'].includes(field)) continue;
      if (['stimulusId', 'correct', 'values', 'options[].id', 'statements[].id'].includes(field)) continue; // compared above through positions and passages
      if (a.get(field) !== b.get(field) && !notCarried.has(field)) undocumented.add(`${key}: ${field} ${a.get(field)} → ${b.get(field)}`);
    }
  });
  t.same([...undocumented], [], 'every field that does not come back is listed in docs/item-types.md under "Word files"');

  // Which items share which passage, in what order.
  for (const [id, original] of match) {
    const view = passages.get(id)!;
    const expected = expectedOrder.filter((k) => stored.get(k)!.stimulusId === original);
    t.same((view.items as { id: string }[]).map((i) => expectedOrder[(report.ids as string[]).indexOf(i.id)]), expected, `passage ${original === p1 ? 'one' : 'two'}: its questions in order`);
  }
  // A passage's own fields other than its text: the docs say what becomes of each.
  for (const field of ['title', 'tags', 'sharing']) t.ok(notCarried.has(`stimulus.${field}`), `the docs say what becomes of a passage's ${field}`);
  for (const field of ['subject', 'grade', 'topic', 'language']) t.ok(notCarried.has(field), `the docs say what becomes of ${field}`);
  const one = [...passages.values()].find((p) => match.get(String(p.id)) === p1)!;
  t.equal(one.title, 'Đọc đoạn văn sau và trả lời các câu từ 1 đến 2.', 'a passage\'s title comes back as its introduction line, as the docs say');
});

t.test('a passage the exporter may not read is not written; its question is, without it', async (t) => {
  const hidden = `hidden-${run}`;
  const passage = await created(await otherAuthor({ method: 'POST', url: '/api/stimuli', payload: { ...base, topic: hidden, sharing: 'national', title: 'Bí mật', content: '<p>Đoạn văn riêng của trường C.</p>' } }));
  await created(await author({ method: 'POST', url: '/api/items', payload: { ...base, topic: hidden, cognitiveLevel: 1, type: 'single_choice', stimulusId: passage.id, stem: 'Câu hỏi về đoạn văn riêng', options: [{ id: 'a', text: 'Một' }, { id: 'b', text: 'Hai' }], correct: ['a'] } }));
  const current = (await otherAuthor({ method: 'GET', url: `/api/stimuli/${String(passage.id)}` })).json() as Json;
  const { id: _id, items: _items, authorId: _a, createdAt: _c, updatedAt: _u, updatedBy: _b, ownerOrgId: _o, ...content } = current;
  const narrowed = await otherAuthor({ method: 'PUT', url: `/api/stimuli/${String(passage.id)}`, payload: { ...content, sharing: 'org' } });
  t.equal(narrowed.statusCode, 200, narrowed.body.slice(0, 300));
  t.equal((await author({ method: 'GET', url: `/api/stimuli/${String(passage.id)}` })).statusCode, 404, 'school A may no longer read the passage');

  const res = await author({ method: 'GET', url: `/api/items/export?format=docx&topic=${hidden}` });
  t.equal(res.statusCode, 200);
  t.equal(res.trailers['x-export-items'], '1');
  t.equal(res.trailers['x-export-passages-withheld'], '1', 'the withheld passage is counted');
  const files = safeUnzip(res.rawPayload);
  const all = [...files.values()].map((b) => Buffer.from(b).toString('utf8')).join('\n');
  t.notOk(all.includes('Đoạn văn riêng'), 'its text is nowhere in the file');
  t.notOk(all.includes('Bí mật'), 'nor its title');
  t.ok(all.includes('Câu hỏi về đoạn văn riêng'), 'the question is written');
  t.notOk(all.includes('Đọc đoạn văn sau'), 'without a passage introduction');
});
