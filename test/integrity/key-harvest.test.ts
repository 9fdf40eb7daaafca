// Key harvest through a draft exam: an exam manager of another department draws
// national and subtree items into an exam that will never run, and tries to read
// their keys through the forms, the answer key, the printable paper and the
// analysis. One rule decides who reads a key: the bank's (authors and reviewers
// of the item's organisation), and through an exam only once it is published
// and open.
import t, { type Test } from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { approvedItems, examWorld, ok, WINDOW } from '../support/fixtures/index.js';

const { app } = await build(t);
const w = await examWorld(app, 1, 'kh');
const admin = as(app, (await adminSession(app)).token);
// Ministry staff whose `subtree` items every department may draw.
const ministryUser = async (name: string, role: string) => {
  await ok(await admin({ method: 'POST', url: '/api/users', payload: { username: `kh_ministry_${name}`, password: 'ministry-password-1', displayName: name, roles: [{ role, orgId: w.orgs.root }] } }), 201);
  return as(app, await login(app, `kh_ministry_${name}`, 'ministry-password-1'));
};
const ministry = { ...w, author: await ministryUser('author', 'author'), reviewer: await ministryUser('reviewer', 'reviewer') };

const topic = 'thu-hoach';
const [nationalChoice, nationalNumeric] = await approvedItems(w, [
  { type: 'single_choice', topic, cognitiveLevel: 1, sharing: 'national', label: 'quoc-gia-1' },
  { type: 'numeric', topic, cognitiveLevel: 1, sharing: 'national', label: 'quoc-gia-2' },
]);
const [ministrySubtree] = await approvedItems(ministry, [{ type: 'short_text', topic, cognitiveLevel: 1, sharing: 'subtree', label: 'cay-con' }]);
const SECRETS = /987\.654|ĐÁPÁNBÍMẬT|"correct"|"accepted"/;

// The attacker: exam manager of the other department, no author or reviewer role anywhere.
const attacker = w.otherManager;
const blueprint = await attacker({
  method: 'POST',
  url: '/api/blueprints',
  payload: {
    title: 'Đề thu hoạch',
    subject: 'math',
    grade: 12,
    sections: [
      { title: 'I', type: 'single_choice', cells: [{ topic, cognitiveLevel: 1, count: 1 }] },
      { title: 'II', type: 'numeric', cells: [{ topic, cognitiveLevel: 1, count: 1 }] },
      { title: 'III', type: 'short_text', cells: [{ topic, cognitiveLevel: 1, count: 1 }] },
    ],
  },
});
await ok(blueprint, 201);
const newExam = async (title: string) => {
  const id = (await ok(await attacker({ method: 'POST', url: '/api/exams', payload: { title, blueprintId: blueprint.json().id, formCount: 2, ...WINDOW, durationMinutes: 30, candidateIds: [], showResults: 'never' } }), 201)).id as string;
  await ok(await attacker({ method: 'POST', url: `/api/exams/${id}/assemble` }), 200);
  return id;
};
const draftId = await newExam('Kỳ thi không bao giờ diễn ra');

const urls = (id: string) => ({
  form: `/api/exams/${id}/forms/101`,
  paper: `/api/exams/${id}/forms/101?format=html`,
  key: `/api/exams/${id}/answer-key`,
  keyCsv: `/api/exams/${id}/answer-key?format=csv`,
  analysis: `/api/exams/${id}/analysis`,
  analysisCsv: `/api/exams/${id}/analysis?format=csv`,
  analysisHtml: `/api/exams/${id}/analysis?format=html`,
});

async function assertWithheld(t: Test, id: string, when: string) {
  for (const [what, url] of Object.entries(urls(id))) {
    const res = await attacker({ method: 'GET', url });
    t.equal(res.statusCode, 200, `${when}: ${what} answers`);
    t.notMatch(res.body, SECRETS, `${when}: no key in the ${what}`);
  }
  const form = (await attacker({ method: 'GET', url: urls(id).form })).json();
  t.equal(form.items.length, 3);
  for (const item of form.items) {
    t.equal(item.keyWithheld, true, `${when}: form item ${item.itemId} says its key is withheld`);
    for (const field of ['correct', 'value', 'tolerance', 'accepted']) t.notOk(field in item, `${when}: no ${field}`);
  }
  const key = (await attacker({ method: 'GET', url: urls(id).key })).json();
  for (const row of key.forms.flatMap((f: { items: unknown[] }) => f.items)) {
    t.match(row, { keyWithheld: true, withheldReason: /opens/ }, `${when}: the answer key row says why`);
    t.notOk('key' in row);
  }
  const csv = (await attacker({ method: 'GET', url: urls(id).keyCsv })).body.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1);
  t.equal(csv.length, 6);
  for (const line of csv) t.match(line.split(',').at(-1), /^— \(/, `${when}: the CSV key cell says it is withheld`);
  const analysis = (await attacker({ method: 'GET', url: urls(id).analysis })).json();
  for (const item of analysis.items) for (const o of Object.values(item.options as Record<string, { key?: boolean }>)) t.notOk(o.key, `${when}: no keyed option in the analysis`);
}

