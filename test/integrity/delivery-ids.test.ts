// Issue 16, item 1: the ids a candidate receives must not give the key away.
// Authored ids follow the authored order (e1..en in key order, p_i -> c_i, the
// right answer written first as A); a candidate who sorts the ids, pairs them
// by rank or picks "A" must not score, while an honest candidate answering by
// the delivered ids scores in full, across reconnects to another process.
// Two API processes share one database; grading runs through the API with the
// workers in this process.
import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { legacyDeliverySecret } from '../../src/exams/delivery-ids.js';
import { build, uniqueName } from '../helper.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, settled } from '../support/grading.js';
import { KEY_ORDER_ITEMS, keyOrderExam, rightByText, type DeliveredItem } from '../support/key-order-exam.js';
import { listen, TestSocket, type Msg } from '../support/live-client.js';

const name = uniqueName('delivery-ids');
const { app: A, config } = await build(t, {}, name);
const { app: B } = await build(t, {}, name);
dropSectorAtEnd(t, sectorUri(config));
const ko = await keyOrderExam(A, { candidates: 4, formCount: 2 });
const urlA = await listen(A);
const urlB = await listen(B);
const { ctx } = await inProcessWorkers(t, config);
const bulkEvents = await queueEvents(t, config, 'bulk');
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));
const manager = ko.world.manager;

// Two candidates on different forms (two forms, four candidates: two on each).
const exam = (await A.exams.byId(ko.examId))!;
const codes = ko.world.candidateIds.map((id) => A.exams.formCodeFor(exam, id));
const attacker = 0;
const honest = codes.findIndex((c) => c !== codes[attacker]);
const legacy = [1, 2, 3].find((i) => i !== honest)!;

interface State extends Msg {
  formCode: string;
  items: DeliveredItem[];
  answers: Record<string, unknown>;
  lastSeq: number;
}

async function join(url: string, candidate: number): Promise<{ socket: TestSocket; state: State }> {
  const { socket, first } = await TestSocket.join(url, ko.tokens[candidate]!, ko.examId);
  sockets.push(socket);
  if (first.type !== 'state') throw new Error(`join answered ${JSON.stringify(first)}`);
  return { socket, state: first as State };
}

const itemOf = (state: State, type: string) => state.items.find((i) => i.type === type)!;
const byText = (list: { id: string; text: string }[] | undefined) => new Map((list ?? []).map((x) => [x.text, x.id]));
const sortedIds = (list: { id: string }[] | undefined) => (list ?? []).map((x) => x.id).sort();

async function send(socket: TestSocket, frame: Record<string, unknown>): Promise<Msg> {
  socket.send(frame);
  return socket.reply(frame.seq as number);
}

async function submit(socket: TestSocket, seq: number): Promise<void> {
  socket.send({ type: 'submit', seq });
  await socket.next((m) => m.type === 'submitted');
  await socket.closed;
}

/** Grades the exam through the API (POST /grading, the bulk job) and returns each candidate's score. */
async function gradeAll(): Promise<Map<string, { score: number; maxScore: number }>> {
  const started = await manager({ method: 'POST', url: `/api/exams/${ko.examId}/grading`, payload: { mode: 'all' } });
  if (started.statusCode !== 202) throw new Error(`grading: ${started.statusCode} ${started.body}`);
  await settled(ctx.queues.bulk, bulkEvents, started.json().jobId);
  const results = (await manager({ method: 'GET', url: `/api/exams/${ko.examId}/results` })).json().results as { candidateId: string; score: number; maxScore: number }[];
  return new Map(results.map((r) => [r.candidateId, r]));
}

const states: State[] = [];

