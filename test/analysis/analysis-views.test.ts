// The CSV and HTML reports on their own: hostile text stays text, and an exam
// without graded attempts still gives a valid page and file.
import t from 'tap';
import { analyzeAttempts, type AnalysisItem, type AttemptScores } from '../../src/analysis/index.js';
import type { AnalysisReport } from '../../src/analysis/analysis-service.js';
import { analysisCsv, analysisHtml } from '../../src/analysis/analysis-views.js';

async function report(items: AnalysisItem[], attempts: AttemptScores[], title = 'Kiểm tra giữa kỳ'): Promise<AnalysisReport> {
  const analysis = await analyzeAttempts(items, attempts);
  return {
    examId: 'e1',
    examTitle: title,
    subject: 'math',
    grade: 12,
    computedAt: '2030-05-01T03:04:05.000Z',
    fingerprint: 'f',
    excluded: { pendingManual: 0, otherRevision: 0, invalid: 0 },
    bank: { eligible: 0, minResponses: 20 },
    ...analysis,
    items: analysis.items.map((a, i) => ({ ...a, number: i + 1, type: 'single_choice', topic: 'ham-so', cognitiveLevel: 2, excerpt: '<img src=x onerror=alert(1)> câu hỏi' })),
  };
}

const hostile = '=HYPERLINK("http://evil")';
const items: AnalysisItem[] = [
  { itemId: 'q1', revision: 1, maxPoints: 1, options: ['A', 'B,C', hostile], key: ['A'] },
  { itemId: 'q2', revision: 1, maxPoints: 1, options: ['A', 'B'], key: ['B'] },
];
// Strong candidates pick the distractor "B,C" on q1: it gets flagged with that option.
const rows: [string, string][] = [
  ['B,C', 'B'], ['B,C', 'B'], ['B,C', 'B'], ['A', 'B'], ['A', 'A'],
  ['A', 'A'], [hostile, 'A'], [hostile, 'A'], ['A', 'B'], ['B,C', 'B'],
];
const attempts: AttemptScores[] = rows.map(([a, b]) => ({ itemScores: [a === 'A' ? 1 : 0, b === 'B' ? 1 : 0], choices: [a, b] }));

t.test('HTML escapes titles, excerpts and option ids', async (t) => {
  const html = analysisHtml(await report(items, attempts, '<script>alert("x")</script> Đề 1'));
  t.notMatch(html, /<script>alert/, 'title escaped');
  t.match(html, /&lt;script&gt;alert/);
  t.notMatch(html, /<img src=x/, 'excerpt escaped');
  t.match(html, /B,C/);
  t.notMatch(html, /<[^>]*HYPERLINK[^>]*>/, 'an option id never becomes markup');
  t.match(html, /<svg class="chart options"/, 'the flagged item has its option chart');
});

t.test('CSV quotes separators and defuses formulas', async (t) => {
  const csv = analysisCsv(await report(items, attempts));
  t.ok(csv.startsWith('\uFEFF'));
  const lines = csv.slice(1).trimEnd().split('\r\n');
  t.equal(lines.length, 3);
  t.match(lines[1]!, /,"A\*: 4 \([^)]*\) \| B,C: 4 /, 'the options cell is quoted: it holds commas');
  t.notMatch(csv, /,=HYPERLINK/, 'no cell starts with =');
  t.match(lines[1]!, /distractor_positive_point_biserial\(B,C\)/);
});

t.test('an exam without graded attempts', async (t) => {
  const empty = await report(items, []);
  t.equal(empty.candidates, 0);
  const html = analysisHtml(empty);
  t.match(html, /<svg class="chart histogram"/);
  t.match(html, /<svg class="chart scatter"/);
  t.match(html, /Không có câu nào cần xem xét/);
  t.notMatch(html, /NaN|undefined|Infinity/);
  const csv = analysisCsv(empty);
  t.equal(csv.slice(1).trimEnd().split('\r\n').length, 3, 'header and a row per item');
  t.notMatch(csv, /NaN|undefined|null/);
});
