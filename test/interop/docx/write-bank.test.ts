import t from 'tap';
import { PassThrough } from 'node:stream';
import type { ItemContent } from '../../../src/bank/item-types.js';
import { checkItem } from '../../../src/bank/item-schemas.js';
import { withDefaults } from '../../../src/interop/interop-service.js';
import { dataUrlImages, readDocx } from '../../../src/interop/docx/read-docx.js';
import { bankDocument, DOCX_EXPORT_TYPES, writeBank, writeBankTo } from '../../../src/interop/docx/write-bank.js';
import type { ExportItem, ItemSource } from '../../../src/interop/model.js';

/**
 * The bank's Word export read back by the Word importer: every item of the
 * types the convention carries comes back with its stem, options,
 * statements, key, level, maths and pictures.
 */

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const base = { subject: 'toan', grade: 12, topic: 'ham-so' };

const items: ItemContent[] = [
  { ...base, cognitiveLevel: 1, type: 'single_choice', stem: 'Nghiệm của phương trình \\(x^{2}-5x+6=0\\) là', options: [{ id: 'o1', text: '\\(x=1\\)' }, { id: 'o2', text: '\\(x=2\\) và \\(x=3\\)' }, { id: 'o3', text: '\\(x=\\frac{1}{2}\\)' }, { id: 'o4', text: 'Vô nghiệm' }], correct: ['o2'] },
  { ...base, cognitiveLevel: 2, type: 'single_choice', stem: '<p>Quan sát hình vẽ <img src="' + PNG + '" alt="" /></p><p>Đồ thị trên là của hàm số nào?</p>', options: [{ id: 'a', text: '<i>nghiêng</i> một' }, { id: 'b', text: 'hai' }, { id: 'c', text: 'ba' }, { id: 'd', text: 'bốn' }], correct: ['d'] },
  { ...base, cognitiveLevel: 3, type: 'multiple_choice', stem: 'Chọn các số nguyên tố.', options: [{ id: 'a', text: '2' }, { id: 'b', text: '4' }, { id: 'c', text: '5' }, { id: 'd', text: '9' }], correct: ['a', 'c'] },
  { ...base, cognitiveLevel: 2, type: 'true_false_cluster', stem: 'Cho hàm số \\(y=\\sin x\\).', statements: [{ id: 's1', text: 'Hàm số tuần hoàn với chu kì \\(2\\pi\\).' }, { id: 's2', text: 'Hàm số chẵn.' }, { id: 's3', text: 'Giá trị lớn nhất bằng 1.' }, { id: 's4', text: 'Đồ thị đi qua gốc toạ độ.' }], values: { s1: true, s2: false, s3: true, s4: true } },
  { ...base, cognitiveLevel: 4, type: 'numeric', stem: 'Tính \\(\\int_{0}^{3} x\\,dx\\).', value: 4.5 },
  { ...base, cognitiveLevel: 3, type: 'essay', stem: 'Giải phương trình \\(2^{x}=8\\).', rubric: [{ criterion: 'Đưa về cùng cơ số', maxPoints: 0.5 }, { criterion: 'Kết luận x = 3', maxPoints: 0.5 }] },
];

const squash = (s: string) => s.replace(/<\/?p>/g, '').replace(/\s+/g, '');

t.test('export → readDocx gives the same items', async (t) => {
  const result = readDocx(await writeBank(items), { imageSrc: dataUrlImages });
  t.same(result.failed, [], 'no question fails');
  t.equal(result.items.length, items.length, 'every item comes back');
  const back = result.items.map((e) => e.item as unknown as Record<string, unknown>);
  const types = back.map((i) => i.type);
  t.same(types, ['single_choice', 'single_choice', 'multiple_choice', 'true_false_cluster', 'numeric', 'essay']);

  t.equal(squash(back[0]!.stem as string), squash(items[0]!.stem), 'stem with maths');
  t.same((back[0]!.options as { text: string }[]).map((o) => squash(o.text)), ['\\(x=1\\)', '\\(x=2\\)và\\(x=3\\)', '\\(x=\\frac{1}{2}\\)', 'Vônghiệm'], 'options with maths');
  t.same(back[0]!.correct, ['B'], 'key of the single choice');
  t.equal(back[0]!.cognitiveLevel, 1, 'level from the [NB] tag');
  t.match(back[1]!.stem as string, /<img src="data:image\/png;base64,/, 'the picture comes back');
  t.match(back[1]!.stem as string, /Đồ thị trên là của hàm số nào\?/);
  t.match((back[1]!.options as { text: string }[])[0]!.text, /<i>nghiêng<\/i>/, 'italics in an option');
  t.same(back[1]!.correct, ['D']);
  t.same(back[2]!.correct, ['A', 'C'], 'several keys: multiple choice');
  t.same(back[3]!.values, { a: true, b: false, c: true, d: true }, 'statement values');
  t.equal(squash((back[3]!.statements as { text: string }[])[0]!.text), squash(items[3]!.type === 'true_false_cluster' ? items[3]!.statements[0]!.text : ''));
  t.equal(back[4]!.value, 4.5, 'numeric value written with a decimal comma');
  t.equal(back[4]!.cognitiveLevel, 4);
  t.same(back[5]!.rubric, [{ criterion: 'Đưa về cùng cơ số', maxPoints: 0.5 }, { criterion: 'Kết luận x = 3', maxPoints: 0.5 }], 'marking guide as rubric');
  for (const entry of result.items) {
    const checked = checkItem(withDefaults(entry.item, { subject: 'toan', grade: 12, topic: 'ham-so', cognitiveLevel: 2 }));
    t.ok(checked.ok, `item ${entry.number} validates${checked.ok ? '' : JSON.stringify(checked.details)}`);
  }
});

t.test('types the convention cannot carry are left out', async (t) => {
  const extra: ItemContent[] = [
    ...items,
    { ...base, cognitiveLevel: 1, type: 'short_text', stem: 'Thủ đô?', accepted: ['Hà Nội'] },
    { ...base, cognitiveLevel: 1, type: 'true_false_cluster', stem: 'Ba ý', statements: [{ id: 'a', text: 'x' }, { id: 'b', text: 'y' }, { id: 'c', text: 'z' }], values: { a: true, b: true, c: false } },
  ];
  t.notOk(DOCX_EXPORT_TYPES.includes('short_text'));
  const result = readDocx(await writeBank(extra));
  t.equal(result.items.length, items.length);
  t.ok(bankDocument([]), 'an empty export is a document');
});

t.test('the streaming writer writes the same document', async (t) => {
  const source: ItemSource = {
    all: async function* () {
      for (const [i, item] of items.entries()) yield { ...item, id: `i${i}` } as ExportItem;
    },
    ofType: async function* () {},
  };
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeBankTo(source, out);
  out.end();
  t.equal(readDocx(Buffer.concat(chunks)).items.length, items.length);
});
