import { readFileSync } from 'node:fs';
import t from 'tap';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';
import { writeDocx, type Para, type Run } from '../support/docx-writer.js';

/**
 * POST /api/items/import?format=docx with real Word papers
 * (test/fixtures/docx/SOURCES.md), and ?dryRun=true for every format: what
 * is stored, what is only shown, and who may ask.
 */

const docx = (name: string) => readFileSync(new URL(`../fixtures/docx/${name}`, import.meta.url));
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const { app } = await build(t);
const world = await interopWorld(app);
const { authorA: author, authorC: otherAuthor, candidateA: candidate, proctorA: proctor } = world.users;

function multipart(field: string, filename: string, content: Buffer) {
  const boundary = '----exam-engine-docx-test';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${DOCX}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function counts() {
  return {
    items: await app.models.Item.countDocuments({}),
    revisions: await app.models.ItemRevision.countDocuments({}),
    stimuli: await app.models.Stimulus.countDocuments({}),
    imports: await app.models.Audit.countDocuments({ action: 'item.import' }),
  };
}

const get = async (url: string) => (await author({ method: 'GET', url })).json();

t.test('an English paper whose reading passages become stimuli that their questions reference, in order', async (t) => {
  const res = await author({
    method: 'POST',
    url: '/api/items/import?format=docx&subject=tieng-anh&grade=12&topic=thpt-2023&cognitiveLevel=2',
    payload: docx('vnhsge-tieng-anh-2023.docx'),
    headers: { 'content-type': DOCX },
  });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const body = res.json();
  t.equal(body.imported, 50);
  t.same(body.failed, []);
  t.equal(body.stimuli.length, 3, 'one stimulus per passage, not one per question');
  t.ok(body.stimuli.every((s: { id?: string; ref: string }) => typeof s.id === 'string' && s.ref.startsWith('docx-s')));

  const passage = await get(`/api/stimuli/${body.stimuli[0].id}`);
  t.match(passage, { subject: 'tieng-anh', grade: 12, language: 'en', ownerOrgId: world.orgs.schoolA });
  t.ok(passage.items.length >= 4, 'the passage lists the questions that use it');
  t.same(passage.items.map((i: { stimulusOrder: number }) => i.stimulusOrder), passage.items.map((_: unknown, i: number) => i), 'in the order of the paper');
  const first = await get(`/api/items/${passage.items[0].id}`);
  t.equal(first.stimulusId, body.stimuli[0].id);
  t.equal(first.language, 'en', 'an English paper is English without being told');

  const q1 = await get(`/api/items/${body.ids[0]}`);
  t.match(q1, { type: 'single_choice', subject: 'tieng-anh', topic: 'thpt-2023', status: 'draft', correct: ['C'], language: 'en' });
  t.match(body.warnings[0], { index: 0, number: 1, messages: ['The question has no text of its own; the instruction before it is its stem', 'Key C taken from the letter C standing alone after the options', /worked solution .* not kept/] });

  const audit = await app.models.Audit.findOne({ action: 'item.import', 'summary.format': 'docx' }).lean<{ summary: { stimuli: string[]; imported: number } }>();
  t.same(audit?.summary.stimuli, body.stimuli.map((s: { id: string }) => s.id), 'the import record names the passages it stored');
});

t.test('a maths paper of pictures, uploaded as multipart: pictures in the media library, the unreadable question reported with its number', async (t) => {
  const res = await author({ method: 'POST', url: '/api/items/import?format=docx&subject=toan&grade=12&topic=on-thi&cognitiveLevel=3', ...multipart('file', 'Toan.docx', docx('toan-de-anh.docx')) });
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const body = res.json();
  t.equal(body.imported, 48);
  t.same(body.failed, [{ index: 0, number: 1, error: { code: 'not_importable', message: 'The key is option A, but no options "A.", "B.", … were found in the question', details: [] } }]);
  const q2 = await get(`/api/items/${body.ids[0]}`);
  // The paper's pictures arrive as data: URLs and the bank moves them into the media library on write.
  t.match(q2, { type: 'single_choice', language: 'vi', stem: /<img src="\/api\/media\/[0-9a-f]{64}"/ });
  t.match(q2.options[0].text, /<img src="\/api\/media\/[0-9a-f]{64}"/, 'option pictures too');
  t.same(q2.provenance, { source: { file: 'Toan.docx', format: 'docx' } }, 'the uploaded file name is the provenance');
  const picture = /\/api\/media\/([0-9a-f]{64})/.exec(q2.stem)![0];
  const served = await author({ method: 'GET', url: picture });
  t.equal(served.statusCode, 200, 'the author is served the picture');
  t.equal(served.headers['content-type'], 'image/png');
});

t.test('a picture the bank cannot keep is left out with a warning on its question, never silently', async (t) => {
  const res = await author({ method: 'POST', url: '/api/items/import?format=docx&subject=tin-hoc&grade=13&topic=thuc-hanh&cognitiveLevel=3&dryRun=true', payload: docx('thuc-hanh-cong-cu-phat-trien-phan-mem.docx'), headers: { 'content-type': DOCX } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  const w = body.warnings.find((x: { number: number }) => x.number === 2);
  t.match(w.messages, [/./, /./, 'Picture image2.png left out: it is 546 kB, more than the 256 kB a picture in a question may have']);
  t.notMatch(JSON.stringify(body.items[1].item), /docx-media/);
  t.match(body.items[0].item.stem, /<img src="data:image\/png;base64,/, 'a picture of ordinary size stays');
});

t.test('dryRun answers what would be stored, item by item, and writes nothing', async (t) => {
  const before = await counts();
  const res = await author({ method: 'POST', url: '/api/items/import?format=docx&subject=toan&grade=12&topic=on-luyen&cognitiveLevel=2&dryRun=true', payload: docx('thpt-2025-toan-on-luyen.docx'), headers: { 'content-type': DOCX } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(await counts(), before, 'no item, revision, passage or import record');
  t.match(body, { dryRun: true, imported: 5, ids: [], failed: [] });
  t.equal(body.items.length, 5);
  t.same(body.items[0], {
    index: 0,
    number: 1,
    section: body.items[0].section,
    item: {
      type: 'single_choice',
      stem: 'Nguyên hàm của hàm số \\(f(x) = \\cos(x)\\) là',
      options: [
        { id: 'A', text: '\\(\\sin(x) + C\\).' },
        { id: 'B', text: '\\(-\\sin(x) + C\\).' },
        { id: 'C', text: '\\(\\cos(x) + C\\).' },
        { id: 'D', text: '\\(-\\cos(x) + C\\).' },
      ],
      correct: ['A'],
      subject: 'toan',
      grade: 12,
      topic: 'on-luyen',
      cognitiveLevel: 2,
      language: 'vi',
      ownerOrgId: world.orgs.schoolA,
      // The bank's defaults, as it would store them.
      points: 1,
      sharing: 'org',
      shuffleOptions: true,
      // Where it came from: a raw body has no file name (a multipart upload or ?fileName= gives one).
      provenance: { source: { format: 'docx' } },
    },
  });
  t.match(body.items[0].section, /^PHẦN I/);
  t.match(body.warnings, [{ index: 3, number: 1, messages: [/^Type numeric taken from section "PHẦN III/] }, { index: 4, number: 2 }]);

  // The real import stores exactly what the dry run showed.
  const real = (await author({ method: 'POST', url: '/api/items/import?format=docx&subject=toan&grade=12&topic=on-luyen&cognitiveLevel=2', payload: docx('thpt-2025-toan-on-luyen.docx'), headers: { 'content-type': DOCX } })).json();
  t.equal(real.imported, 5);
  for (const [i, id] of real.ids.entries()) t.match(await get(`/api/items/${id}`), body.items[i].item);
  const after = await counts();
  t.same([after.items - before.items, after.imports - before.imports], [5, 1]);
});

t.test('dryRun with passages: they are shown, not stored, and items name them by the file\'s ref', async (t) => {
  const before = await counts();
  const body = (await author({ method: 'POST', url: '/api/items/import?format=docx&subject=tieng-anh&grade=12&topic=thpt-2023&cognitiveLevel=2&dryRun=true', payload: docx('vnhsge-tieng-anh-2023.docx'), headers: { 'content-type': DOCX } })).json();
  t.same(await counts(), before);
  t.equal(body.stimuli.length, 3);
  t.notOk(body.stimuli[0].id, 'no bank id: nothing stored');
  t.ok(body.stimuli[0].content.length > 100, 'the sanitised passage, for the preview');
  const inPassage = body.items.filter((i: { item: { stimulusId?: string } }) => i.item.stimulusId === body.stimuli[0].ref);
  t.ok(inPassage.length >= 4);
});

t.test('dryRun for the other formats: every failure and the sanitised items; defaults missing are failures, not writes', async (t) => {
  const before = await counts();
  const gift = ['Câu 1: 1 + 1 = ?{=2 ~3 ~4}', '', 'Which planet is the largest? {=Jupiter ~Mars ~Venus}', '', 'Có hai đáp án đúng {=2 =3 ~4}', '', '<script>x()</script>Câu 4 <b>đậm</b>{T}'].join('\n');
  const res = await author({ method: 'POST', url: '/api/items/import?format=gift&subject=toan&grade=10&topic=so-hoc&cognitiveLevel=1&dryRun=true', payload: gift, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.same(await counts(), before);
  t.equal(body.imported, 3);
  t.same(body.items.map((i: { index: number; item: { language: string } }) => [i.index, i.item.language]), [[0, 'vi'], [1, 'en'], [3, 'vi']], 'language detected per item');
  t.equal(body.items[2].item.stem, 'Câu 4 <b>đậm</b>', 'sanitised as stored');
  t.match(body.failed, [{ index: 2, line: 5, error: { code: 'not_importable' } }]);

  const noSubject = (await author({ method: 'POST', url: '/api/items/import?format=gift&dryRun=true', payload: 'Q {T}', headers: { 'content-type': 'text/plain' } })).json();
  t.match(noSubject, { imported: 0, items: [], failed: [{ index: 0, error: { code: 'validation_failed' } }] });
  const told = (await author({ method: 'POST', url: '/api/items/import?format=gift&subject=a&grade=1&topic=b&cognitiveLevel=1&language=vi&dryRun=true', payload: 'Which is right? {T}', headers: { 'content-type': 'text/plain' } })).json();
  t.equal(told.items[0].item.language, 'vi', 'the language given wins over detection');
});

t.test('only authors may import or preview; nobody else learns what a file would become', async (t) => {
  const before = await counts();
  for (const [who, as] of [['candidate', candidate], ['proctor', proctor]] as const) {
    const res = await as({ method: 'POST', url: '/api/items/import?format=docx&subject=toan&grade=12&topic=x&cognitiveLevel=1&dryRun=true', payload: docx('thpt-2025-toan-on-luyen.docx'), headers: { 'content-type': DOCX } });
    t.equal(res.statusCode, 403, who);
    t.notMatch(res.body, /Nguyên hàm|items/, `${who} sees no item`);
  }
  const anonymous = await app.inject({ method: 'POST', url: '/api/items/import?format=docx&dryRun=true', payload: docx('thpt-2025-toan-on-luyen.docx'), headers: { 'content-type': DOCX } });
  t.equal(anonymous.statusCode, 401);
  t.same(await counts(), before);

  // An author of another school imports into their own school only: the passages and items of A stay invisible to them.
  const own = (await otherAuthor({ method: 'POST', url: '/api/items/import?format=docx&subject=tieng-anh&grade=12&topic=x&cognitiveLevel=1&dryRun=true', payload: docx('vnhsge-tieng-anh-2023.docx'), headers: { 'content-type': DOCX } })).json();
  t.equal(own.items[0].item.ownerOrgId, world.orgs.schoolC);
  const forA = await otherAuthor({ method: 'POST', url: `/api/items/import?format=docx&subject=toan&grade=12&topic=x&cognitiveLevel=1&dryRun=true&ownerOrgId=${world.orgs.schoolA}`, payload: docx('thpt-2025-toan-on-luyen.docx'), headers: { 'content-type': DOCX } });
  t.equal(forA.statusCode, 200);
  t.ok(forA.json().failed.every((f: { error: { code: string } }) => f.error.code === 'forbidden' || f.error.code === 'validation_failed'), 'another school as owner is refused per item');
  t.equal(forA.json().imported, 0);
});

t.test('files that are not Word papers are refused with a clear error', async (t) => {
  const gift = await author({ method: 'POST', url: '/api/items/import?format=docx', payload: 'Câu 1 {T}', headers: { 'content-type': 'text/plain' } });
  t.equal(gift.statusCode, 400);
  t.match(gift.json().error, { code: 'bad_request', message: 'The file is not a .docx (Word) document' });
});

/** A multipart body of several files (field name, file name, bytes). */
function multipartFiles(files: [string, string, Uint8Array][]) {
  const boundary = '----exam-engine-docx-key-test';
  const parts = files.flatMap(([field, filename, content]) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${DOCX}\r\n\r\n`),
    Buffer.from(content),
    Buffer.from('\r\n'),
  ]);
  return { payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

t.test('a separate answer-key file (multipart field answerKey): its marking guide and its key table by mã đề', async (t) => {
  const before = await counts();
  const url = '/api/items/import?format=docx&subject=tin-hoc&grade=12&topic=hoc-may&cognitiveLevel=3&dryRun=true';
  const alone = (await author({ method: 'POST', url, ...multipartFiles([['file', 'de.docx', docx('hoc-may-tu-luan.docx')]]) })).json();
  t.same(alone.items[0].item.rubric, [{ criterion: 'Đánh giá chung', maxPoints: 1 }], 'without the key file: a default rubric');
  const keyed = await author({ method: 'POST', url, ...multipartFiles([['answerKey', 'dap-an.docx', docx('hoc-may-tu-luan-dap-an.docx')], ['file', 'de.docx', docx('hoc-may-tu-luan.docx')]]) });
  t.equal(keyed.statusCode, 200, keyed.body.slice(0, 300));
  t.same(keyed.json().failed, []);
  t.match(keyed.json().items[0].item.rubric, [{ maxPoints: 1, criterion: /Học có giám sát \(Supervised Learning\)<\/b> là phương pháp học máy/ }], 'the marking guide of the key file is the rubric');

  // A paper of mã đề 209 with no key in it, and the exam office's key file of every mã đề (synthetic, docx-writer.ts).
  const p = (...runs: Run[]): Para => ({ runs });
  const paper = writeDocx({ blocks: [p('Mã đề 209'), ...[1, 2, 3].flatMap((n) => [p(`Câu ${n}. Câu hỏi ${n}?`), p('A. a', { tab: true }, 'B. b', { tab: true }, 'C. c', { tab: true }, 'D. d')])] });
  const key = writeDocx({ blocks: [p('ĐÁP ÁN CÁC MÃ ĐỀ'), { table: [[[p('Câu')], [p('132')], [p('209')]], [[p('1')], [p('A')], [p('C')]], [[p('2')], [p('B')], [p('D')]], [[p('3')], [p('C')], [p('A')]]] }] });
  const own = (await author({ method: 'POST', url, ...multipartFiles([['file', 'de-209.docx', paper], ['answerKey', 'dap-an.docx', key]]) })).json();
  t.same(own.items.map((i: { item: { correct: string[] } }) => i.item.correct[0]), ['C', 'D', 'A'], 'the paper\'s own mã đề column');
  t.match(own.warnings[0], { number: 1, messages: ['Key C taken from the answer table'] }, 'the inference is a warning');
  const other = (await author({ method: 'POST', url: `${url}&formCode=132`, ...multipartFiles([['file', 'de-209.docx', paper], ['answerKey', 'dap-an.docx', key]]) })).json();
  t.same(other.items.map((i: { item: { correct: string[] } }) => i.item.correct[0]), ['A', 'B', 'C'], 'formCode picks another column');

  const notWord = await author({ method: 'POST', url, ...multipartFiles([['file', 'de-209.docx', paper], ['answerKey', 'dap-an.txt', Buffer.from('1A 2B 3C')]]) });
  t.equal(notWord.statusCode, 400);
  t.same(notWord.json().error, { code: 'bad_request', message: 'The answer key file: The file is not a .docx (Word) document', details: [] });
  const notDocx = await author({ method: 'POST', url: '/api/items/import?format=aiken&subject=a&grade=1&topic=b&cognitiveLevel=1', ...multipartFiles([['file', 'q.txt', Buffer.from('Q?\nA. x\nB. y\nANSWER: A\n')], ['answerKey', 'dap-an.docx', key]]) });
  t.equal(notDocx.statusCode, 400);
  t.match(notDocx.json().error, { code: 'bad_request', message: 'A separate answer key file is read with format=docx only, not aiken' });
  t.same(await counts(), before, 'nothing written');
});
