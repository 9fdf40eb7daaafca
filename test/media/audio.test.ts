/**
 * Recordings of items (the `audio` field): what the bank accepts, who may
 * fetch the file (a candidate only while sitting the form that shows it),
 * and the play-count limit the server keeps over the live socket.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { projectRoot } from '../../src/infra/paths.js';
import { as, build } from '../helper.js';
import { pick, publishedAdaptiveExam } from '../support/adaptive-exam.js';
import { publishedExam } from '../support/exam-fixture.js';
import { approvedBodies, examWorld, itemBody, ok } from '../support/fixtures/index.js';
import { listen, TestSocket, type Msg } from '../support/live-client.js';

const TONE = readFileSync(path.join(projectRoot(), 'test/fixtures/media/tone.m4a'));
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
/** Another recording: the same audio with a different tail, so a different file of the library. */
const recording = (label: string) => Buffer.concat([TONE, Buffer.from(label)]);

const { app } = await build(t);
const world = await examWorld(app, 4, 'au');
const db = app.mongo.db!;
let served: Promise<string> | undefined;
/** The app listens once, for every test's sockets. */
const address = () => (served ??= listen(app));

async function upload(bytes: Buffer, type: string): Promise<{ id: string; url: string; kind: string; type: string }> {
  return ok(await world.author({ method: 'POST', url: '/api/media', payload: bytes, headers: { 'content-type': type } }), 201, 'upload');
}

const status = async (who: (o: { method: 'GET'; url: string }) => Promise<{ statusCode: number }>, url: string) => (await who({ method: 'GET', url })).statusCode;

t.test('the audio field names an audio file of the library the author may use', async (t) => {
  const audio = await upload(TONE, 'audio/mp4');
  t.equal(audio.kind, 'audio');
  t.equal(audio.type, 'audio/mp4');
  const picture = await upload(PNG, 'image/png');
  const body = (a: unknown) => ({ ...itemBody({ type: 'single_choice', topic: 'nghe', cognitiveLevel: 1 }), audio: a });

  const created = await world.author({ method: 'POST', url: '/api/items', payload: body({ media: audio.id, maxPlays: 2 }) });
  t.equal(created.statusCode, 201, created.body);
  t.same(created.json().audio, { media: audio.id, maxPlays: 2 }, 'stored as sent');
  const read = await world.reviewer({ method: 'GET', url: `/api/items/${created.json().id}` });
  t.same(read.json().audio, { media: audio.id, maxPlays: 2 }, 'and shown to staff who may read the item');

  const refused = async (a: unknown, pathWanted: string, what: string) => {
    const res = await world.author({ method: 'POST', url: '/api/items', payload: body(a) });
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    t.equal(res.json().error.code, 'validation_failed');
    t.ok(res.json().error.details.some((d: { instancePath: string }) => d.instancePath.startsWith(pathWanted)), `${what}: named at ${pathWanted}`);
  };
  await refused({ media: picture.id }, '/audio/media', 'a picture');
  await refused({ media: 'f'.repeat(64) }, '/audio/media', 'a file that does not exist');
  await refused({ media: audio.url }, '/audio/media', 'an address instead of the id');
  await refused({ media: audio.id, maxPlays: 0 }, '/audio/maxPlays', 'no play at all');
  await refused({ media: audio.id, maxPlays: 11 }, '/audio/maxPlays', 'more than ten plays');
  await refused({ media: audio.id, extra: true }, '/audio', 'an unknown field');
});

