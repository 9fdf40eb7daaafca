// A real API process is killed with SIGKILL mid-exam: no acknowledged answer is lost,
// and reconnecting to another process resumes at the right seq.
import { once } from 'node:events';
import t from 'tap';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import type { LogEntry } from '../../src/attempts/log-model.js';
import { build, uniqueName } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';
import { startApiProcess } from '../support/processes.js';

const name = uniqueName('live-sigkill');
const { app, config } = await build(t, {}, name);
const fx = await publishedExam(app, { candidates: 1, types: ['single_choice', 'essay', 'numeric'] });

const { child, port } = await startApiProcess(t, config);
const killedUrl = `ws://127.0.0.1:${port}/ws`;
const survivorUrl = await listen(app);

t.test('acknowledged answers survive SIGKILL of the process holding the socket', async (t) => {
  const { socket, first } = await TestSocket.join(killedUrl, fx.tokens[0]!, fx.examId);
  t.teardown(() => socket.terminate());
  t.equal(first.type, 'state', JSON.stringify(first));
  const items = first.items as { itemId: string; type: string }[];
  const byType = (type: string) => items.find((x) => x.type === type)!.itemId;
  const plan = (seq: number): { itemId: string; response: unknown } => {
    switch (seq % 3) {
      case 0:
        return { itemId: byType('single_choice'), response: deliveredId(first, byType('single_choice'), ['A', 'B', 'C'][seq % 4] ?? 'D') };
      case 1:
        return { itemId: byType('essay'), response: `Bài làm, lần lưu thứ ${seq}` };
      default:
        return { itemId: byType('numeric'), response: `${seq},5` };
    }
  };

  const acked: number[] = [];
  const total = 45;
  let killed = false;
  socket.ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; seq?: number };
    if (m.type !== 'ack') return;
    acked.push(m.seq!);
    if (acked.length === 15 && !killed) {
      killed = true;
      // Frames are still in flight and unacknowledged when the process dies.
      child.kill('SIGKILL');
    }
  });
  // Three frames every 5 ms (inside the burst of 50 the rate limit allows), so several are always in flight.
  let seq = 0;
  while (seq < total && !killed) {
    for (let i = 0; i < 3 && seq < total; i++) {
      seq++;
      socket.send({ type: 'answer', seq, ...plan(seq) });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const [, signal] = await once(child, 'exit');
  t.equal(signal, 'SIGKILL');
  const closed = await socket.closed;
  t.equal(closed.code, 1006, 'the socket died with the process');
  t.ok(acked.length >= 15, `${acked.length} frames were acknowledged before the kill; ${seq} sent`);

  // The client reconnects — to the other process.
  const resumed = await TestSocket.join(survivorUrl, fx.tokens[0]!, fx.examId);
  t.teardown(() => resumed.socket.terminate());
  const state = resumed.first;
  t.equal(state.type, 'state');
  const lastSeq = state.lastSeq as number;
  t.ok(lastSeq >= Math.max(...acked), `lastSeq ${lastSeq} covers every acked seq (max ${Math.max(...acked)})`);

  const attemptId = attemptIdFor(fx.examId, fx.candidateIds[0]!);
  const stored = new Set<number>();
  for (let n = 1; ; n++) {
    const e = (await app.models.AttemptLog.findById(`${attemptId}:${String(n).padStart(7, '0')}`).lean()) as LogEntry | null;
    if (!e) break;
    for (const f of e.frames) if ('seq' in f && typeof f.seq === 'number') stored.add(f.seq);
  }
  t.same(acked.filter((s) => !stored.has(s)), [], 'every acknowledged frame is in the log');
  for (let s = 1; s <= lastSeq; s++) t.ok(stored.has(s), `frame ${s} (≤ lastSeq) is stored`);

  const expected: Record<string, unknown> = {};
  for (let s = 1; s <= lastSeq; s++) expected[plan(s).itemId] = plan(s).response;
  t.same(state.answers, expected, 'the state is the latest stored response per item');

  resumed.socket.send({ type: 'answer', seq: lastSeq + 1, ...plan(lastSeq + 1) });
  t.same(await resumed.socket.next(), { type: 'ack', seq: lastSeq + 1 }, 'and the exam goes on');
});
