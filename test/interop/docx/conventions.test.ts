import { strToU8, zipSync } from 'fflate';
import t from 'tap';
import { checkItem, checkStimulus } from '../../../src/bank/item-schemas.js';
import { withDefaults } from '../../../src/interop/interop-service.js';
import { UnreadableFile } from '../../../src/interop/model.js';
import { dataUrlImages, readDocx, type ReadDocxResult } from '../../../src/interop/docx/read-docx.js';
import { mr, omath, PNG_1X1, writeDocx, type Block, type Para, type Run } from '../../support/docx-writer.js';

/**
 * The conventions of issue 20, one by one, on documents written by the test
 * (synthetic: generated here with test/support/docx-writer.ts, not real
 * papers; the real ones are in real-files.test.ts).
 */

const p = (...runs: Run[]): Para => ({ runs });
const item = (r: ReadDocxResult, i: number) => r.items[i]!.item as unknown as Record<string, unknown>;
const DEFAULTS = { subject: 'toan', grade: 12, topic: 'tong-hop', cognitiveLevel: 2 as const };

function allValid(t: { ok: (value: unknown, message: string) => unknown }, r: ReadDocxResult): void {
  for (const entry of r.items) {
    const checked = checkItem(withDefaults(entry.item, DEFAULTS));
    t.ok(checked.ok, `item ${entry.number} validates${checked.ok ? '' : `: ${JSON.stringify(checked.details)}`}`);
  }
  for (const s of r.stimuli) t.ok(checkStimulus({ title: s.title, content: s.content, subject: 'toan' }).ok, `stimulus ${s.id} validates`);
}

const blue = (t: string): Run => ({ t, b: true, color: '0000FF' });

t.test('keys marked on the option: underline, red, highlight, bold, asterisk', async (t) => {
  const q = (n: number, mark: (label: string, text: string) => Run[]): Block[] => [
    p(`Câu ${n}. Câu hỏi số ${n}?`),
    ...['A', 'B', 'C', 'D'].map((l) => p(...(l === 'C' ? mark(l, `phương án ${l}`) : [blue(`${l}. `), `phương án ${l}`]))),
  ];
  const r = readDocx(
    writeDocx({
      blocks: [
        ...q(1, (l, text) => [{ t: `${l}.`, b: true, color: '0000FF', u: true }, ' ', text]),
        ...q(2, (l, text) => [blue(`${l}. `), { t: text, color: 'FF0000' }]),
        ...q(3, (l, text) => [blue(`${l}. `), { t: text, highlight: 'yellow' }]),
        ...q(4, (l, text) => [blue(`${l}. `), { t: text, b: true }]),
        p('Câu 5. Câu hỏi?'),
        p('A. một', { tab: true }, '*B. hai', { tab: true }, 'C. ba', { tab: true }, 'D. bốn'),
        p('Câu 6. Câu có gạch chân trong mọi phương án?'),
        p('A. ', { t: 'th', u: true }, 'ank', { tab: true }, 'B. ', { t: 'th', u: true }, 'ick', { tab: true }, { t: 'C.', u: true }, ' ', { t: 'th', u: true }, 'at', { tab: true }, 'D. ', { t: 'th', u: true }, 'ink'),
      ],
    }),
  );
  t.same(r.failed, []);
  t.same(r.items.map((i) => (i.item as { correct: string[] }).correct), [['C'], ['C'], ['C'], ['C'], ['B'], ['C']]);
  t.equal(item(r, 0).stem, 'Câu hỏi số 1?');
  t.same(item(r, 0).options, [
    { id: 'A', text: 'phương án A' },
    { id: 'B', text: 'phương án B' },
    { id: 'C', text: 'phương án C' },
    { id: 'D', text: 'phương án D' },
  ]);
  t.equal((item(r, 3).options as { text: string }[])[2]!.text, 'phương án C', 'bold that marked the key is not shown to candidates');
  t.same(
    (item(r, 5).options as { text: string }[]).map((o) => o.text),
    ['<u>th</u>ank', '<u>th</u>ick', '<u>th</u>at', '<u>th</u>ink'],
    'an underlined label marks the key; the underlined letters every option shares stay',
  );
  for (const entry of r.items) t.same(entry.warnings, [], `question ${entry.number}: a marked key is no inference`);
  allValid(t, r);
});