t.test('attack: sorting the delivered ids, pairing them by rank or sending "A" does not score', async (t) => {
  const { socket, state } = await join(urlA, attacker);
  states[attacker] = state;
  const ordering = itemOf(state, 'ordering');
  const matching = itemOf(state, 'matching');
  const single = itemOf(state, 'single_choice');

  // What the candidate receives shares nothing with the authored ids.
  const authored = {
    ordering: KEY_ORDER_ITEMS.ordering.elements.map((e) => e.id),
    premises: KEY_ORDER_ITEMS.matching.premises.map((p) => p.id),
    choices: KEY_ORDER_ITEMS.matching.choices.map((c) => c.id),
    options: KEY_ORDER_ITEMS.single_choice.options.map((o) => o.id),
  };
  const delivered = { ordering: ordering.elements, premises: matching.premises, choices: matching.choices, options: single.options };
  for (const [kind, list] of Object.entries(delivered)) {
    const ids = (list ?? []).map((x) => x.id);
    t.equal(ids.length, authored[kind as keyof typeof authored].length, `${kind}: all delivered`);
    t.same(ids.filter((id) => authored[kind as keyof typeof authored].includes(id)), [], `${kind}: no delivered id is an authored id`);
    t.same(ids.filter((id) => !/^~[a-z2-7]{10}$/.test(id)), [], `${kind}: every delivered id is an opaque token`);
  }
  // Sorting the delivered ids and reading the texts in that order gives the authored order only by chance (1 in 720 × 120 × 120 × 24 for all four lists).
  const authoredTexts = {
    ordering: KEY_ORDER_ITEMS.ordering.elements.map((e) => e.text),
    premises: KEY_ORDER_ITEMS.matching.premises.map((p) => p.text),
    choices: KEY_ORDER_ITEMS.matching.choices.map((c) => c.text),
    options: KEY_ORDER_ITEMS.single_choice.options.map((o) => o.text),
  };
  const sortsLikeAuthored = Object.entries(delivered).filter(([kind, list]) => {
    const texts = [...(list ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.text);
    return JSON.stringify(texts) === JSON.stringify(authoredTexts[kind as keyof typeof authoredTexts]);
  });
  t.ok(sortsLikeAuthored.length < 4, `sorted delivered ids do not follow the authored order (lists that happen to: ${sortsLikeAuthored.map(([k]) => k).join(', ') || 'none'})`);

  // The attack itself: an authored id sent as it is ...
  const guessed = await send(socket, { type: 'answer', seq: 1, itemId: single.itemId, response: 'A' });
  t.match(guessed, { type: 'nack', seq: 1, error: { code: 'validation_failed' } }, 'the authored id "A" is not an id of this form');
  const guessedOrder = await send(socket, { type: 'answer', seq: 2, itemId: ordering.itemId, response: authored.ordering });
  t.match(guessedOrder, { type: 'nack', error: { code: 'validation_failed' } }, 'nor are e1..e6');
  // ... and the delivered ids sorted, paired by rank, the first one taken for "A".
  const premises = sortedIds(matching.premises);
  const choices = sortedIds(matching.choices);
  const answers = [
    { itemId: ordering.itemId, response: sortedIds(ordering.elements) },
    { itemId: matching.itemId, response: Object.fromEntries(premises.map((p, i) => [p, choices[i]])) },
    { itemId: single.itemId, response: single.options!.some((o) => o.id === 'A') ? 'A' : sortedIds(single.options)[0] },
  ];
  for (const [i, a] of answers.entries()) t.match(await send(socket, { type: 'answer', seq: 3 + i, ...a }), { type: 'ack' }, 'well-formed answers are stored');
  await submit(socket, 6);

  const scores = await gradeAll();
  const mine = scores.get(ko.world.candidateIds[attacker]!)!;
  t.equal(mine.maxScore, 3);
  t.ok(mine.score < mine.maxScore, `the sorted ids do not score full marks (${mine.score}/${mine.maxScore})`);
});

t.test('an honest candidate answering by the delivered ids scores in full, across reconnects to another process', async (t) => {
  const first = await join(urlA, honest);
  states[honest] = first.state;
  t.not(first.state.formCode, states[attacker]!.formCode, 'another form than the attacker\'s');
  const ordering = itemOf(first.state, 'ordering');
  t.match(await send(first.socket, { type: 'answer', seq: 1, itemId: ordering.itemId, response: rightByText(ordering) }), { type: 'ack' });
  first.socket.terminate();

  // Another process derives the same ids from the form's stored secret.
  const second = await join(urlB, honest);
  t.same(second.state.items, first.state.items, 'the other process delivers the same items with the same ids');
  t.same(second.state.answers, { [ordering.itemId]: rightByText(ordering) }, 'the stored answer comes back in the delivered ids');
  const single = itemOf(second.state, 'single_choice');
  t.match(await send(second.socket, { type: 'answer', seq: 2, itemId: single.itemId, response: rightByText(single) }), { type: 'ack' });
  // The browser's outbox resends what it sent before the reconnect: an already applied seq is acknowledged again.
  t.match(await send(second.socket, { type: 'answer', seq: 1, itemId: ordering.itemId, response: rightByText(ordering) }), { type: 'ack', seq: 1 });
  second.socket.close();
  await second.socket.closed;

  const third = await join(urlA, honest);
  const matching = itemOf(third.state, 'matching');
  t.match(await send(third.socket, { type: 'answer', seq: 3, itemId: matching.itemId, response: rightByText(matching) }), { type: 'ack' });
  await submit(third.socket, 4);

  // Stored in authored ids: grading, regrading and analysis never meet a delivered id.
  const stored = await A.models.Attempt.findById(attemptIdFor(ko.examId, ko.world.candidateIds[honest]!)).lean();
  t.same(stored?.answers, {
    [ko.ids.ordering]: KEY_ORDER_ITEMS.ordering.order,
    [ko.ids.single_choice]: 'A',
    [ko.ids.matching]: KEY_ORDER_ITEMS.matching.pairs,
  });

  const scores = await gradeAll();
  t.match(scores.get(ko.world.candidateIds[honest]!), { score: 3, maxScore: 3 }, 'full marks');

  // The same option has another id on another form.
  for (const type of ['ordering', 'matching', 'single_choice']) {
    const mine = itemOf(third.state, type);
    const theirs = itemOf(states[attacker]!, type);
    for (const key of ['elements', 'premises', 'choices', 'options'] as const) {
      const a = byText(mine[key]);
      const b = byText(theirs[key]);
      for (const [text, id] of a) t.not(id, b.get(text), `${type} ${key} "${text}": the forms' ids differ`);
    }
  }
});

t.test('an attempt whose log holds authored ids (stored before delivered ids existed) resumes and grades', async (t) => {
  const candidateId = ko.world.candidateIds[legacy]!;
  const attemptId = attemptIdFor(ko.examId, candidateId);
  const started = await join(urlA, legacy);
  started.socket.close();
  await started.socket.closed;
  // What the old code logged: the responses as the candidate sent them, in authored ids.
  const n = (await A.live.log.readAfter(attemptId, 0)).length;
  const at = new Date();
  const frames = [
    { type: 'answer' as const, seq: 1, itemId: ko.ids.single_choice, response: 'A', at },
    { type: 'answer' as const, seq: 2, itemId: ko.ids.ordering, response: [...KEY_ORDER_ITEMS.ordering.order], at },
    { type: 'answer' as const, seq: 3, itemId: ko.ids.matching, response: { ...KEY_ORDER_ITEMS.matching.pairs }, at },
  ];
  t.equal(await A.live.log.append(A.services.attempts.entry({ attemptId, examId: ko.examId }, n + 1, 'before-the-change:1', 0, frames)), 'ok');

  const resumed = await join(urlB, legacy);
  t.equal(resumed.state.lastSeq, 3);
  for (const type of ['ordering', 'matching', 'single_choice']) {
    const item = itemOf(resumed.state, type);
    t.same(resumed.state.answers[item.itemId], rightByText(item), `${type}: the authored answer is shown in the delivered ids`);
  }
  await submit(resumed.socket, 4);
  const scores = await gradeAll();
  t.match(scores.get(candidateId), { score: 3, maxScore: 3 }, 'graded on the authored answers');
});

t.test('a form stored before delivered ids existed gets its secret at its first delivery, the same in every process', async (t) => {
  const old = await keyOrderExam(A, { candidates: 2, formCount: 1, prefix: 'kold' });
  await A.models.Form.updateMany({ examId: old.examId }, { $unset: { deliverySecret: 1 } });
  // Its first two candidates join at the same moment, on different processes.
  const [a, b] = await Promise.all([TestSocket.join(urlA, old.tokens[0]!, old.examId), TestSocket.join(urlB, old.tokens[1]!, old.examId)]);
  sockets.push(a.socket, b.socket);
  t.equal(a.first.type, 'state');
  t.same(b.first.items, a.first.items, 'both processes deliver the same ids');
  const ids = (a.first.items as DeliveredItem[]).flatMap((i) => [...(i.options ?? []), ...(i.premises ?? []), ...(i.choices ?? []), ...(i.elements ?? [])]).map((x) => x.id);
  t.ok(ids.length === 20 && ids.every((id) => /^~[a-z2-7]{10}$/.test(id)), 'opaque ids');
  const forms = await A.models.Form.find({ examId: old.examId }).lean();
  t.ok(forms.length === 1 && typeof forms[0]!.deliverySecret === 'string', 'the form keeps the secret it was given');
  t.equal(forms[0]!.deliverySecret, legacyDeliverySecret(A.config.AUDIT_KEY, forms[0]!._id), 'derived from the form id under the server key, so racing processes agree whichever write lands');
  const single = itemOf(b.first as State, 'single_choice');
  t.match(await send(b.socket, { type: 'answer', seq: 1, itemId: single.itemId, response: rightByText(single) }), { type: 'ack' }, 'and answers in them are taken');
});

t.test('option statistics, the answer key and the printable paper still speak of authored options and display letters', async (t) => {
  const analysis = await manager({ method: 'GET', url: `/api/exams/${ko.examId}/analysis` });
  t.equal(analysis.statusCode, 200, 'the analysis is read');
  const single = (analysis.json().items as { itemId: string; options: Record<string, { count: number; key?: boolean }> }[]).find((i) => i.itemId === ko.ids.single_choice)!;
  const attempts = await A.models.Attempt.find({ examId: ko.examId, status: 'submitted' }).lean();
  const expected: Record<string, number> = {};
  for (const a of attempts) {
    const r = a.answers?.[ko.ids.single_choice];
    if (typeof r === 'string') expected[r] = (expected[r] ?? 0) + 1;
  }
  t.ok(Object.keys(single.options).every((id) => ['A', 'B', 'C', 'D'].includes(id)), `statistics by authored option id (${Object.keys(single.options).join(', ')})`);
  for (const [id, count] of Object.entries(expected)) t.equal(single.options[id]?.count, count, `option ${id} chosen ${count} times`);
  t.ok((expected.A ?? 0) >= 2, 'the honest and the resumed candidate chose A');
  t.equal(single.options.A?.key, true, 'A is the key');

  const state = states[honest]!;
  const letter = (i: number) => String.fromCharCode(65 + i);
  const key = (await manager({ method: 'GET', url: `/api/exams/${ko.examId}/answer-key` })).json();
  const rows = (key.forms as { code: string; items: { itemId: string; key: string }[] }[]).find((f) => f.code === state.formCode)!.items;
  const keyOf = (type: keyof typeof ko.ids) => rows.find((r) => r.itemId === ko.ids[type])!.key;
  const item = (type: string) => itemOf(state, type);
  const at = (list: { text: string }[] | undefined, text: string) => (list ?? []).findIndex((x) => x.text === text);
  // The key's letters are positions in the order the candidate saw.
  t.equal(keyOf('single_choice'), letter(at(item('single_choice').options, 'Bốn')), 'single choice: the letter of "Bốn" as delivered');
  t.equal(keyOf('ordering'), KEY_ORDER_ITEMS.ordering.elements.map((e) => letter(at(item('ordering').elements, e.text))).join(', '), 'ordering: letters in the right order');
  const m = KEY_ORDER_ITEMS.matching;
  t.equal(keyOf('matching'), m.premises.map((p, i) => `${i + 1}-${letter(at(item('matching').choices, m.choices.find((c) => c.id === m.pairs[p.id])!.text))}`).join('; '), 'matching: premise numbers and choice letters');

  const paper = await manager({ method: 'GET', url: `/api/exams/${ko.examId}/forms/${state.formCode}?format=html` });
  t.equal(paper.statusCode, 200);
  const labelled = [...paper.body.matchAll(/<span class="label">([A-Z])\.<\/span>\s*([^<]+)<\/li>/g)].map((x) => [x[1], x[2]!.trim()]);
  for (const option of item('single_choice').options!) {
    const i = at(item('single_choice').options, option.text);
    t.ok(labelled.some(([l, text]) => l === letter(i) && text === option.text), `the paper prints "${option.text}" as ${letter(i)}, where the candidate saw it`);
  }
  t.notMatch(paper.body, /~[a-z2-7]{10}/, 'no delivered id on the paper');
});
