import t from 'tap';
import { build } from '../helper.js';
import { deliveredId, publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket, type Msg } from '../support/live-client.js';

// Short heartbeat so a dead socket is dropped within a test.
const { app } = await build(t, { LIVE_HEARTBEAT_MS: '300' });
const fx = await publishedExam(app, { candidates: 3, types: ['single_choice', 'essay'] });
const url = await listen(app);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

async function join(i: number) {
  const r = await TestSocket.join(url, fx.tokens[i]!, fx.examId);
  sockets.push(r.socket);
  if (r.first.type !== 'state') throw new Error(JSON.stringify(r.first));
  const items = r.first.items as { itemId: string; type: string }[];
  const single = items.find((x) => x.type === 'single_choice')!.itemId;
  // The single choice's options as this candidate's form names them.
  const option = (authored: string) => deliveredId(r.first, single, authored);
  return { socket: r.socket, state: r.first, single, option, essay: items.find((x) => x.type === 'essay')!.itemId };
}

t.test('malformed frames get an error or a nack and change nothing', async (t) => {
  const { socket, single, option } = await join(0);
  socket.send('{not json');
  t.match(await socket.next(), { type: 'error', error: { code: 'bad_request' } }, 'not JSON');
  socket.send('[1,2,3]');
  t.match(await socket.next(), { type: 'error', error: { code: 'bad_request' } }, 'not an object');
  socket.send({ type: 'teleport', seq: 1 });
  t.match(await socket.next(), { type: 'nack', seq: 1, error: { code: 'unknown_type' } }, 'unknown type with a seq: nack');
  socket.send({ type: 'teleport' });
  t.match(await socket.next(), { type: 'error', error: { code: 'unknown_type' } }, 'unknown type without one: error');
  socket.send({ type: 'answer', seq: -3, itemId: single, response: 'A' });
  t.match(await socket.next(), { type: 'error', error: { code: 'validation_failed' } }, 'a seq that is not a positive integer');
  socket.send({ type: 'event', seq: 2, kind: 'teleport' });
  t.match(await socket.next(), { type: 'nack', seq: 2, error: { code: 'validation_failed' } }, 'unknown event kind');
  socket.send({ type: 'answer', seq: 3, itemId: single });
  t.match(await socket.next(), { type: 'nack', seq: 3, error: { code: 'validation_failed' } }, 'missing response');
  socket.send({ type: 'answer', seq: 4, itemId: single, response: { __proto__: { polluted: true } } });
  t.match(await socket.next(), { type: 'nack', seq: 4, error: { code: 'validation_failed' } }, 'an object where an option id belongs');
  socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  t.match(await socket.next(), { type: 'error', error: { code: 'bad_request' } }, 'binary frame');
  socket.send({ type: 'answer', seq: 5, itemId: single, response: 'A', pad: 'x'.repeat(70 * 1024) });
  t.match(await socket.next(), { type: 'error', error: { code: 'payload_too_large' } }, 'a frame over 64 KiB');
  socket.send({ type: 'join', token: fx.tokens[0], examId: fx.examId });
  t.match(await socket.next(), { type: 'error', error: { code: 'bad_request' } }, 'a second join');
  socket.send({ type: 'answer', seq: 6, itemId: single, response: option('A') });
  t.same(await socket.next(), { type: 'ack', seq: 6 }, 'the socket still works');
  socket.send({ type: 'answer', seq: 5, itemId: single, response: option('B') });
  t.same(await socket.next(), { type: 'ack', seq: 5 }, 'below lastSeq: acknowledged again, not applied');
  socket.close();

  const again = await join(0);
  t.same(again.state.answers, { [single]: option('A') });
  t.equal(again.state.lastSeq, 6);
  again.socket.close();
});

t.test('an essay of 20,000 Vietnamese characters fits; a frame over the transport limit closes only that socket', async (t) => {
  const { socket, essay } = await join(1);
  const text = 'Việt Nam đất nước con người '.repeat(715).slice(0, 20_000);
  socket.send({ type: 'answer', seq: 1, itemId: essay, response: text });
  t.same(await socket.next(), { type: 'ack', seq: 1 });
  socket.send({ type: 'answer', seq: 2, itemId: essay, response: text + 'x' });
  t.match(await socket.next(), { type: 'nack', seq: 2, error: { code: 'validation_failed' } }, 'over 20,000 characters');

  const other = await join(2);
  socket.send('x'.repeat(2 * 1024 * 1024));
  t.equal((await socket.closed).code, 1009, 'ws closes a frame over 1 MiB with 1009');
  other.socket.send({ type: 'answer', seq: 1, itemId: other.single, response: other.option('C') });
  t.same(await other.socket.next(), { type: 'ack', seq: 1 }, 'another candidate is untouched');
  other.socket.close();
});

t.test('a flood gets rate_limited nacks; other candidates keep their latency', async (t) => {
  const flood = await join(1);
  const calm = await join(2);
  const start = 10;
  for (let i = 0; i < 300; i++) flood.socket.send({ type: 'answer', seq: start + i, itemId: flood.single, response: flood.option(i % 2 ? 'A' : 'B') });
  const t0 = performance.now();
  calm.socket.send({ type: 'answer', seq: 10, itemId: calm.single, response: calm.option('D') });
  t.same(await calm.socket.next(), { type: 'ack', seq: 10 });
  t.ok(performance.now() - t0 < 2000, 'the calm socket was answered promptly');

  // Refusals go out at once, acks after their write: collect until every seq is answered.
  const replies = new Map<number, Msg>();
  while (replies.size < 300) {
    const m = await flood.socket.next((x) => x.type === 'ack' || x.type === 'nack');
    replies.set(m.seq as number, m);
  }
  const acked = [...replies.values()].filter((m) => m.type === 'ack').length;
  const limited = [...replies.values()].filter((m) => m.type === 'nack' && (m.error as { code: string }).code === 'rate_limited').length;
  t.equal(acked + limited, 300, 'every frame answered');
  // The join frame spent one token of the burst of 50.
  t.ok(acked >= 49 && acked < 100, `the burst (50, less the join) and a little refill were accepted (${acked})`);
  t.ok(limited > 150, `the rest was refused (${limited})`);
  flood.socket.close();
  calm.socket.close();
});

t.test('heartbeats drop a dead socket', async (t) => {
  // autoPong: false — the client never answers pings, like a vanished laptop.
  const dead = await TestSocket.open(url, { autoPong: false });
  sockets.push(dead);
  dead.send({ type: 'join', token: fx.tokens[2], examId: fx.examId });
  t.match(await dead.next(), { type: 'state' });
  const before = app.liveSockets.size;
  t.equal((await dead.closed).code, 1006, 'terminated without a close frame');
  // The server sees the close a moment after the client does.
  for (let i = 0; i < 200 && app.liveSockets.size >= before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(app.liveSockets.size < before, 'and forgotten by the server');
});
