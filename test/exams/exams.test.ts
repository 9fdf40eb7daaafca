// Blueprints, exams, assembly, forms, printing and publishing through the
// HTTP API, against the real database, with a bank built and approved through
// the bank's own routes.
import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { adminSession, as, build, login, testConfig } from '../helper.js';
import { approvedItems, examWorld, itemBody, stimulus, WINDOW, type Caller, type ItemSpec } from '../support/fixtures/index.js';

// Shared set-up, made once for the whole file (it owns its database).
let app: Awaited<ReturnType<typeof build>>['app'];
let name: string;
let world: Awaited<ReturnType<typeof examWorld>>;
let manager: Caller, proctor: Caller, author: Caller, otherManager: Caller, candidate: Caller;
/** An exam manager who also reviews the department's items: the bank lets them read the keys (key-access.ts). */
let lead: Caller;
let blueprintId: string;
let created: LightMyRequestResponse;
let examId: string;
let assembled: LightMyRequestResponse;
const forms: FormJson[] = [];

t.before(async () => {
  ({ app, name } = await build(t));
  world = await examWorld(app, 6);
  ({ manager, proctor, author, otherManager, candidate } = world);
  const stimA = await stimulus(world, 'Ngữ liệu A');
  const specs: ItemSpec[] = [];
  const add = (n: number, spec: ItemSpec) => {
    for (let i = 0; i < n; i++) specs.push({ ...spec, label: `${spec.type}-${spec.topic}-${spec.cognitiveLevel}-${i}`, difficulty: Math.round((0.3 + (i % 5) * 0.1) * 100) / 100 });
  };
  add(6, { type: 'single_choice', topic: 'ham-so', cognitiveLevel: 1 });
  // A stimulus group inside the same cell, authored "second" before "first".
  specs.push(
    { type: 'single_choice', topic: 'ham-so', cognitiveLevel: 1, stimulusId: stimA, stimulusOrder: 2, label: 'stim-second' },
    { type: 'single_choice', topic: 'ham-so', cognitiveLevel: 1, stimulusId: stimA, stimulusOrder: 1, label: 'stim-first' },
  );
  add(6, { type: 'single_choice', topic: 'ham-so', cognitiveLevel: 2 });
  add(3, { type: 'true_false_cluster', topic: 'ham-so', cognitiveLevel: 3 });
  add(4, { type: 'numeric', topic: 'tich-phan', cognitiveLevel: 3 });
  add(2, { type: 'short_text', topic: 'tich-phan', cognitiveLevel: 4 });
  for (const type of ['multiple_choice', 'true_false', 'matching', 'ordering', 'cloze', 'essay'] as const) specs.push({ type, topic: 'tong-hop', cognitiveLevel: 2, label: `any-${type}` });
  await approvedItems(world, specs);
  // A draft in a drawn cell: never used.
  const draft = await author({ method: 'POST', url: '/api/items', payload: itemBody({ type: 'single_choice', topic: 'ham-so', cognitiveLevel: 1, label: 'draft-item' }) });
  if (draft.statusCode !== 201) throw new Error(draft.body);

  created = await manager({ method: 'POST', url: '/api/blueprints', payload: blueprintBody });
  if (created.statusCode !== 201) throw new Error(created.body);
  blueprintId = created.json().id;

  examId = await newExam({ seed: 'phân-tích-2025' });
  assembled = await manager({ method: 'POST', url: `/api/exams/${examId}/assemble` });
  const admin = as(app, (await adminSession(app)).token);
  const leadUser = await admin({ method: 'POST', url: '/api/users', payload: { username: 'w_lead', password: 'lead-password-1', displayName: 'Tổ trưởng', roles: [{ role: 'exam_manager', orgId: world.orgs.dep }, { role: 'reviewer', orgId: world.orgs.dep }] } });
  if (leadUser.statusCode !== 201) throw new Error(leadUser.body);
  lead = as(app, await login(app, 'w_lead', 'lead-password-1'));
  for (const code of ['101', '102', '103', '104']) forms.push((await lead({ method: 'GET', url: `/api/exams/${examId}/forms/${code}` })).json());
});