t.test('the bank hides these keys from the attacker', async (t) => {
  for (const id of [nationalChoice, nationalNumeric, ministrySubtree]) {
    const res = await attacker({ method: 'GET', url: `/api/items/${id}` });
    t.equal(res.statusCode, 200, 'the item is visible: it may be drawn');
    t.equal(res.json().keyIncluded, false);
    t.notMatch(res.body, SECRETS);
  }
});

t.test('a draft exam opening in 2030 reveals no key', async (t) => {
  await assertWithheld(t, draftId, 'draft');
});

t.test('published but not yet open: still withheld', async (t) => {
  const id = await newExam('Đã công bố, chưa mở');
  t.equal((await attacker({ method: 'POST', url: `/api/exams/${id}/publish` })).statusCode, 200);
  await assertWithheld(t, id, 'published');
  // A draft whose window has begun is still a draft: nobody sits it.
  await app.models.Exam.updateOne({ _id: draftId }, { $set: { opensAt: new Date(Date.now() - 60_000), closesAt: new Date(Date.now() + 3600_000) } });
  await assertWithheld(t, draftId, 'draft in its window');

  // Published and open: candidates hold the paper, the exam manager gets the key.
  await app.models.Exam.updateOne({ _id: id }, { $set: { opensAt: new Date(Date.now() - 60_000), closesAt: new Date(Date.now() + 3600_000) } });
  const key = await attacker({ method: 'GET', url: urls(id).key });
  t.equal(key.statusCode, 200);
  t.match(key.body, /987\.654/, 'the numeric key');
  t.match(key.body, /ĐÁPÁNBÍMẬT/, 'the short-text key');
  t.notMatch(key.body, /keyWithheld/);
  const form = (await attacker({ method: 'GET', url: urls(id).form })).json();
  t.ok(form.items.every((i: Record<string, unknown>) => i.keyWithheld === undefined && ('correct' in i || 'value' in i || 'accepted' in i)), 'the form carries every key');
});

t.test('authors and reviewers of the owning organisation read keys through their own exam before it opens', async (t) => {
  const res = await admin({ method: 'POST', url: '/api/users', payload: { username: 'kh_lead', password: 'lead-password-1', displayName: 'Tổ trưởng', roles: [{ role: 'exam_manager', orgId: w.orgs.dep }, { role: 'reviewer', orgId: w.orgs.dep }] } });
  t.equal(res.statusCode, 201);
  const lead = as(app, await login(app, 'kh_lead', 'lead-password-1'));
  const bp = await lead({ method: 'POST', url: '/api/blueprints', payload: { title: 'Đề của Sở', subject: 'math', grade: 12, sections: [{ title: 'I', cells: [{ topic, cognitiveLevel: 1, count: 3 }] }] } });
  const exam = await lead({ method: 'POST', url: '/api/exams', payload: { title: 'Đề của Sở', blueprintId: bp.json().id, formCount: 1, ...WINDOW, durationMinutes: 30, candidateIds: [], showResults: 'never' } });
  t.equal((await lead({ method: 'POST', url: `/api/exams/${exam.json().id}/assemble` })).statusCode, 200);
  const rows = (await lead({ method: 'GET', url: `/api/exams/${exam.json().id}/answer-key` })).json().forms[0].items as { itemId: string; key?: string; keyWithheld?: boolean }[];
  const byItem = new Map(rows.map((r) => [r.itemId, r]));
  t.match(byItem.get(nationalNumeric!), { key: '987.654 ± 0.001' }, 'their department’s item: the reviewer may read it in the bank');
  t.match(byItem.get(ministrySubtree!), { keyWithheld: true }, 'the ministry’s item: not theirs to review');
});
