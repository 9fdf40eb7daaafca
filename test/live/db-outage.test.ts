// The database becomes unreachable for 10 s in the middle of an exam (every
// connection reset, new ones refused, through a TCP proxy): frames sent
// meanwhile are never acknowledged before they are stored; once the database
// is back they are stored and acknowledged (or refused, and the client resends
// them after a reconnect), and the exam goes on.
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import type { LogEntry } from '../../src/attempts/log-model.js';
import { build, uniqueName } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const OUTAGE_MS = 10_000;
const target = new URL(process.env.TEST_MONGODB_URI ?? `mongodb://127.0.0.1:${process.env.FERRETDB_PORT ?? 27217}`);
const proxy = new TcpProxy(target.hostname, Number(target.port || 27017));
const port = await proxy.start();
// Registered first, so it runs last (after the app has dropped its database and closed).
t.teardown(() => proxy.stop());
const name = uniqueName('live-db-outage');
const { app } = await build(t, { MONGODB_URI: `mongodb://127.0.0.1:${port}/${name}` }, name);
const fx = await publishedExam(app, { candidates: 2, types: ['single_choice', 'short_text'] });
const url = await listen(app);

t.test('saves wait out a 10 s database outage: nothing is acknowledged before it is stored, and the exam goes on', async (t) => {
  let { socket, first } = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.teardown(() => socket.terminate());
  t.equal(first.type, 'state');
  const items = first.items as { itemId: string; type: string }[];
  const single = items.find((x) => x.type === 'single_choice')!.itemId;
  const text = items.find((x) => x.type === 'short_text')!.itemId;
  const options = ['A', 'B', 'C', 'D'].map((id) => deliveredId(first, single, id));
  const frame = (seq: number) => (seq % 2 ? { type: 'answer', seq, itemId: single, response: options[seq % 4] } : { type: 'answer', seq, itemId: text, response: `Trả lời ${seq}` });
  socket.send(frame(1));
  t.same(await socket.next((m) => m.type === 'ack'), { type: 'ack', seq: 1 });

  // Acks are recorded with the time they arrived, across reconnects.
  const acks: { seq: number; at: number }[] = [];
  const watch = (s: TestSocket) => s.ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; seq?: number };
    if (m.type === 'ack') acks.push({ seq: m.seq!, at: Date.now() });
  });
  watch(socket);

  proxy.cut();
  const cutAt = Date.now();
  for (let seq = 2; seq <= 6; seq++) {
    socket.send(frame(seq));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // A join during the outage: answered (state or error) once the database is back, never a crash.
  const during = TestSocket.join(url, fx.tokens[1]!, fx.examId).catch(() => null);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
  const restoredAt = Date.now();
  t.same(acks.filter((a) => a.at < restoredAt).map((a) => a.seq), [], 'no frame sent during the outage was acknowledged while the database was unreachable');
  proxy.restore();

  // Wait for acks of 2..6; if the server gave up on the socket (error unavailable), reconnect and resend like the client's outbox.
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline && [2, 3, 4, 5, 6].some((s) => !acks.some((a) => a.seq === s))) {
    const closed = await Promise.race([socket.closed.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 250))]);
    if (!closed) continue;
    const again = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
    if (again.first.type !== 'state') {
      again.socket.terminate();
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    socket = again.socket;
    t.teardown(() => again.socket.terminate());
    watch(socket);
    const lastSeq = again.first.lastSeq as number;
    for (let seq = lastSeq + 1; seq <= 6; seq++) socket.send(frame(seq));
    for (let seq = 2; seq <= lastSeq; seq++) if (!acks.some((a) => a.seq === seq)) acks.push({ seq, at: Date.now() });
  }
  t.same([...new Set(acks.map((a) => a.seq))].sort(), [2, 3, 4, 5, 6], 'every frame of the outage is stored once the database is back');
  const joined = await during;
  if (joined) {
    t.ok(['state', 'error'].includes(joined.first.type), `the join made during the outage got ${joined.first.type}`);
    joined.socket.terminate();
  }

  socket.send(frame(7));
  await socket.next((m) => m.type === 'ack' && m.seq === 7, 15_000);
  t.pass('and the exam goes on');
  const other = await TestSocket.join(url, fx.tokens[1]!, fx.examId);
  t.teardown(() => other.socket.terminate());
  t.equal(other.first.type, 'state', 'another candidate joins after the outage');

  const attemptId = attemptIdFor(fx.examId, fx.candidateIds[0]!);
  const stored = new Set<number>();
  const entries = (await app.models.AttemptLog.find({ attemptId }).lean()) as LogEntry[];
  for (const e of entries) for (const f of e.frames) if ('seq' in f && typeof f.seq === 'number') stored.add(f.seq);
  t.same([...stored].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7], 'the log holds every acknowledged frame, each once');
  const resumed = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.teardown(() => resumed.socket.terminate());
  t.match(resumed.first, { type: 'state', lastSeq: 7, answers: { [single]: frame(7).response, [text]: frame(6).response } });
});