t.test('a candidate fetches a recording only while sitting the form that has it', async (t) => {
  const tracks = [recording('form one'), recording('form two')];
  const ids = await Promise.all(tracks.map(async (b) => (await upload(b, 'audio/mp4')).id));
  const topic = `nghe-${Date.now().toString(36)}`;
  const itemIds = await approvedBodies(
    world,
    ids.map((id, i) => ({ ...itemBody({ type: 'single_choice', topic, cognitiveLevel: 1 }), stem: `<p>Nghe đoạn ${i + 1}.</p>`, audio: { media: id, maxPlays: 1 } })),
  );
  const blueprint = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/blueprints',
      payload: { title: 'Nghe', subject: 'math', grade: 12, durationMinutes: 60, sections: [{ title: 'Nghe', type: 'single_choice', cells: [{ topic, cognitiveLevel: 1, count: 1 }] }], constraints: { maxItemOverlap: 0, difficultyTolerance: 1 } },
    }),
    201,
  );
  const now = Date.now();
  const exam = await ok(
    await world.manager({
      method: 'POST',
      url: '/api/exams',
      payload: {
        title: 'Bài nghe',
        blueprintId: blueprint.id,
        formCount: 2,
        opensAt: new Date(now - 60_000).toISOString(),
        closesAt: new Date(now + 3600_000).toISOString(),
        durationMinutes: 60,
        candidateIds: world.candidateIds,
        showResults: 'after_submit',
      },
    }),
    201,
  );
  await ok(await world.manager({ method: 'POST', url: `/api/exams/${exam.id}/assemble` }), 200);
  await ok(await world.manager({ method: 'POST', url: `/api/exams/${exam.id}/publish` }), 200);

  const candidates = world.candidateIds.map((id) => ({ id, call: as(app, app.tokens.issue(id).token) }));
  const urls = ids.map((id) => `/api/media/${id}`);
  for (const c of candidates) for (const url of urls) t.equal(await status(c.call, url), 404, 'nobody reads it before sitting');

  // Two candidates on different forms.
  const joined: { id: string; call: (typeof candidates)[number]['call']; mine: number }[] = [];
  for (const c of candidates) {
    const j = await app.live.join(c.id, exam.id, `audio-${c.id}`, 1);
    if (j.kind !== 'state') continue;
    const attempt = await db.collection<{ _id: string; formCode: string }>('attempts').findOne({ _id: attemptIdFor(exam.id, c.id) });
    const examDoc = await db.collection<{ _id: string; assemblyId: string }>('exams').findOne({ _id: exam.id });
    const form = await db.collection<{ _id: string; items: { itemId: string }[] }>('forms').findOne({ _id: `${exam.id}:${examDoc!.assemblyId}:${attempt!.formCode}` });
    const mine = itemIds.indexOf(form!.items[0]!.itemId);
    const item = j.delivery.items[0]!;
    t.same(item.audio, { url: urls[mine], maxPlays: 1 }, 'the delivered item names its recording by address, with its limit');
    joined.push({ ...c, mine });
    if (new Set(joined.map((x) => x.mine)).size === 2) break;
  }
  t.equal(new Set(joined.map((x) => x.mine)).size, 2, 'candidates on both forms');
  for (const c of joined) {
    t.equal(await status(c.call, urls[c.mine]!), 200, 'the recording of their own form');
    t.equal(await status(c.call, urls[1 - c.mine]!), 404, 'the recording of the other form: not found');
  }
  const idle = candidates.find((c) => !joined.some((j) => j.id === c.id))!;
  t.equal(await status(idle.call, urls[0]!), 404, 'a candidate who has not started');
  const ranged = await joined[0]!.call({ method: 'GET', url: urls[joined[0]!.mine]!, headers: { range: 'bytes=0-9' } });
  t.equal(ranged.statusCode, 206, 'ranges for the player');

  await db.collection<{ _id: string; status: string }>('attempts').updateOne({ _id: attemptIdFor(exam.id, joined[0]!.id) }, { $set: { status: 'submitted' } });
  t.equal(await status(joined[0]!.call, urls[joined[0]!.mine]!), 404, 'after the hand-in');
});