t.test('option layouts: one per line, two per line, four per line, in a table, Word list numbering', async (t) => {
  const r = readDocx(
    writeDocx({
      lists: { 1: { text: 'Câu %1.', format: 'decimal' }, 2: { text: '%1.', format: 'upperLetter' } },
      blocks: [
        p('Câu 1: Hai phương án một dòng?'),
        p({ t: 'A.', u: true }, ' 1', { tab: true }, 'B. 2'),
        p('C. 3', { tab: true }, 'D. 4'),
        p('Câu 2 (0,25 điểm). Bốn phương án một dòng?'),
        p('A. x', { tab: true }, 'B. y', { tab: true }, { t: 'C.', color: 'FF0000' }, ' z', { tab: true }, 'D. t'),
        p('Câu 3. Phương án trong bảng?'),
        { table: [[[p('A. một')], [p('B. hai')]], [[p({ t: 'C.', u: true }, ' ba')], [p('D. bốn')]]] },
        { list: { numId: 1 }, runs: ['Câu đánh số tự động?'] },
        { list: { numId: 2 }, runs: ['alpha'] },
        { list: { numId: 2 }, runs: [{ t: 'beta', u: true }] },
        { list: { numId: 2 }, runs: ['gamma'] },
        p('Câu 5. Phương án liền sau câu hỏi: A. 1 B. 2 ', { t: 'C.', u: true }, ' 3 D. 4'),
      ],
    }),
  );
  t.same(r.failed, []);
  t.same(
    r.items.map((i) => [i.number, (i.item as { options: { id: string; text: string }[] }).options.map((o) => `${o.id}=${o.text}`).join(' '), (i.item as { correct: string[] }).correct[0]]),
    [
      [1, 'A=1 B=2 C=3 D=4', 'A'],
      [2, 'A=x B=y C=z D=t', 'C'],
      [3, 'A=một B=hai C=ba D=bốn', 'C'],
      [1, 'A=alpha B=beta C=gamma', 'B'],
      [5, 'A=1 B=2 C=3 D=4', 'C'],
    ],
  );
  t.equal(item(r, 1).points, 0.25, 'points written after the number');
  t.equal(item(r, 3).stem, 'Câu đánh số tự động?', 'the question number Word adds (the first of its list) is not part of the stem');
  t.equal(item(r, 4).stem, 'Phương án liền sau câu hỏi:');
  allValid(t, r);
});

t.test('keys from an answer table: by question number, by mã đề, as pairs on a line', async (t) => {
  const questions: Block[] = [1, 2, 3].flatMap((n) => [p(`Câu ${n}. Câu ${n}?`), p('A. a', { tab: true }, 'B. b', { tab: true }, 'C. c', { tab: true }, 'D. d')]);
  const byNumber = readDocx(
    writeDocx({ blocks: [...questions, p('BẢNG ĐÁP ÁN'), { table: [[[p('Câu')], [p('1')], [p('2')], [p('3')]], [[p('Đáp án')], [p('B')], [p('D')], [p('A')]]] }] }),
  );
  t.same(byNumber.items.map((i) => (i.item as { correct: string[] }).correct[0]), ['B', 'D', 'A']);
  t.same(byNumber.items[0]!.warnings, ['Key B taken from the answer table']);

  const forms = (code: string | undefined) =>
    writeDocx({
      blocks: [
        ...(code ? [p(`Mã đề ${code}`)] : []),
        ...questions,
        p('ĐÁP ÁN'),
        { table: [[[p('Câu')], [p('132')], [p('209')]], [[p('1')], [p('A')], [p('C')]], [[p('2')], [p('B')], [p('D')]], [[p('3')], [p('C')], [p('A')]]] },
      ],
    });
  const own = readDocx(forms('209'));
  t.equal(own.formCode, '209');
  t.same(own.items.map((i) => (i.item as { correct: string[] }).correct[0]), ['C', 'D', 'A'], 'the paper reads its own mã đề column');
  const chosen = readDocx(forms('209'), { formCode: '132' });
  t.same(chosen.items.map((i) => (i.item as { correct: string[] }).correct[0]), ['A', 'B', 'C'], 'formCode picks another column');
  const unnamed = readDocx(forms(undefined));
  t.same(unnamed.items.map((i) => (i.item as { correct: string[] }).correct[0]), ['A', 'B', 'C']);
  t.match(unnamed.warnings, [/mã đề 132, 209 .* the keys of mã đề 132 were used/]);

  const pairs = readDocx(writeDocx({ blocks: [...questions, p('ĐÁP ÁN'), p('1.C   2-A   3B')] }));
  t.same(pairs.items.map((i) => (i.item as { correct: string[] }).correct[0]), ['C', 'A', 'B']);

  const disagree = readDocx(
    writeDocx({ blocks: [p('Câu 1. X?'), p('A. a', { tab: true }, { t: 'B.', u: true }, ' b'), p('ĐÁP ÁN'), p('1.A 2.B')] }),
  );
  t.same(item(disagree, 0).correct, ['B']);
  t.match(disagree.items[0]!.warnings, [/answer table gives A but the question marks B/]);
  allValid(t, byNumber);
});

