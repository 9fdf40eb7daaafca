// A passage on a published exam's paper cannot be changed under it: editing a
// passage once its item is retired writes a new revision, and the exam's forms
// keep the revision they were assembled with (the form hash covers it).
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { formHash } from '../../src/assembly/assembler.js';
import type { Form } from '../../src/exams/exam-model.js';
import { build } from '../helper.js';
import { approvedItems, examWorld, type ExamWorld } from '../support/fixtures/index.js';
import { keysDeep, listen, TestSocket } from '../support/live-client.js';

const ORIGINAL = 'Đoạn văn gốc về biến đổi khí hậu ở đồng bằng sông Cửu Long.';
const EDITED = 'Đoạn văn đã bị sửa sau khi đề được công bố.';

async function ok(res: { statusCode: number; body: string; json(): unknown }, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
  return res.json() as Record<string, unknown>;
}

/** A published, open exam whose one item reads a passage; returns the ids. */
async function examWithPassage(app: FastifyInstance, w: ExamWorld, topic: string, legacyPassage = false) {
  const passage = await ok(await w.author({ method: 'POST', url: '/api/stimuli', payload: { title: 'Ngữ liệu', content: `<p>${ORIGINAL}</p>`, subject: 'math', grade: 12 } }), 201, 'passage');
  const stimulusId = passage.id as string;
  if (legacyPassage) {
    // As a passage stored before passages had revisions: no revision number, no revision documents.
    await app.models.Stimulus.collection.updateOne({ _id: stimulusId as never }, { $unset: { revision: '' } });
    await app.models.Stimulus.db.collection('stimulus_revisions').deleteMany({ stimulusId });
  }
  const [itemId] = await approvedItems(w, [{ type: 'single_choice', topic, cognitiveLevel: 1, stimulusId, label: 'Câu đọc hiểu' }]);
  const blueprint = await ok(
    await w.manager({ method: 'POST', url: '/api/blueprints', payload: { title: 'Đọc hiểu', subject: 'math', grade: 12, durationMinutes: 45, sections: [{ title: 'Phần I', type: 'single_choice', cells: [{ topic, cognitiveLevel: 1, count: 1 }] }] } }),
    201,
    'blueprint',
  );
  const now = Date.now();
  const exam = await ok(
    await w.manager({
      method: 'POST',
      url: '/api/exams',
      payload: { title: 'Đọc hiểu', blueprintId: blueprint.id, formCount: 1, opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 3600_000).toISOString(), durationMinutes: 45, candidateIds: w.candidateIds, showResults: 'never' },
    }),
    201,
    'exam',
  );
  const examId = exam.id as string;
  await ok(await w.manager({ method: 'POST', url: `/api/exams/${examId}/assemble` }), 200, 'assemble');
  await ok(await w.manager({ method: 'POST', url: `/api/exams/${examId}/publish` }), 200, 'publish');
  return { stimulusId, itemId: itemId!, examId };
}

/** As a form assembled before forms pinned passages: no passage pin, its hash over the items alone. */
async function unpinForm(app: FastifyInstance, examId: string) {
  const exam = (await app.models.Exam.findById(examId).lean())!;
  const id = `${examId}:${exam.assemblyId}:101`;
  const form = (await app.models.Form.findById(id).lean<Form>())!;
  const items = form.items.map(({ stimulusId: _s, stimulusRevision: _r, ...rest }) => rest);
  await app.models.Form.collection.updateOne({ _id: id as never }, { $set: { items, hash: formHash(items) } });
}

