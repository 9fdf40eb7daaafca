// No cell of any spreadsheet export starts a formula, whichever separator the
// spreadsheet program splits on: comma, semicolon (Excel in a Vietnamese
// locale, where the comma is the decimal mark) or tab. Names and keys that
// smuggle a formula behind a separator go in through the public API.
import t from 'tap';
import { unzipSync } from 'fflate';
import { adminSession, as, build } from '../helper.js';
import { approvedItems, examWorld, itemBody } from '../support/fixtures/index.js';
import { rightAnswer, submitAttempts, wrongAnswer } from '../support/grading.js';

const SEMICOLON = 'Trần Văn An;=1+1;';
const TAB = 'x\t=HYPERLINK("http://example.invalid","bấm")';
const QUOTED = 'y;"=2+2"';

/** A number as a spreadsheet reads one: not a formula. */
const NUMBER = /^-?\d+(?:[.,]\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Every piece of the file that a spreadsheet splitting on `separator` could
 * take as a cell, starting as a formula. Quotes are honoured only where a
 * piece starts (as spreadsheet programs do), so a quoted comma-separated
 * field does not shield what follows a semicolon inside it.
 */
function formulaCells(text: string): string[] {
  const found: string[] = [];
  const body = text.replace(/^\uFEFF/, '');
  for (const separator of [',', ';', '\t']) {
    for (const line of body.split(/\r\n|\n|\r/)) {
      for (const piece of line.split(separator)) {
        const cell = piece.replace(/^"+/, '');
        if (FORMULA_START.test(cell) && !NUMBER.test(cell.replace(/"+$/, ''))) found.push(`${JSON.stringify(separator)}: ${cell}`);
      }
    }
  }
  return found;
}

const { app } = await build(t);
const w = await examWorld(app, 2, 'xc');
const admin = as(app, (await adminSession(app)).token);
// The names come from an administrator's roster edit, as in any school.
await admin({ method: 'PATCH', url: `/api/users/${w.candidateIds[0]}`, payload: { displayName: SEMICOLON, studentId: TAB } });
await admin({ method: 'PATCH', url: `/api/users/${w.candidateIds[1]}`, payload: { displayName: QUOTED, studentId: '-2' } });

const topic = 'xuat-file';
const specs = [
  { type: 'short_text' as const, topic, cognitiveLevel: 1 as const },
  { type: 'numeric' as const, topic, cognitiveLevel: 1 as const },
  { type: 'single_choice' as const, topic, cognitiveLevel: 1 as const },
];
const itemIds = await approvedItems(w, specs);
// The keys an author typed: formulas behind separators, and a negative number.
const [textId, numericId, choiceId] = itemIds as [string, string, string];
async function rewrite(id: string, change: Record<string, unknown>) {
  const current = (await w.author({ method: 'GET', url: `/api/items/${id}` })).json();
  const res = await w.author({ method: 'PUT', url: `/api/items/${id}`, payload: { ...current, ...change } });
  if (res.statusCode !== 200) throw new Error(`${id}: ${res.body}`);
  await w.author({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'in_review' } });
  await w.reviewer({ method: 'POST', url: `/api/items/${id}/status`, payload: { status: 'approved' } });
}
await rewrite(textId, { accepted: [SEMICOLON, TAB, QUOTED], tags: ['=cmd|calc', SEMICOLON] });
await rewrite(numericId, { value: -3, tolerance: 0 });
await rewrite(choiceId, {
  ...itemBody({ type: 'single_choice', topic, cognitiveLevel: 1 }),
  options: [{ id: '-A', text: '=1+1' }, { id: 'B', text: SEMICOLON }, { id: 'C', text: TAB }],
  correct: ['-A'],
});

const blueprint = (await w.manager({
  method: 'POST',
  url: '/api/blueprints',
  payload: { title: 'Xuất tệp', subject: 'math', grade: 12, durationMinutes: 30, sections: [{ title: 'Phần I', cells: [{ topic, cognitiveLevel: 1, count: 3 }] }] },
})).json();
const now = Date.now();
const exam = (await w.manager({
  method: 'POST',
  url: '/api/exams',
  payload: { title: 'Xuất tệp', blueprintId: blueprint.id, formCount: 1, opensAt: new Date(now - 3600_000).toISOString(), closesAt: new Date(now + 3600_000).toISOString(), durationMinutes: 30, candidateIds: w.candidateIds, showResults: 'never' },
})).json();
await w.manager({ method: 'POST', url: `/api/exams/${exam.id}/assemble` });
await w.manager({ method: 'POST', url: `/api/exams/${exam.id}/publish` });
const submitted = await submitAttempts(app, exam.id, w.candidateIds, (i, item) => (i === 0 ? rightAnswer(item) : wrongAnswer(item)));
await app.grading.gradeBatch(submitted.map((s) => s.attemptId));

async function csvOf(url: string, call = w.manager): Promise<string> {
  const res = await call({ method: 'GET', url });
  t.equal(res.statusCode, 200, url);
  return res.body;
}

t.test('results CSV', async (t) => {
  const csv = await csvOf(`/api/exams/${exam.id}/results?format=csv`);
  t.match(csv, 'Trần Văn An', 'the names are there');
  t.same(formulaCells(csv), []);
  const scores = csv.split('\r\n').slice(1, 3).map((l) => l.split(',').slice(-5, -2));
  t.ok(scores.every((row) => row.every((c) => NUMBER.test(c))), `scores stay numbers: ${JSON.stringify(scores)}`);
});

t.test('answer key CSV', async (t) => {
  const csv = await csvOf(`/api/exams/${exam.id}/answer-key?format=csv`);
  t.match(csv, 'Trần Văn An');
  t.same(formulaCells(csv), []);
  t.match(csv, /,numeric,1,-3\r\n/, 'a negative key stays a number');
});

t.test('analysis CSV', async (t) => {
  const csv = await csvOf(`/api/exams/${exam.id}/analysis?format=csv`);
  t.match(csv, /-A/, 'the option ids are there');
  t.same(formulaCells(csv), []);
});

t.test('bank CSV export, and it reads back as written', async (t) => {
  const csv = await csvOf('/api/items/export?format=csv&topic=xuat-file', w.author);
  t.same(formulaCells(csv), []);
  const imported = await w.author({ method: 'POST', url: '/api/items/import?format=csv', headers: { 'content-type': 'text/csv' }, payload: csv });
  t.equal(imported.statusCode, 200, imported.body);
  t.equal(imported.json().imported, 3);
  const back = await Promise.all((imported.json().ids as string[]).map(async (id) => (await w.author({ method: 'GET', url: `/api/items/${id}` })).json()));
  const text = back.find((i) => i.type === 'short_text');
  t.same(text.accepted, [SEMICOLON, TAB, QUOTED], 'the guard is undone on import');
  t.same(text.tags, ['=cmd|calc', SEMICOLON]);
  t.equal(back.find((i) => i.type === 'numeric').value, -3);
});

t.test('bank xlsx export: text is stored as text, never as a formula', async (t) => {
  const res = await w.author({ method: 'GET', url: '/api/items/export?format=xlsx&topic=xuat-file' });
  t.equal(res.statusCode, 200);
  const files = unzipSync(new Uint8Array(res.rawPayload));
  const sheets = Object.entries(files).filter(([name]) => /^xl\/worksheets\/sheet\d+\.xml$/.test(name));
  t.ok(sheets.length >= 3);
  for (const [name, bytes] of sheets) {
    const xml = new TextDecoder().decode(bytes);
    t.notMatch(xml, /<f[ >]/, `${name}: no formula cells`);
  }
  const all = Object.values(files).map((b) => new TextDecoder().decode(b)).join('\n');
  t.match(all, /Trần Văn An;=1\+1;/, 'the text itself is kept as written');
});
