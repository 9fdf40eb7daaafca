import { readFileSync } from 'node:fs';
import t from 'tap';
import { checkItem, checkStimulus } from '../../../src/bank/item-schemas.js';
import { withDefaults } from '../../../src/interop/interop-service.js';
import { readDocx, type ReadDocxResult } from '../../../src/interop/docx/read-docx.js';

/**
 * Real public exam papers (test/fixtures/docx/SOURCES.md says where each
 * comes from). The expected values were read off the documents rendered to
 * pictures (LibreOffice to PDF, pdftoppm to PNG), question by question.
 */

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/docx/${name}`, import.meta.url));
const read = (name: string, key?: string) => readDocx(fixture(name), key ? { answerKey: fixture(key) } : {});
const at = (r: ReadDocxResult, i: number) => r.items[i]!.item as unknown as Record<string, unknown>;
const keys = (r: ReadDocxResult) => r.items.map((i) => ((i.item as { correct?: string[] }).correct ?? []).join(''));
const abcd = (...texts: string[]) => texts.map((text, i) => ({ id: 'ABCD'[i]!, text }));

t.test('maths review paper in the 2025 format (PHẦN I, II, III; "Đáp án:" lines; LaTeX between dollars)', async (t) => {
  const r = read('thpt-2025-toan-on-luyen.docx');
  t.same(r.failed, []);
  t.same(r.warnings, []);
  t.same(r.items.map((i) => [i.number, i.item.type]), [[1, 'single_choice'], [2, 'single_choice'], [1, 'true_false_cluster'], [1, 'numeric'], [2, 'numeric']]);
  t.same(at(r, 0), {
    type: 'single_choice',
    stem: 'Nguyên hàm của hàm số \\(f(x) = \\cos(x)\\) là',
    options: abcd('\\(\\sin(x) + C\\).', '\\(-\\sin(x) + C\\).', '\\(\\cos(x) + C\\).', '\\(-\\cos(x) + C\\).'),
    correct: ['A'],
  });
  t.same(at(r, 1), {
    type: 'single_choice',
    stem: 'Tìm đạo hàm của hàm số \\(y = e^{2x}\\).',
    options: abcd("\\(y' = 2e^{2x}\\).", "\\(y' = e^{2x}\\).", "\\(y' = \\frac{1}{2}e^{2x}\\).", "\\(y' = 2xe^{2x-1}\\)."),
    correct: ['A'],
  });
  t.same(at(r, 2), {
    type: 'true_false_cluster',
    stem: 'Cho hàm số \\(f(x) = x^3 - 3x^2 + 2\\). Xét tính đúng sai của các khẳng định sau:',
    statements: [
      { id: 'a', text: 'Hàm số đồng biến trên khoảng \\((2; +\\infty)\\).' },
      { id: 'b', text: 'Hàm số nghịch biến trên khoảng \\((0; 2)\\).' },
      { id: 'c', text: 'Đồ thị hàm số có điểm cực đại là \\((0; 2)\\).' },
      { id: 'd', text: 'Giá trị cực tiểu của hàm số bằng \\(0\\).' },
    ],
    values: { a: true, b: true, c: true, d: false },
  });
  t.same(at(r, 3), { type: 'numeric', stem: 'Cho hình lập phương có cạnh bằng 3. Thể tích của khối lập phương đó bằng bao nhiêu?', value: 27 });
  t.same(at(r, 4), { type: 'numeric', stem: 'Tìm giá trị cực đại của hàm số \\(y = -x^2 + 4x + 1\\).', value: 5 });
  t.match(r.items[3]!.warnings, [/^Type numeric taken from section "PHẦN III\. Câu hỏi trắc nghiệm trả lời ngắn/]);
  t.same(r.items[0]!.warnings, []);
});

t.test('computer science review with tab-separated options and keys underlined in red', async (t) => {
  const r = read('tin-hoc-11-on-tap-giua-ky-2.docx');
  t.same(r.failed, []);
  t.equal(r.items.length, 24);
  t.same(keys(r).slice(0, 8), ['A', 'A', 'B', 'A', 'D', 'C', 'C', 'C']);
  t.same(at(r, 0), {
    type: 'single_choice',
    stem: 'Mảng một chiều là gì?',
    cognitiveLevel: 1,
    options: abcd('Dãy hữu hạn các phần tử cùng kiểu dữ liệu', 'Một bảng các phần tử khác kiểu dữ liệu', 'Một bảng các phần tử có cùng kiểu dữ liệu', 'Dãy hữu hạn các phần tử khác kiểu dữ liệu'),
    correct: ['A'],
  });
  t.equal(r.items[0]!.explanation, 'Mảng 1 chiều trong Pascal là 1 dãy hữu hạn các phần tử cùng kiểu, mỗi phần tử tương đương 1 biến đơn');
  t.same(r.items[0]!.warnings, ['Cognitive level 1 taken from the heading "Nhận biết:" before it']);
  t.same(at(r, 1).options, abcd('A[5]', 'A(5)', 'A5', 'A 5'), 'four options on one line, one of them "A 5"');
  t.equal(at(r, 4).cognitiveLevel, 2, 'the "Thông hiểu" heading applies to the questions after it');
  const q11 = r.items.find((i) => i.number === 11)!;
  t.equal(
    (q11.item as { stem: string }).stem,
    '<p>Giả sử N = 5, mảng A = [5, -1, -6, 4, 2], các phần tử của mảng A có chỉ số bắt đầu từ 1. S bằng bao nhiêu khi chạy đoạn chương trình sau?</p><p>S:= 0;</p><p>For i:= 1 To N Do</p><p>If A[i] &gt; 0 Then</p><p>S:= S + A[i];</p>',
  );
  t.same((q11.item as { correct: string[] }).correct, ['B']);
  t.equal((q11.item as { cognitiveLevel: number }).cognitiveLevel, 3);
});

t.test('practical exam: essays with points and figures', async (t) => {
  const r = read('thuc-hanh-cong-cu-phat-trien-phan-mem.docx');
  t.same(r.failed, []);
  t.same(r.items.map((i) => [i.number, i.item.type, i.item.points]), [[1, 'essay', 2], [2, 'essay', 5], [3, 'essay', 2], [4, 'essay', 2]]);
  t.equal(
    at(r, 0).stem,
    '<p>Viết hàm để thực hiện việc chèn vào bảng table số dòng, số cột do người dùng tự định nghĩa thông qua tham số của hàm:</p><p><img src="docx-media/image1.png" alt="" width="624" height="326" /></p>',
  );
  t.same(at(r, 0).rubric, [{ criterion: 'Đánh giá chung', maxPoints: 2 }]);
  t.same(r.items[0]!.warnings, ['No options and no key: read as an essay', 'No marking guide ("Hướng dẫn chấm") for this question: one overall criterion']);
  t.same(r.media.map((m) => [m.name, m.contentType, m.bytes.length]), [['image1.png', 'image/png', 46924], ['image2.png', 'image/png', 558978]]);
  t.equal(at(r, 1).stem, '<p>Design website responsive</p><p><img src="docx-media/image2.png" alt="" width="624" height="321" /></p>');
});

t.test('essay paper with its marking guide in a separate file', async (t) => {
  const alone = read('hoc-may-tu-luan.docx');
  t.same(alone.items.map((i) => (i.item as { rubric: unknown }).rubric), [1, 2, 3].map(() => [{ criterion: 'Đánh giá chung', maxPoints: 1 }]));
  const r = read('hoc-may-tu-luan.docx', 'hoc-may-tu-luan-dap-an.docx');
  t.same(r.failed, []);
  t.equal(at(r, 0).stem, 'Hãy giải thích sự khác biệt giữa Học có giám sát (Supervised Learning) và Học không giám sát (Unsupervised Learning).');
  const rubric = at(r, 0).rubric as { criterion: string; maxPoints: number }[];
  t.equal(rubric.length, 1);
  t.equal(rubric[0]!.maxPoints, 1);
  t.match(rubric[0]!.criterion, /^<p><b>Câu hỏi:<\/b> Hãy giải thích .*<b>Học có giám sát \(Supervised Learning\)<\/b> là phương pháp học máy trong đó mô hình được huấn luyện với tập dữ liệu có nhãn\./);
  t.same(r.items[0]!.warnings, ['No options and no key: read as an essay', "The marking guide gives no points per criterion: it is one criterion worth the question's points"]);
  t.match((at(r, 2).rubric as { criterion: string }[])[0]!.criterion, /Overfitting là hiện tượng/);
});

t.test('maths paper whose formulas and figures are pictures', async (t) => {
  const r = read('toan-de-anh.docx');
  t.same(r.failed, [{ index: 0, number: 1, reason: 'The key is option A, but no options "A.", "B.", … were found in the question' }], 'question 1\'s "A." follows stray letters');
  t.equal(r.items.length, 48);
  t.equal(r.media.length, 189);
  t.same(at(r, 0), {
    type: 'single_choice',
    stem: '<img src="docx-media/image3.png" alt="" width="531" height="47" />',
    options: abcd(
      '<img src="docx-media/image4.png" alt="" width="162" height="42" />',
      '<img src="docx-media/image5.png" alt="" width="164" height="44" />',
      '<img src="docx-media/image6.png" alt="" width="149" height="40" />',
      '<img src="docx-media/image7.png" alt="" width="154" height="42" />',
    ),
    correct: ['C'],
  });
  t.same(keys(r).slice(0, 3), ['C', 'B', 'A']);
});

t.test('2019 national history exam, one question per table row (VNHSGE layout)', async (t) => {
  const r = read('vnhsge-lich-su-2019.docx');
  t.same(r.failed, []);
  t.same(r.stimuli, []);
  t.same(r.items.map((i) => i.number), Array.from({ length: 40 }, (_, i) => i + 1));
  t.same(keys(r).slice(0, 4), ['D', 'B', 'B', 'C']);
  t.same(at(r, 0), {
    type: 'single_choice',
    stem: 'Từ năm 1950 đến nửa đầu những năm 70 của thế kỷ XX, quốc gia nào có nền công nghiệp đứng thứ hai thế giới?',
    options: abcd('Anh.', 'Mỹ.', 'Nhật Bản.', 'Liên Xô.'),
    correct: ['D'],
  });
  t.same(r.items[0]!.warnings, ['Key D taken from the letter D standing alone after the options']);
  t.match(r.items[0]!.explanation, /^<p>Từ năm 1950 đến những năm 70 của thế kỉ XX, Liên Xô trở thành quốc gia/);
  t.same(at(r, 2).options, abcd('khủng hoảng và suy thoái.', 'phát triển mạnh mẽ.', 'phát triển xen kẽ suy thoái.', 'phục hồi và phát triển.'));
});

t.test('2023 national English exam: shared instructions and reading passages (VNHSGE layout)', async (t) => {
  const r = read('vnhsge-tieng-anh-2023.docx');
  t.same(r.failed, []);
  t.equal(r.items.length, 50);
  t.same(keys(r).slice(0, 3), ['C', 'A', 'A']);
  t.same(at(r, 0), {
    type: 'single_choice',
    stem: 'Mark the letter A, B, C, or D to indicate the word whose underlined part differs from the other three in pronunciation in each of the following questions.',
    options: abcd('\\underline{th}ank', '\\underline{th}ick', '\\underline{th}at', '\\underline{th}ink'),
    correct: ['C'],
  });
  t.same(r.items[0]!.warnings, ['The question has no text of its own; the instruction before it is its stem', 'Key C taken from the letter C standing alone after the options']);
  t.same(
    r.stimuli.map((s) => [s.id, r.items.filter((i) => i.item.stimulusId === s.id).map((i) => i.number)]),
    [
      ['docx-s1', [34, 35, 36, 37, 38]],
      ['docx-s2', [39, 40, 41, 42, 43]],
      ['docx-s3', [44, 45, 46, 47, 48, 49, 50]],
    ],
    'a passage repeated in every row of its group is one stimulus',
  );
  t.match(r.stimuli[2]!.content, /^<p>It is often held that technology in general does little to help family relationships/);
  const q44 = r.items.find((i) => i.number === 44)!;
  t.same(q44.item, {
    type: 'single_choice',
    stem: 'Which of the following can be the title for the passage?',
    stimulusId: 'docx-s3',
    options: abcd('How to Deal with Generation Gap in the Family', 'How Technology Affects Family Relationships', 'Negative Impacts of Technology on Schoolchildren', 'TV and Smartphones as Means of Communication'),
    correct: ['B'],
  });
  t.equal(q44.stimulusOrder, 0);
});

t.test('every item read from the real papers validates against the item schemas once given defaults', async (t) => {
  const defaults = { subject: 'tong-hop', grade: 12, topic: 'de-thi', cognitiveLevel: 1 as const };
  const papers: [string, string?][] = [
    ['thpt-2025-toan-on-luyen.docx'],
    ['tin-hoc-11-on-tap-giua-ky-2.docx'],
    ['thuc-hanh-cong-cu-phat-trien-phan-mem.docx'],
    ['hoc-may-tu-luan.docx', 'hoc-may-tu-luan-dap-an.docx'],
    ['toan-de-anh.docx'],
    ['vnhsge-lich-su-2019.docx'],
    ['vnhsge-tieng-anh-2023.docx'],
  ];
  let count = 0;
  for (const [paper, key] of papers) {
    const r = read(paper, key);
    for (const entry of r.items) {
      const checked = checkItem(withDefaults(entry.item, defaults));
      if (!checked.ok) t.fail(`${paper} question ${entry.number}: ${JSON.stringify(checked.details)}`);
      count++;
    }
    for (const s of r.stimuli) t.ok(checkStimulus({ title: s.title, content: s.content, subject: 'tieng-anh' }).ok, `${paper} ${s.id}`);
  }
  t.equal(count, 5 + 24 + 4 + 3 + 48 + 40 + 50, 'all of them were checked');
});