async function attack(t: Test, app: FastifyInstance, w: ExamWorld, ids: { stimulusId: string; itemId: string; examId: string }, pinned = true) {
  const paper = async () => (await w.manager({ method: 'GET', url: `/api/exams/${ids.examId}/forms/101?format=html` })).body;
  const formHashNow = async () => ((await ok(await w.manager({ method: 'GET', url: `/api/exams/${ids.examId}/forms` }), 200, 'forms')).forms as { hash: string }[])[0]!.hash;
  const before = await paper();
  t.match(before, ORIGINAL, 'the paper prints the passage');
  const hash = await formHashNow();

  const editWhileApproved = await w.author({ method: 'PUT', url: `/api/stimuli/${ids.stimulusId}`, payload: { title: 'Ngữ liệu', content: `<p>${EDITED}</p>`, subject: 'math', grade: 12, revision: 1 } });
  t.equal(editWhileApproved.statusCode, 409, 'an approved item still holds the passage');

  await ok(await w.reviewer({ method: 'POST', url: `/api/items/${ids.itemId}/status`, payload: { status: 'retired' } }), 200, 'retire');
  const edited = await w.author({ method: 'PUT', url: `/api/stimuli/${ids.stimulusId}`, payload: { title: 'Ngữ liệu', content: `<p>${EDITED}</p>`, subject: 'math', grade: 12, revision: 1 } });
  t.equal(edited.statusCode, 200, 'once retired the passage may change, as a new revision');
  t.equal(edited.json().revision, 2);

  const after = await paper();
  t.match(after, ORIGINAL, 'the published paper still prints the revision it was assembled with');
  t.notMatch(after, EDITED);
  t.equal(after, before, 'the paper is byte for byte the same');
  t.equal(await formHashNow(), hash, 'and so is the form hash');

  if (pinned) {
    const exam = (await app.models.Exam.findById(ids.examId).lean())!;
    const form = (await app.models.Form.findById(`${ids.examId}:${exam.assemblyId}:101`).lean<Form>())!;
    t.match(form.items[0], { itemId: ids.itemId, stimulusId: ids.stimulusId, stimulusRevision: 1 }, 'the form pins the passage revision');
    t.equal(form.hash, formHash(form.items), 'the hash covers the pin');
    const json = await ok(await w.manager({ method: 'GET', url: `/api/exams/${ids.examId}/forms/101` }), 200, 'form json');
    t.match((json.items as unknown[])[0], { stimulusId: ids.stimulusId, stimulusRevision: 1 });
  }

  // The candidate reads the same pinned text over the live socket, above the item that names it.
  const url = await listen(app);
  const token = app.tokens.issue(w.candidateIds[0]!).token;
  const { socket, first: joined } = await TestSocket.join(url, token, ids.examId);
  t.teardown(() => socket.terminate());
  t.equal(joined.type, 'state');
  t.same((joined.items as { stimulusId?: string }[]).map((i) => i.stimulusId), [ids.stimulusId], 'the item names its passage');
  t.same(joined.stimuli, [{ id: ids.stimulusId, title: 'Ngữ liệu', content: `<p>${ORIGINAL}</p>` }], 'the state carries the pinned passage text, not the edited one');
  const keys = keysDeep(joined.stimuli);
  for (const secret of ['revision', 'authorId', 'orgPath', 'sharing', 'correct', 'key']) t.notOk(keys.has(secret), `no ${secret} in the passage sent to candidates`);

  const current = await ok(await w.author({ method: 'GET', url: `/api/stimuli/${ids.stimulusId}` }), 200, 'passage');
  t.match(current, { revision: 2, content: `<p>${EDITED}</p>` }, 'the bank shows the new revision');
  const first = await ok(await w.author({ method: 'GET', url: `/api/stimuli/${ids.stimulusId}?revision=1` }), 200, 'revision 1');
  t.match(first, { revision: 1, content: `<p>${ORIGINAL}</p>` }, 'earlier revisions stay readable');
  t.equal((await w.author({ method: 'GET', url: `/api/stimuli/${ids.stimulusId}?revision=3` })).statusCode, 404);
}

t.test('a passage edited after its item is retired does not change the published paper', async (t) => {
  const { app } = await build(t);
  const w = await examWorld(app, 1, 'sp');
  const ids = await examWithPassage(app, w, 'doc-hieu');
  await attack(t, app, w, ids);

  // Re-pinning the item to a corrected revision keeps the passage the exam was given.
  const item = await ok(await w.author({ method: 'GET', url: `/api/items/${ids.itemId}` }), 200, 'item');
  await ok(await w.author({ method: 'PUT', url: `/api/items/${ids.itemId}`, payload: { ...item, stem: '<p>Câu đọc hiểu, lời đã sửa</p>' } }), 200, 'item revision 2');
  await ok(await w.author({ method: 'POST', url: `/api/items/${ids.itemId}/status`, payload: { status: 'in_review' } }), 200, 'to review');
  await ok(await w.reviewer({ method: 'POST', url: `/api/items/${ids.itemId}/status`, payload: { status: 'approved' } }), 200, 'approve');
  await ok(await w.manager({ method: 'POST', url: `/api/exams/${ids.examId}/repin`, payload: { itemId: ids.itemId, revision: 2 } }), 200, 'repin');
  const exam = (await app.models.Exam.findById(ids.examId).lean())!;
  const form = (await app.models.Form.findById(`${ids.examId}:${exam.assemblyId}:101`).lean<Form>())!;
  t.match(form.items[0], { revision: 2, stimulusId: ids.stimulusId, stimulusRevision: 1 });
  const paper = (await w.manager({ method: 'GET', url: `/api/exams/${ids.examId}/forms/101?format=html` })).body;
  t.match(paper, 'lời đã sửa');
  t.match(paper, ORIGINAL, 'the passage is still the one the exam was assembled with');
});

t.test('a passage stored before passages had revisions counts as revision 1', async (t) => {
  const { app } = await build(t);
  const w = await examWorld(app, 1, 'sl');
  await attack(t, app, w, await examWithPassage(app, w, 'doc-hieu-cu', true));
});

t.test('a form assembled before forms pinned passages shows the passage as it was at assembly', async (t) => {
  const { app } = await build(t);
  const w = await examWorld(app, 1, 'su');
  const ids = await examWithPassage(app, w, 'doc-hieu-mau', true);
  await unpinForm(app, ids.examId);
  await attack(t, app, w, ids, false);
});