t.test('the 2025 format: PHẦN I single choice, PHẦN II true/false clusters, PHẦN III numeric, keys per part', async (t) => {
  const r = readDocx(
    writeDocx({
      blocks: [
        p({ t: 'PHẦN I. ', b: true }, 'Câu trắc nghiệm nhiều phương án lựa chọn.'),
        p('Câu 1. Giá trị của ', { omml: omath(mr('2+2')) }, ' là'),
        p('A. 3', { tab: true }, 'B. 4', { tab: true }, 'C. 5', { tab: true }, 'D. 6'),
        p({ t: 'PHẦN II', b: true }),
        p('Câu 1. Cho hàm số ', { omml: omath(`<m:sSup><m:e>${mr('x')}</m:e><m:sup>${mr('2')}</m:sup></m:sSup>`) }, '.'),
        p('a) Hàm số chẵn.'),
        p('b) Hàm số đồng biến trên ℝ.'),
        p('c) Đồ thị đi qua gốc toạ độ.'),
        p('d) Giá trị nhỏ nhất bằng 1.'),
        p({ t: 'PHẦN III', b: true }),
        p('Câu 1. Nghiệm của phương trình ', { omml: omath(`${mr('2x+3=0')}`) }, ' là?'),
        p('Câu 2. Viết tên thủ đô?'),
        p('ĐÁP ÁN'),
        p('PHẦN I'),
        p('1.B'),
        p('PHẦN II'),
        p('Câu 1: a) Đ b) S c) Đ d) S'),
        p('PHẦN III'),
        { table: [[[p('Câu')], [p('1')], [p('2')]], [[p('Đáp án')], [p('-1,5')], [p('Hà Nội')]]] },
      ],
    }),
  );
  t.same(r.failed, []);
  t.same(item(r, 0), { type: 'single_choice', stem: 'Giá trị của \\(2+2\\) là', options: [{ id: 'A', text: '3' }, { id: 'B', text: '4' }, { id: 'C', text: '5' }, { id: 'D', text: '6' }], correct: ['B'] });
  t.same(item(r, 1), {
    type: 'true_false_cluster',
    stem: 'Cho hàm số \\(x^{2}\\).',
    statements: [
      { id: 'a', text: 'Hàm số chẵn.' },
      { id: 'b', text: 'Hàm số đồng biến trên ℝ.' },
      { id: 'c', text: 'Đồ thị đi qua gốc toạ độ.' },
      { id: 'd', text: 'Giá trị nhỏ nhất bằng 1.' },
    ],
    values: { a: true, b: false, c: true, d: false },
  });
  t.same(item(r, 2), { type: 'numeric', stem: 'Nghiệm của phương trình \\(2x+3=0\\) là?', value: -1.5 });
  t.match(r.items[2]!.warnings, ['Key "-1,5" taken from the answer table', /Type numeric taken from section "PHẦN III"/]);
  t.same(item(r, 3), { type: 'short_text', stem: 'Viết tên thủ đô?', accepted: ['Hà Nội'] });
  t.same(r.items.map((i) => [i.number, i.section]), [[1, 'PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn.'], [1, 'PHẦN II'], [1, 'PHẦN III'], [2, 'PHẦN III']]);
  allValid(t, r);
});

t.test('true/false statements keyed by underline, by a key line, by Đúng/Sai columns', async (t) => {
  const statements = (mark: (l: string) => boolean): Para[] => ['a', 'b', 'c', 'd'].map((l) => p(mark(l) ? { t: `${l})`, u: true } : `${l})`, ` Mệnh đề ${l}.`));
  const r = readDocx(
    writeDocx({
      blocks: [
        p('PHẦN II. Câu trắc nghiệm đúng sai'),
        p('Câu 1. Xét các mệnh đề:'),
        ...statements((l) => l === 'a' || l === 'd'),
        p('Câu 2. Xét các mệnh đề:'),
        ...statements(() => false),
        p('Đáp án: ĐSSĐ'),
        p('Câu 3. Xét các mệnh đề:'),
        {
          table: [
            [[p('Mệnh đề')], [p('Đúng')], [p('Sai')]],
            [[p('a) Một.')], [p('X')], []],
            [[p('b) Hai.')], [], [p('X')]],
            [[p('c) Ba.')], [p('X')], []],
            [[p('d) Bốn.')], [], [p('X')]],
          ],
        },
      ],
    }),
  );
  t.same(r.failed, []);
  t.same(r.items.map((i) => (i.item as { values: Record<string, boolean> }).values), [
    { a: true, b: false, c: false, d: true },
    { a: true, b: false, c: false, d: true },
    { a: true, b: false, c: true, d: false },
  ]);
  t.match(r.items[0]!.warnings, [/Statements underlined \(a, d\) read as true/]);
  t.same((item(r, 0).statements as { text: string }[])[0], { id: 'a', text: 'Mệnh đề a.' });
  allValid(t, r);
});

