// Attack test over the real WebSocket: a candidate sitting a cloze item with
// dropdown blanks reads its whole state and never learns which option is
// right (no key field, no authored option id, no key text marked anywhere);
// answers are taken only as the form's tokens of that blank, and come back as
// tokens on a rejoin.
import t from 'tap';
import { build } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { keysDeep, listen, TestSocket, type Msg } from '../support/live-client.js';

const CLOZE = {
  type: 'cloze',
  stem: '<p>Điền vào chỗ trống.</p>',
  subject: 'math',
  grade: 12,
  text: '<p>Hà Nội {{b1}} thủ đô; {{b2}}; sông {{b3}}.</p>',
  blanks: [
    { id: 'b1', options: [{ id: 'A', text: 'là' }, { id: 'B', text: 'không là' }, { id: 'C', text: 'chưa là' }], correct: ['A'], shuffle: true },
    { id: 'b2', options: [{ id: 'A', text: 'hai' }, { id: 'B', text: 'bốn' }, { id: 'C', text: 'bảy' }], correct: ['A', 'C'], multiple: true },
    { id: 'b3', accepted: ['SÔNGBÍMẬT'] },
  ],
};

interface Blank {
  id: string;
  options?: { id: string; text: string }[];
  multiple?: boolean;
}
interface StateMsg extends Msg {
  items: { itemId: string; type: string; blanks?: Blank[] }[];
  answers: Record<string, unknown>;
}

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 1, prefix: 'czl', bodies: [CLOZE] });
const url = await listen(app);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

t.test('the state carries the choices of a dropdown blank but never its key', async (t) => {
  const { socket, first } = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  sockets.push(socket);
  const state = first as StateMsg;
  const item = state.items.find((i) => i.type === 'cloze')!;
  const [b1, b2, b3] = item.blanks!;
  t.same(Object.keys(b1!).sort(), ['id', 'options'], 'a dropdown blank: its id and options');
  t.same(Object.keys(b2!).sort(), ['id', 'multiple', 'options'], 'a pick-several blank also says multiple');
  t.same(Object.keys(b3!), ['id'], 'a text blank: its id only');
  t.same(new Set(b1!.options!.map((o) => o.text)), new Set(['là', 'không là', 'chưa là']));
  for (const o of [...b1!.options!, ...b2!.options!]) {
    t.same(Object.keys(o).sort(), ['id', 'text']);
    t.match(o.id, /^~[a-z2-7]{10}$/, 'an opaque token, not the authored A/B/C');
  }
  const keys = keysDeep(state);
  for (const forbidden of ['correct', 'accepted', 'shuffle', 'value', 'tolerance', 'caseSensitive', 'points']) t.notOk(keys.has(forbidden), `no "${forbidden}" in the state`);
  t.notMatch(socket.raw.join('\n'), /SÔNGBÍMẬT|"A"|"B"|"C"/, 'no key text and no authored option id on the wire');

  // Only this form's tokens of the right blank are answers.
  const token = (b: Blank, text: string) => b.options!.find((o) => o.text === text)!.id;
  let seq = 0;
  socket.send({ type: 'answer', seq: ++seq, itemId: item.itemId, response: { b1: 'A' } });
  t.match(await socket.reply(seq), { type: 'nack', error: { code: 'validation_failed' } }, 'an authored option id is refused');
  socket.send({ type: 'answer', seq: ++seq, itemId: item.itemId, response: { b1: token(b2!, 'hai') } });
  t.match(await socket.reply(seq), { type: 'nack', error: { code: 'validation_failed' } }, "another blank's token is refused");
  socket.send({ type: 'answer', seq: ++seq, itemId: item.itemId, response: { b1: [token(b1!, 'là')] } });
  t.match(await socket.reply(seq), { type: 'nack', error: { code: 'validation_failed' } }, 'a list for a dropdown is refused');
  const answer = { b1: token(b1!, 'là'), b2: [token(b2!, 'hai'), token(b2!, 'bảy')], b3: 'sông' };
  socket.send({ type: 'answer', seq: ++seq, itemId: item.itemId, response: answer });
  t.same(await socket.reply(seq), { type: 'ack', seq }, 'the tokens of the form are taken');
  socket.close();

  const again = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  sockets.push(again.socket);
  t.same((again.first as StateMsg).answers[item.itemId], answer, 'a rejoin gives the answer back in the same tokens');
});