const blueprintBody = {
  title: 'Toán 12 – Kiểm tra giữa kỳ I',
  subject: 'math',
  grade: 12,
  durationMinutes: 90,
  sections: [
    {
      title: 'Phần I',
      type: 'single_choice',
      pointsPerItem: 0.25,
      shuffleItems: true,
      shuffleOptions: true,
      cells: [
        { topic: 'ham-so', cognitiveLevel: 1, count: 3 },
        { topic: 'ham-so', cognitiveLevel: 2, count: 2 },
      ],
    },
    { title: 'Phần II', type: 'true_false_cluster', pointsPerItem: 1, cells: [{ topic: 'ham-so', cognitiveLevel: 3, count: 1 }] },
    { title: 'Phần III', type: 'numeric', pointsPerItem: 0.5, cells: [{ topic: 'tich-phan', cognitiveLevel: 3, count: 2 }] },
    { title: 'Phần IV', type: 'short_text', cells: [{ topic: 'tich-phan', cognitiveLevel: 4, count: 1 }] },
    { title: 'Phần V', cells: [{ topic: 'tong-hop', cognitiveLevel: 2, count: 6 }] },
  ],
  constraints: { maxItemOverlap: 0.6, difficultyTolerance: 0.1 },
};
const ITEMS_PER_FORM = 15;


function examBody(extra: Record<string, unknown> = {}) {
  return { title: 'Kiểm tra giữa kỳ I – Toán 12', blueprintId, formCount: 4, ...WINDOW, durationMinutes: 90, candidateIds: world.candidateIds, showResults: 'after_close', ...extra };
}