t.test('essays ("Tự luận") with their marking guide ("Hướng dẫn chấm") as rubric', async (t) => {
  const r = readDocx(
    writeDocx({
      blocks: [
        p('II. TỰ LUẬN'),
        p('Câu 1 (2 điểm). Giải phương trình ', { omml: omath(mr('x²−1=0')) }, '.'),
        p('Câu 2 (1 điểm). Nêu ý nghĩa của đạo hàm.'),
        p('HƯỚNG DẪN CHẤM'),
        p('Câu 1'),
        { table: [[[p('Ý')], [p('Nội dung')], [p('Điểm')]], [[p('a')], [p('Đưa về (x−1)(x+1)=0')], [p('1,0')]], [[p('b')], [p('Kết luận x = ±1')], [p('1,0')]]] },
        p('Câu 2'),
        p('Nêu đúng ý nghĩa hình học (0,5 điểm)'),
        p('Nêu đúng ý nghĩa vật lý ....... 0,25đ'),
      ],
    }),
  );
  t.same(r.failed, []);
  t.same(item(r, 0).rubric, [
    { criterion: 'Đưa về (x−1)(x+1)=0', maxPoints: 1 },
    { criterion: 'Kết luận x = ±1', maxPoints: 1 },
  ]);
  t.equal(item(r, 0).points, 2);
  t.same(r.items[0]!.warnings, ['Type essay taken from section "II. TỰ LUẬN"']);
  t.same(item(r, 1).rubric, [
    { criterion: 'Nêu đúng ý nghĩa hình học', maxPoints: 0.5 },
    { criterion: 'Nêu đúng ý nghĩa vật lý', maxPoints: 0.25 },
  ]);
  t.match(r.items[1]!.warnings, [/Type essay/, /add up to 0.75, the question is worth 1/]);
  allValid(t, r);
});

t.test('reading passages become stimuli their questions reference', async (t) => {
  const r = readDocx(
    writeDocx({
      blocks: [
        p('Đọc đoạn văn sau và trả lời các câu từ 1 đến 2'),
        p('Hà Nội là thủ đô của Việt Nam.'),
        p('Thành phố có nhiều hồ.'),
        p('Câu 1. Thủ đô của Việt Nam là?'),
        p({ t: 'A.', u: true }, ' Hà Nội', { tab: true }, 'B. Huế'),
        p('Câu 2. Thành phố có nhiều gì?'),
        p({ t: 'A.', u: true }, ' hồ', { tab: true }, 'B. núi'),
        p('Câu 3. Câu không thuộc đoạn văn?'),
        p({ t: 'A.', u: true }, ' có', { tab: true }, 'B. không'),
      ],
    }),
  );
  t.same(r.stimuli, [{ id: 'docx-s1', title: 'Đọc đoạn văn sau và trả lời các câu từ 1 đến 2', content: '<p>Hà Nội là thủ đô của Việt Nam.</p><p>Thành phố có nhiều hồ.</p>' }]);
  t.same(r.items.map((i) => [i.item.stimulusId, i.stimulusOrder]), [['docx-s1', 0], ['docx-s1', 1], [undefined, undefined]]);
  allValid(t, r);
});