t.test('plays are counted by the server and refused past the limit', async (t) => {
  const limited = await upload(recording('limited'), 'audio/mp4');
  const free = await upload(recording('free'), 'audio/mp4');
  const base = (stem: string) => ({ ...itemBody({ type: 'single_choice', topic: 'x', cognitiveLevel: 1 }), stem });
  const fx = await publishedExam(app, {
    world,
    bodies: [
      { ...base('<p>Nghe hai lần.</p>'), audio: { media: limited.id, maxPlays: 2 } },
      { ...base('<p>Nghe thoải mái.</p>'), audio: { media: free.id } },
      base('<p>Không có ghi âm.</p>'),
    ],
  });
  const url = await address();
  const sockets: TestSocket[] = [];
  t.teardown(() => sockets.forEach((s) => s.terminate()));
  const join = async () => {
    const j = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
    sockets.push(j.socket);
    t.equal(j.first.type, 'state');
    return j as { socket: TestSocket; first: Msg & { items: { itemId: string; stem: string; audio?: { url: string; maxPlays?: number } }[]; plays?: Record<string, number>; lastSeq: number } };
  };
  const { socket, first } = await join();
  const byStem = (s: string) => first.items.find((i) => i.stem.includes(s))!;
  const twice = byStem('hai lần');
  const freely = byStem('thoải mái');
  const silent = byStem('Không có');
  t.same(twice.audio, { url: `/api/media/${limited.id}`, maxPlays: 2 });
  t.same(freely.audio, { url: `/api/media/${free.id}` }, 'no limit: no maxPlays');
  t.notOk(silent.audio);
  t.notOk(first.plays, 'no plays yet');

  let seq = first.lastSeq;
  // A burst: all three go before any is stored; only two may pass.
  for (let i = 0; i < 3; i++) socket.send({ type: 'play', seq: ++seq, itemId: twice.itemId });
  // A refusal goes at once, an ack once the entry is stored: the replies come in either order.
  const replyTo = (n: number) => socket.received.find((m) => (m.type === 'ack' || m.type === 'nack') && m.seq === n);
  for (let waited = 0; [seq - 2, seq - 1, seq].some((n) => !replyTo(n)) && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  const replies = [replyTo(seq - 2)!, replyTo(seq - 1)!, replyTo(seq)!];
  await socket.next((m) => m.type === 'ack' && m.seq === seq - 1);
  t.same(replies.map((r) => r.type), ['ack', 'ack', 'nack'], 'two plays, then a refusal');
  t.match(replies[2], { error: { code: 'play_limit' } });
  for (let i = 0; i < 4; i++) {
    socket.send({ type: 'play', seq: ++seq, itemId: freely.itemId });
    t.same(await socket.reply(seq), { type: 'ack', seq }, 'a recording without a limit plays as often as wanted');
  }
  socket.send({ type: 'play', seq: ++seq, itemId: silent.itemId });
  t.match(await socket.reply(seq), { type: 'nack', error: { code: 'validation_failed' } }, 'an item without a recording');
  socket.send({ type: 'play', seq: ++seq, itemId: 'nope' });
  t.match(await socket.reply(seq), { type: 'nack', error: { code: 'unknown_item' } }, 'an item not on the form');
  socket.send({ type: 'play', seq: ++seq });
  t.match(await socket.reply(seq), { type: 'nack', error: { code: 'validation_failed' } }, 'a play without an item');
  socket.close();

  // A reconnect (to any process) starts from the stored count.
  const again = await join();
  t.same(again.first.plays, { [twice.itemId]: 2, [freely.itemId]: 4 }, 'the state carries the plays so far');
  let seq2 = again.first.lastSeq;
  again.socket.send({ type: 'play', seq: ++seq2, itemId: twice.itemId });
  t.match(await again.socket.reply(seq2), { type: 'nack', error: { code: 'play_limit' } }, 'still refused after the reconnect');

  // The snapshot and the cache keep the count as the log does.
  const attempt = await db.collection<{ _id: string; cp: { plays?: Record<string, number> } }>('attempts').findOne({ _id: attemptIdFor(fx.examId, fx.candidateIds[0]!) });
  t.ok(attempt, 'the attempt exists');
  const log = await db.collection<{ attemptId: string; frames: { type: string; itemId?: string }[] }>('attempt_log').find({ attemptId: attemptIdFor(fx.examId, fx.candidateIds[0]!) }).toArray();
  t.equal(log.flatMap((e) => e.frames).filter((f) => f.type === 'play').length, 6, 'every play accepted is in the attempt log, none refused is');
});

t.test('an adaptive exam: the item given carries its recording, its plays are counted, and a reconnect keeps them', async (t) => {
  const fx = await publishedAdaptiveExam(app, { prefix: 'aa', items: 6, maxItems: 3, audio: { bytes: recording('adaptive'), type: 'audio/mp4', maxPlays: 1 } });
  const url = await address();
  const sockets: TestSocket[] = [];
  t.teardown(() => sockets.forEach((s) => s.terminate()));
  type Delivered = { itemId: string; audio?: { url: string; maxPlays?: number } };
  const join = async () => {
    const j = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
    sockets.push(j.socket);
    return j as { socket: TestSocket; first: Msg & { items: Delivered[]; plays?: Record<string, number>; lastSeq: number } };
  };
  const { socket, first } = await join();
  const one = first.items[0]!;
  t.match(one.audio, { url: /^\/api\/media\/[0-9a-f]{64}$/, maxPlays: 1 }, 'the current item names its recording');
  t.equal((await as(app, fx.tokens[0]!)({ method: 'GET', url: one.audio!.url })).statusCode, 200, 'which the candidate may fetch while sitting');
  socket.send({ type: 'play', seq: 1, itemId: one.itemId });
  t.same(await socket.reply(1), { type: 'ack', seq: 1 });
  socket.send({ type: 'play', seq: 2, itemId: one.itemId });
  t.match(await socket.reply(2), { type: 'nack', error: { code: 'play_limit' } }, 'the limit holds on an adaptive item');
  socket.send({ type: 'answer', seq: 3, itemId: one.itemId, response: pick(one, true) });
  t.same(await socket.reply(3), { type: 'ack', seq: 3 });
  const two = (await socket.next((m) => m.type === 'item')).item as Delivered;
  t.match(two.audio, { maxPlays: 1 }, 'the next item comes with its recording');
  socket.close();
  await socket.closed;

  const again = await join();
  t.same(again.first.items.map((i) => i.itemId), [one.itemId, two.itemId]);
  t.same(again.first.plays, { [one.itemId]: 1 }, 'the state after a reconnect carries the plays of the items given');
  again.socket.send({ type: 'play', seq: 4, itemId: one.itemId });
  t.match(await again.socket.reply(4), { type: 'nack', error: { code: 'play_limit' } }, 'still refused after the reconnect');
  again.socket.send({ type: 'play', seq: 5, itemId: two.itemId });
  t.same(await again.socket.reply(5), { type: 'ack', seq: 5 }, 'the current item plays once');
});