async function newExam(extra: Record<string, unknown> = {}): Promise<string> {
  const res = await manager({ method: 'POST', url: '/api/exams', payload: examBody(extra) });
  if (res.statusCode !== 201) throw new Error(`exam: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

function errorOf(res: LightMyRequestResponse) {
  return res.json().error as { code: string; message: string; details: Record<string, unknown>[] };
}

t.test('blueprints are validated and belong to exam managers', async (t) => {
  const body = created.json();
  t.equal(body.title, blueprintBody.title);
  t.same(body.constraints, { maxItemOverlap: 0.6, difficultyTolerance: 0.1 });
  t.equal(body.ownerOrgId, world.orgs.dep);
  t.equal(body.sections.length, 5);

  const zero = await manager({ method: 'POST', url: '/api/blueprints', payload: { ...blueprintBody, sections: [{ title: 'I', type: 'single_choice', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 0 }] }] } });
  t.equal(zero.statusCode, 400);
  t.equal(errorOf(zero).code, 'validation_failed');
  t.match(errorOf(zero).details, [{ instancePath: '/sections', message: /zero items/ }]);
  const empty = await manager({ method: 'POST', url: '/api/blueprints', payload: { ...blueprintBody, sections: [] } });
  t.equal(empty.statusCode, 400);

  const dup = await manager({
    method: 'POST',
    url: '/api/blueprints',
    payload: {
      ...blueprintBody,
      sections: [{ title: 'I', type: 'single_choice', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 2 }, { topic: 'ham-so', cognitiveLevel: 1, count: 1 }] }],
    },
  });
  t.equal(dup.statusCode, 400);
  t.equal(errorOf(dup).code, 'validation_failed');
  t.match(errorOf(dup).details, [{ instancePath: '/sections/0/cells/1', message: /duplicates \/sections\/0\/cells\/0/ }]);

  const unknownType = await manager({ method: 'POST', url: '/api/blueprints', payload: { ...blueprintBody, sections: [{ title: 'I', type: 'essay_plus', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 1 }] }] } });
  t.equal(unknownType.statusCode, 400);
  t.equal(errorOf(unknownType).code, 'validation_failed');
  t.ok(errorOf(unknownType).details.some((d) => d.instancePath === '/sections/0/type'), 'the detail points at the type');

  t.equal((await author({ method: 'POST', url: '/api/blueprints', payload: blueprintBody })).statusCode, 403);
  t.equal((await manager({ method: 'GET', url: `/api/blueprints/${blueprintId}` })).statusCode, 200);
  t.equal((await proctor({ method: 'GET', url: `/api/blueprints/${blueprintId}` })).statusCode, 403);
  t.equal((await otherManager({ method: 'GET', url: `/api/blueprints/${blueprintId}` })).statusCode, 404);
});

t.test('exams are created as drafts with a stored seed', async (t) => {
  const res = await manager({ method: 'POST', url: '/api/exams', payload: examBody() });
  t.equal(res.statusCode, 201, res.body);
  const exam = res.json();
  t.equal(exam.status, 'draft');
  t.match(exam.seed, /^[0-9a-f]{32}$/, 'a generated seed is shown');
  t.equal(exam.formCount, 4);
  t.equal(exam.ownerOrgId, world.orgs.dep);
  t.same(exam.candidateIds, world.candidateIds);
  t.equal(exam.opensAt, WINDOW.opensAt);
  const again = (await manager({ method: 'GET', url: `/api/exams/${exam.id}` })).json();
  t.equal(again.seed, exam.seed, 'the seed is stored');
  const other = (await manager({ method: 'POST', url: '/api/exams', payload: examBody() })).json();
  t.not(other.seed, exam.seed);
  const seeded = (await manager({ method: 'POST', url: '/api/exams', payload: examBody({ seed: 'hạt-giống-2025' }) })).json();
  t.equal(seeded.seed, 'hạt-giống-2025');

  for (const [bad, path] of [
    [{ formCount: 0 }, '/formCount'],
    [{ formCount: 101 }, '/formCount'],
    [{ showResults: 'sometimes' }, '/showResults'],
    [{ closesAt: '2030-05-01T00:00:00.000Z' }, '/closesAt'],
    [{ blueprintId: 'nope' }, '/blueprintId'],
    [{ candidateIds: ['no-such-user'] }, '/candidateIds/0'],
  ] as const) {
    const r = await manager({ method: 'POST', url: '/api/exams', payload: examBody(bad) });
    t.equal(r.statusCode, 400, `${path} → 400`);
    t.equal(errorOf(r).code, 'validation_failed');
    t.ok(errorOf(r).details.some((d) => d.instancePath === path), `detail at ${path}`);
  }
  t.equal((await author({ method: 'POST', url: '/api/exams', payload: examBody() })).statusCode, 403);
  t.equal((await proctor({ method: 'POST', url: '/api/exams', payload: examBody() })).statusCode, 403);
  const foreign = await otherManager({ method: 'POST', url: '/api/exams', payload: examBody() });
  t.equal(foreign.statusCode, 400, 'another department cannot use this blueprint');

  // Who sees what of an exam.
  const forCandidate = await candidate({ method: 'GET', url: `/api/exams/${exam.id}` });
  t.equal(forCandidate.statusCode, 200);
  t.notOk('seed' in forCandidate.json());
  t.notOk('candidateIds' in forCandidate.json());
  const forProctor = await proctor({ method: 'GET', url: `/api/exams/${exam.id}` });
  t.equal(forProctor.statusCode, 200);
  t.notOk('seed' in forProctor.json());
  t.equal((await author({ method: 'GET', url: `/api/exams/${exam.id}` })).statusCode, 403);
  t.equal((await otherManager({ method: 'GET', url: `/api/exams/${exam.id}` })).statusCode, 404);
  t.equal((await manager({ method: 'GET', url: '/api/exams/000000000000000000000000' })).statusCode, 404);
});

interface FormJson {
  code: string;
  hash: string;
  itemCount: number;
  totalPoints: number;
  items: (Record<string, unknown> & { itemId: string; section: number; type: string; topic: string; cognitiveLevel: number; stem: string; options?: { id: string; text: string }[]; optionOrder?: string[] })[];
}


t.test('assembly meets every cell exactly on every form, with approved items only', async (t) => {
  t.equal(assembled.statusCode, 200, assembled.body);
  const body = assembled.json();
  t.equal(body.seed, 'phân-tích-2025');
  t.same(body.forms.map((f: { code: string }) => f.code), ['101', '102', '103', '104']);
  t.type(body.overlap, 'number');
  t.type(body.difficultySpread, 'number');
  for (const [i, summary] of (body.forms as { code: string; itemCount: number; totalPoints: number; hash: string }[]).entries()) {
    t.equal(summary.itemCount, ITEMS_PER_FORM);
    t.equal(summary.totalPoints, 5 * 0.25 + 1 + 2 * 0.5 + 1 + 6);
    t.equal(forms[i]!.hash, summary.hash);
    t.match(summary.hash, /^[0-9a-f]{64}$/);
  }
  blueprintBody.sections.forEach((section, s) => {
    for (const cell of section.cells) {
      for (const form of forms) {
        const got = form.items.filter((i) => i.section === s && i.topic === cell.topic && i.cognitiveLevel === cell.cognitiveLevel && (!section.type || i.type === section.type));
        t.equal(got.length, cell.count, `form ${form.code}, ${section.title}, ${cell.topic}/${cell.cognitiveLevel}`);
      }
    }
  });
  for (const form of forms) {
    t.equal(form.items.length, ITEMS_PER_FORM);
    t.equal(new Set(form.items.map((i) => i.itemId)).size, ITEMS_PER_FORM, 'no item twice');
    t.notOk(form.items.some((i) => i.stem.includes('draft-item')), 'drafts are never drawn');
    t.same([...new Set(form.items.map((i) => i.section))], [0, 1, 2, 3, 4], 'sections in blueprint order');
    for (const item of form.items.filter((i) => i.type === 'single_choice')) {
      t.same(item.options!.map((o) => o.id), item.optionOrder, 'options come in delivery order');
      t.equal(item.options![3]!.id, 'D', 'the fixed option keeps its place');
      t.same(item.correct, ['A'], 'the key is included for an exam manager who may review the item');
      t.equal(item.points, 0.25, 'pointsPerItem overrides item points');
    }
    // The stimulus group: drawn whole, delivered together, in authored order.
    const stim = form.items.map((it, i) => ({ i, label: /stim-(first|second)/.exec(it.stem)?.[0] })).filter((x) => x.label);
    if (stim.length) {
      t.same(stim.map((x) => x.label), ['stim-first', 'stim-second'], `form ${form.code}: stimulus items in authored order`);
      t.equal(stim[1]!.i, stim[0]!.i + 1, 'and next to each other');
    }
  }
  const withStimulus = forms.filter((f) => f.items.some((i) => i.stem.includes('stim-first'))).length;
  t.ok(withStimulus > 0, `the stimulus group is drawn on ${withStimulus} form(s)`);

  t.equal((await manager({ method: 'GET', url: `/api/exams/${examId}/forms/999` })).statusCode, 404, 'unknown form code');
  const list = (await manager({ method: 'GET', url: `/api/exams/${examId}/forms` })).json();
  t.same(list.forms.map((f: { hash: string }) => f.hash), forms.map((f) => f.hash));
  const exam = (await manager({ method: 'GET', url: `/api/exams/${examId}` })).json();
  t.same(exam.formCodes, ['101', '102', '103', '104']);
});

t.test('only exam managers of the owning organisation assemble, read forms and keys, and publish', async (t) => {
  for (const [who, call, status] of [
    ['proctor', proctor, 403],
    ['author', author, 403],
    ['candidate', candidate, 403],
    ['other department', otherManager, 404],
  ] as const) {
    t.equal((await call({ method: 'POST', url: `/api/exams/${examId}/assemble` })).statusCode, status, `${who}: assemble`);
    t.equal((await call({ method: 'GET', url: `/api/exams/${examId}/forms/101` })).statusCode, status, `${who}: form`);
    t.equal((await call({ method: 'GET', url: `/api/exams/${examId}/forms/101?format=html` })).statusCode, status, `${who}: printable`);
    t.equal((await call({ method: 'GET', url: `/api/exams/${examId}/answer-key?format=csv` })).statusCode, status, `${who}: answer key`);
    t.equal((await call({ method: 'POST', url: `/api/exams/${examId}/publish` })).statusCode, status, `${who}: publish`);
  }
  t.equal((await manager({ method: 'POST', url: '/api/exams/000000000000000000000000/assemble' })).statusCode, 404);
  t.equal((await app.inject({ method: 'POST', url: `/api/exams/${examId}/assemble` })).statusCode, 401);
});

const KEY_FIELDS = ['correct', 'value', 'values', 'accepted', 'pairs', 'order', 'tolerance', 'ladder', 'scoring', 'rubric', 'points', 'maxPoints', 'difficulty', 'caseSensitive', 'ignoreDiacritics'];

function keyFieldsIn(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyFieldsIn(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(KEY_FIELDS.includes(k) ? [`${path}.${k}`] : []), ...keyFieldsIn(v, `${path}.${k}`)]);
}

t.test('candidate forms carry no key and no scoring data, and candidates spread evenly over the codes', async (t) => {
  const exam = (await app.exams.byId(examId))!;
  for (const form of forms) {
    const items = await app.exams.candidateForm(exam, form.code);
    t.equal(items.length, ITEMS_PER_FORM);
    t.same(keyFieldsIn(items), [], `form ${form.code}: no key field anywhere`);
    const json = JSON.stringify(items);
    t.notOk(json.includes('ĐÁPÁNBÍMẬT'), 'no accepted answer text');
    t.notOk(json.includes('987.654'), 'no numeric key');
    t.same(items.map((i) => i.itemId), form.items.map((i) => i.itemId), 'delivery order');
    for (const [i, item] of items.entries()) {
      const full = form.items[i]!;
      if (item.options) {
        t.same(item.options.map((o) => o.text), full.options!.map((o) => o.text), 'options in delivery order');
        t.same(item.options.filter((o) => full.optionOrder!.includes(o.id)), [], 'under opaque ids, never the authored ones');
      }
      if (item.type === 'cloze') t.same(item.blanks, [{ id: 'b1' }, { id: 'b2' }]);
      if (item.type === 'essay') t.same(item.criteria, ['Lập luận', 'Trình bày']);
    }
    t.same(
      [...new Set(items.map((i) => i.type))].sort(),
      ['cloze', 'essay', 'matching', 'multiple_choice', 'numeric', 'ordering', 'short_text', 'single_choice', 'true_false', 'true_false_cluster'],
      'every item type is covered',
    );
  }
  const codes = world.candidateIds.map((id) => app.exams.formCodeFor(exam, id));
  const counts = new Map<string, number>();
  for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
  t.same([...counts.values()].sort(), [1, 1, 2, 2], '6 candidates over 4 forms: 2, 2, 1, 1');
  t.same(world.candidateIds.map((id) => app.exams.formCodeFor({ ...exam, candidateIds: [...exam.candidateIds].reverse() }, id)), codes, 'the roster order does not matter');
});

t.test('printable paper forms and the answer key', async (t) => {
  const page = await manager({ method: 'GET', url: `/api/exams/${examId}/forms/101?format=html` });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html; charset=utf-8/);
  const html = page.body;
  t.match(html, /<!doctype html>/);
  t.match(html, /Kiểm tra giữa kỳ I – Toán 12/);
  t.match(html, /Mã đề 101/);
  t.match(html, /Câu 1\./);
  t.match(html, new RegExp(`Câu ${ITEMS_PER_FORM}\\.`));
  t.notMatch(html, new RegExp(`Câu ${ITEMS_PER_FORM + 1}\\.`));
  for (const label of ['A.', 'B.', 'C.', 'D.']) t.match(html, `<span class="label">${label}</span>`);
  t.match(html, /class="katex"/, 'maths rendered by KaTeX');
  t.match(html, /class="katex-display"/, 'display maths too');
  t.notMatch(html, /\\\(/, 'no raw maths delimiters left');
  t.notMatch(html, /ĐÁPÁNBÍMẬT|987\.654|"correct"/, 'no key');
  t.match(html, /Phần I/);
  if (forms[0]!.items.some((i) => i.stem.includes('stim-first'))) t.match(html, /Ngữ liệu A/, 'the passage is printed');
  const css = await app.inject({ method: 'GET', url: '/static/katex/katex.min.css' });
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], /text\/css/);
  t.equal((await app.inject({ method: 'GET', url: '/static/katex/fonts/KaTeX_Main-Regular.woff2' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/static/katex/fonts/..%2F..%2Fpackage.json' })).statusCode, 404);

  const csv = await lead({ method: 'GET', url: `/api/exams/${examId}/answer-key?format=csv` });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.ok(csv.body.startsWith('\uFEFFform_code,number,part,item_id,revision,type,points,key'), 'BOM and header');
  const rows = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => l.split(','));
  t.equal(rows.length, 4 * ITEMS_PER_FORM);
  for (const form of forms) {
    const formRows = rows.filter((r) => r[0] === form.code);
    t.equal(formRows.length, ITEMS_PER_FORM);
    form.items.forEach((item, i) => {
      const row = formRows[i]!;
      t.equal(row[3], item.itemId);
      if (item.type === 'single_choice') t.equal(row[7], 'ABCDEFGHIJ'[item.optionOrder!.indexOf('A')], `form ${form.code} câu ${i + 1}: the letter of A on this form`);
      if (item.type === 'numeric') t.equal(row[7], '987.654 ± 0.001');
    });
  }
  const json = (await lead({ method: 'GET', url: `/api/exams/${examId}/answer-key` })).json();
  t.same(json.forms.map((f: { code: string }) => f.code), ['101', '102', '103', '104']);
  t.equal(json.forms[0].items.length, ITEMS_PER_FORM);

  // An exam manager who neither writes nor reviews the items gets them without keys until the exam opens.
  const plain = (await manager({ method: 'GET', url: `/api/exams/${examId}/answer-key` })).json();
  t.ok(plain.forms[0].items.every((r: { key?: string; keyWithheld?: boolean }) => r.keyWithheld === true && r.key === undefined), 'every key withheld from a plain exam manager');
  const plainForm = (await manager({ method: 'GET', url: `/api/exams/${examId}/forms/101` })).json();
  t.same(keyFieldsIn(plainForm.items.map(({ points: _p, ...rest }: Record<string, unknown>) => rest)).filter((f) => !/\.(scoring|ladder|difficulty)$/.test(f)), [], 'and the form carries no key (what the bank shows without one stays)');
});

t.test('a blueprint the bank cannot fill is 422 blueprint_infeasible, listing every short cell', async (t) => {
  const bp = await manager({
    method: 'POST',
    url: '/api/blueprints',
    payload: {
      ...blueprintBody,
      sections: [
        { title: 'Phần I', type: 'single_choice', cells: [{ topic: 'ham-so', cognitiveLevel: 1, count: 2 }, { topic: 'ham-so', cognitiveLevel: 2, count: 7 }] },
        { title: 'Phần II', type: 'short_text', cells: [{ topic: 'tich-phan', cognitiveLevel: 4, count: 3 }, { topic: 'khong-co', cognitiveLevel: 1, count: 1 }] },
      ],
    },
  });
  t.equal(bp.statusCode, 201);
  const id = await newExam({ blueprintId: bp.json().id });
  const res = await manager({ method: 'POST', url: `/api/exams/${id}/assemble` });
  t.equal(res.statusCode, 422);
  t.equal(errorOf(res).code, 'blueprint_infeasible');
  t.match(errorOf(res).details, [
    { section: 0, topic: 'ham-so', cognitiveLevel: 2, needed: 7, available: 6 },
    { section: 1, topic: 'tich-phan', cognitiveLevel: 4, needed: 3, available: 2 },
    { section: 1, topic: 'khong-co', cognitiveLevel: 1, needed: 1, available: 0 },
  ]);
  t.equal(errorOf(res).details.length, 3);
  t.same((await manager({ method: 'GET', url: `/api/exams/${id}` })).json().formCodes, [], 'nothing stored');
});

t.test('the same bank, blueprint and seed give identical forms in a separately built app; another seed differs', async (t) => {
  const seed = 'cùng-hạt-giống';
  const first = await newExam({ seed });
  const a = await manager({ method: 'POST', url: `/api/exams/${first}/assemble` });
  t.equal(a.statusCode, 200);
  const formsA = await Promise.all(['101', '102', '103', '104'].map(async (c) => (await manager({ method: 'GET', url: `/api/exams/${first}/forms/${c}` })).body));

  // A second application instance over the same database: its own connection, its own process state.
  // (Not build(): its teardown would drop the shared database when this subtest ends.)
  const second = await buildApp(testConfig(name), { logger: false });
  t.teardown(() => second.close());
  await second.ready();
  const manager2 = as(second, world.managerToken);
  const b = await manager2({ method: 'POST', url: `/api/exams/${first}/assemble` });
  t.equal(b.statusCode, 200);
  t.equal(b.body, a.body, 'byte-identical assemble answers (seed, codes, counts, hashes)');
  for (const [i, c] of ['101', '102', '103', '104'].entries()) {
    const body = (await manager2({ method: 'GET', url: `/api/exams/${first}/forms/${c}` })).body;
    t.equal(body, formsA[i], `form ${c} is byte-identical`);
  }
  // A new exam with the same seed in the second app draws the same forms again.
  const twin = (await manager2({ method: 'POST', url: '/api/exams', payload: examBody({ seed }) })).json().id;
  const c = await manager2({ method: 'POST', url: `/api/exams/${twin}/assemble` });
  t.same(c.json().forms, a.json().forms);

  const other = await newExam({ seed: 'một-hạt-giống-khác' });
  const d = (await manager({ method: 'POST', url: `/api/exams/${other}/assemble` })).json();
  t.equal(d.seed, 'một-hạt-giống-khác');
  const hashesA = a.json().forms.map((f: { hash: string }) => f.hash);
  t.notSame(d.forms.map((f: { hash: string }) => f.hash), hashesA, 'another seed gives other forms');
});

t.test('publishing freezes the forms', async (t) => {
  const id = await newExam();
  await t.rejects(app.exams.deliveryFor(id, world.candidateIds[0]!), { code: 'invalid_transition' }, 'no delivery before publication');
  const early = await manager({ method: 'POST', url: `/api/exams/${id}/publish` });
  t.equal(early.statusCode, 409);
  t.equal(errorOf(early).code, 'invalid_transition', 'nothing to publish before assembly');

  const first = (await manager({ method: 'POST', url: `/api/exams/${id}/assemble` })).json();
  const again = (await manager({ method: 'POST', url: `/api/exams/${id}/assemble` })).json();
  t.same(again.forms, first.forms, 're-assembly before publishing replaces the forms with the same draw');

  const pub = await manager({ method: 'POST', url: `/api/exams/${id}/publish` });
  t.equal(pub.statusCode, 200);
  t.same(pub.json(), { status: 'published' });
  const locked = await manager({ method: 'POST', url: `/api/exams/${id}/assemble` });
  t.equal(locked.statusCode, 409);
  t.equal(errorOf(locked).code, 'exam_locked');
  const twice = await manager({ method: 'POST', url: `/api/exams/${id}/publish` });
  t.equal(twice.statusCode, 409);
  t.equal(errorOf(twice).code, 'invalid_transition');
  const exam = (await manager({ method: 'GET', url: `/api/exams/${id}` })).json();
  t.equal(exam.status, 'published');
  t.ok(exam.publishedAt);
  const list = (await manager({ method: 'GET', url: `/api/exams/${id}/forms` })).json();
  t.same(list.forms.map((f: { hash: string }) => f.hash), first.forms.map((f: { hash: string }) => f.hash), 'the frozen forms are the assembled ones');
  t.equal(await app.models.Form.countDocuments({ examId: id }), 4, 'earlier draft forms were replaced, not kept');

  // What the live path gets at join: the assigned form, allow-listed.
  const delivery = await app.exams.deliveryFor(id, world.candidateIds[0]!);
  t.ok(['101', '102', '103', '104'].includes(delivery.formCode));
  t.equal(delivery.items.length, ITEMS_PER_FORM);
  t.same(keyFieldsIn(delivery.items), []);
  t.equal((await app.exams.deliveryFor(id, world.candidateIds[0]!, '103')).formCode, '103', 'a rejoin keeps the stored code');
  await t.rejects(app.exams.deliveryFor(id, world.managerId), { code: 'forbidden' }, 'not on the roster');
  await t.rejects(app.exams.deliveryFor('000000000000000000000000', world.candidateIds[0]!), { code: 'not_found' });

  const audit = (await manager({ method: 'GET', url: `/api/audit?target=exam:${id}` })).json();
  const actions = audit.records.map((r: { action: string }) => r.action).sort();
  t.same(actions, ['exam.assemble', 'exam.assemble', 'exam.create', 'exam.publish'], 'creation, assembly and publication are audited');
  const published = audit.records.find((r: { action: string }) => r.action === 'exam.publish');
  t.same(published.summary.forms, first.forms.map((f: { code: string; hash: string }) => `${f.code}:${f.hash}`), 'with the hashes of the frozen forms');
});