t.test('maths, MathType, pictures and tables in stems', async (t) => {
  const mathml = '<math xmlns="http://www.w3.org/1998/Math/MathML"><mfrac><mn>1</mn><mi>x</mi></mfrac></math>';
  const doc = writeDocx({
    media: { 'image1.png': PNG_1X1, 'eq1.wmf': new Uint8Array([1, 2, 3]), 'eq2.wmf': new Uint8Array([4, 5, 6]) },
    blocks: [
      p('Câu 1. Tính tích phân'),
      { runs: [], display: omath(`<m:nary><m:sub>${mr('0')}</m:sub><m:sup>${mr('1')}</m:sup><m:e>${mr('x dx')}</m:e></m:nary>`) },
      p('A. ', { mathtype: { preview: 'eq1.wmf', mathml } }, { tab: true }, { t: 'B.', u: true }, ' ', { mathtype: { preview: 'eq2.wmf' } }),
      p('Câu 2. Quan sát hình và bảng:'),
      p({ image: 'image1.png', width: 120, height: 80 }),
      { table: [[[p('x')], [p('1')]], [[p('y')], [p({ t: '2', b: true })]]] },
      p({ t: 'A.', u: true }, ' có', { tab: true }, 'B. không'),
    ],
  });
  const r = readDocx(doc);
  t.same(r.failed, []);
  t.equal(item(r, 0).stem, '<p>Tính tích phân</p><p>\\[\\int_{0}^{1}x dx\\]</p>');
  t.same(item(r, 0).options, [
    { id: 'A', text: '\\(\\frac{1}{x}\\)' },
    { id: 'B', text: '<img src="docx-media/eq2.wmf" alt="" width="80" height="24" />' },
  ]);
  t.match(r.items[0]!.warnings, [/MathType equation has no MathML in the file; its picture \(eq2.wmf\)/]);
  t.equal(item(r, 1).stem, '<p>Quan sát hình và bảng:</p><p><img src="docx-media/image1.png" alt="" width="120" height="80" /></p><table><tr><td>x</td><td>1</td></tr><tr><td>y</td><td>2</td></tr></table>');
  t.same(
    r.media.map((m) => [m.name, m.contentType, m.bytes.length]),
    [['eq2.wmf', 'image/x-wmf', 3], ['image1.png', 'image/png', PNG_1X1.length]],
    'pictures used are extracted once each; the preview of a converted MathType equation is not',
  );
  t.match(r.warnings, [/formats browsers do not show \(image\/x-wmf\): eq2.wmf/]);
  const inline = readDocx(doc, { imageSrc: dataUrlImages });
  t.match(item(inline, 1).stem, /<img src="data:image\/png;base64,iVBOR/);
  t.equal(checkItem(withDefaults(inline.items[1]!.item, DEFAULTS)).ok, true, 'data: pictures validate');
  allValid(t, r);
});

t.test('questions that cannot be read are reported with their number and reason', async (t) => {
  const r = readDocx(
    writeDocx({
      blocks: [
        p('PHẦN I'),
        p('Câu 1. Không có đáp án?'),
        p('A. a', { tab: true }, 'B. b'),
        p('Câu 2. Đáp án không có trong phương án?'),
        p('A. a', { tab: true }, 'B. b'),
        p('Đáp án: D'),
        p('Câu 3. Không có phương án nào.'),
        p('PHẦN II'),
        p('Câu 1. Ba mệnh đề'),
        p({ t: 'a)', u: true }, ' x'),
        p('b) y'),
        p('c) z'),
        p('Câu 2.'),
        p('Câu 3. Đúng'),
        p({ t: 'a)', u: true }, ' x'),
        p('b) y'),
        p('c) z'),
        p('d) t'),
      ],
    }),
  );
  t.same(
    r.failed.map((f) => [f.index, f.number, f.reason]),
    [
      [0, 1, 'No key: none of the options A, B is marked (underline, colour, highlight or bold) and no answer line or table gives one'],
      [1, 2, 'The key names option D, which the question does not have (options A, B)'],
      [2, 3, 'No options A, B, C, D were found for this multiple-choice question'],
      [3, 1, 'The question has 3 statements; a true/false cluster read from Word needs 4 (the national format) so that its scoring ladder is known'],
      [4, 2, 'The question has no text'],
    ],
  );
  t.same(r.items.map((i) => [i.index, i.number]), [[5, 3]]);
});

t.test('files that are not Word documents are refused as a whole', async (t) => {
  t.throws(() => readDocx(new Uint8Array(0)), new UnreadableFile('The file is empty'));
  t.throws(() => readDocx(strToU8('Câu 1. plain text')), new UnreadableFile('The file is not a .docx (Word) document'));
  t.throws(() => readDocx(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])), /old Word document \(\.doc\) or a password-protected one/);
  t.throws(() => readDocx(zipSync({ 'a.txt': strToU8('x') })), /not a Word document \(it has no word\/document.xml\)/);
  const doctype = zipSync({ 'word/document.xml': strToU8('<!DOCTYPE x [<!ENTITY a "b">]><w:document/>') });
  t.throws(() => readDocx(doctype), /DOCTYPE or entity declarations/);
});
