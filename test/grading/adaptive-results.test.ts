// An adaptive attempt sat over the socket, handed in by the stopping rule, graded by the
// workers: θ, SE and the 10-point score stored with the result, shown to the candidate
// and to staff, pushed to the sector database; the pretest item's answer is kept and
// listed, and counts for nothing.
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { attemptSeed, createCatEngine, replayAnswers } from '../../src/adaptive/index.js';
import { sectorUri } from '../../src/config.js';
import type { Form } from '../../src/exams/exam-model.js';
import { build, uniqueName } from '../helper.js';
import { pick, publishedAdaptiveExam } from '../support/adaptive-exam.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, until } from '../support/grading.js';
import { listen, TestSocket } from '../support/live-client.js';

const name = uniqueName('cat-results');
const { app, config } = await build(t, {}, name);
dropSectorAtEnd(t, sectorUri(config));
await inProcessWorkers(t, config);
const gradingEvents = await queueEvents(t, config, 'grading');
const sectorEvents = await queueEvents(t, config, 'sector');
const fx = await publishedAdaptiveExam(app, { candidates: 1, items: 10, maxItems: 5, pretestPositions: [2], prefix: 'cr' });
const url = await listen(app);

type Item = { itemId: string; options: { id: string; text: string }[] };

t.test('θ, SE and the 10-point score after an adaptive sitting', async (t) => {
  const { socket, first } = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.teardown(() => socket.terminate());
  let current = (first.items as Item[])[0]!;
  const rights = [true, true, false, true, false, true];
  const given: string[] = [current.itemId];
  for (let seq = 1; ; seq++) {
    socket.send({ type: 'answer', seq, itemId: current.itemId, response: pick(current, rights[seq - 1]!) });
    t.same(await socket.reply(seq), { type: 'ack', seq });
    const next = await socket.next((m) => m.type === 'item' || m.type === 'submitted');
    if (next.type === 'submitted') break;
    current = next.item as Item;
    given.push(current.itemId);
  }
  t.equal(given.length, 6, 'five operational items and the pretest item');
  t.equal(given[1], fx.pretestIds[0], 'the pretest item at position 2');

  const attemptId = attemptIdFor(fx.examId, fx.candidateIds[0]!);
  await until(gradingEvents, async () => (await app.models.Result.findById(attemptId).lean()) !== null);
  const result = (await app.models.Result.findById(attemptId).lean())!;

  // The engine's own figures for these answers.
  const form = (await app.models.Form.findOne({ examId: fx.examId }).lean()) as Form;
  const engine = createCatEngine(form.adaptive!.pool, form.adaptive!.config);
  const answers = new Map(given.map((id, i) => [id, rights[i]!]));
  const progress = replayAnswers(engine, attemptSeed(form.adaptive!, attemptId), answers, (id) => answers.get(id) === true);
  const expected = engine.result(progress.state);
  t.equal(result.adaptive?.theta, Math.round(expected.theta * 10_000) / 10_000, 'θ stored');
  t.equal(result.adaptive?.se, Math.round(expected.se * 10_000) / 10_000, 'SE stored');
  t.equal(result.adaptive?.length, 5);
  t.equal(result.adaptive?.stop, 'max_items');
  t.equal(result.score10, expected.score10, 'the 10-point score of θ');
  t.same([result.score, result.maxScore], [expected.score10, 10]);
  t.same(result.perItem.map((p) => p.itemId), given, 'every answered item, in the order given');
  t.same(result.perItem.filter((p) => p.pretest).map((p) => p.itemId), fx.pretestIds, 'the pretest item marked as such');
  t.equal(result.perItem.find((p) => p.pretest)?.points, 1, 'its (right) answer scored, for calibration');
  t.same(expected.pretest.map((p) => p.itemId), fx.pretestIds, 'and it did not move θ (the engine keeps it apart)');

  const mine = await app.inject({ method: 'GET', url: `/api/attempts/${attemptId}/result`, headers: { authorization: `Bearer ${fx.tokens[0]}` } });
  t.equal(mine.statusCode, 200, mine.body);
  t.match(mine.json(), { score10: expected.score10, adaptive: { theta: result.adaptive!.theta, se: result.adaptive!.se, length: 5 } }, 'the candidate reads θ, SE and the score');
  const staff = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/results` });
  t.match(staff.json().results, [{ attemptId, score10: expected.score10, theta: result.adaptive!.theta, se: result.adaptive!.se }]);
  const csv = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/results?format=csv` });
  t.match(csv.body, /,theta,se\r\n/, 'the CSV has θ and SE columns');

  await until(sectorEvents, async () => (await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/sector-sync` })).json().pushed === 1);
  t.pass('the sector database has the record');
  const attempt = await app.models.Attempt.findById(attemptId).lean();
  t.ok(Object.hasOwn(attempt!.answers, fx.pretestIds[0]!), 'the pretest answer is kept with the attempt for calibration');
  const analysis = await fx.world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/analysis` });
  t.equal(analysis.statusCode, 200, analysis.body.slice(0, 300));
  const analysed = (analysis.json().items as { itemId: string; n: number }[]).filter((i) => i.n > 0).map((i) => i.itemId);
  t.same(analysed.sort(), [...given].sort(), 'item analysis (and its Rasch calibration) reads the answered items, the pretest item among them, and only those');

  // Points per item: staff see the pretest item marked; the candidate is not told which item it was.
  const asStaff = await fx.world.manager({ method: 'GET', url: `/api/attempts/${attemptId}/result` });
  t.same(asStaff.json().perItem.filter((p: { pretest?: boolean }) => p.pretest).map((p: { itemId: string }) => p.itemId), fx.pretestIds, 'staff see the pretest item marked');
  await app.models.Exam.updateOne({ _id: fx.examId }, { $set: { closesAt: new Date(Date.now() - 1000) } });
  const closed = (await app.inject({ method: 'GET', url: `/api/attempts/${attemptId}/result`, headers: { authorization: `Bearer ${fx.tokens[0]}` } })).json();
  t.equal(closed.perItem.length, 5, 'after the close the candidate reads the points of the five scored items');
  t.notOk(closed.perItem.some((p: { itemId: string; pretest?: boolean }) => p.pretest || fx.pretestIds.includes(p.itemId)), 'and nothing of the pretest item');
  t.same(closed.perItem.map((p: { number: number }) => p.number), [1, 2, 3, 4, 5], 'numbered without a gap where it stood');
});
