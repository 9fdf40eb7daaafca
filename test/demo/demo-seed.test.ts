/**
 * The demo data as `npm start` loads it, through the public API: question
 * text never carries its own number (the form numbers questions after
 * shuffling), and `npm run demo:reset` (newDemoSitting) gives the demo
 * candidates a new sitting after they handed the first one in.
 */
import t from 'tap';
import { DEMO_EXAM_TITLE, DEMO_PASSWORD, newDemoSitting, seedDemo } from '../../src/demo/seed.js';
import { ADMIN, build } from '../helper.js';
import { listen, TestSocket } from '../support/live-client.js';

const { app } = await build(t);
const url = await listen(app);
const base = url.replace(/^ws:/, 'http:').replace(/\/ws$/, '');

async function loginAs(username: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: DEMO_PASSWORD } });
  return res.json().token as string;
}

t.test('demo seed, a sitting handed in, then demo:reset gives a new one', async (t) => {
  await seedDemo(base, ADMIN);
  await seedDemo(base, ADMIN); // idempotent

  const student = await loginAs('hs001');
  const mine = async () => (await app.inject({ method: 'GET', url: '/api/my/exams', headers: { authorization: `Bearer ${student}` } })).json().exams as { id: string; title: string; status: string }[];
  const [first] = await mine();
  t.equal(first?.title, DEMO_EXAM_TITLE);
  t.equal(first?.status, 'open');

  const { socket, first: state } = await TestSocket.join(url, student, first!.id);
  t.teardown(() => socket.terminate());
  t.equal(state.type, 'state');
  const items = state.items as { number: number; stem: string }[];
  for (const item of items) t.notMatch(item.stem, /Câu \d/, `question ${item.number} does not name a number of its own`);
  socket.send({ type: 'submit', seq: 1 });
  await socket.next((m) => m.type === 'submitted');
  t.equal((await mine())[0]!.status, 'submitted', 'the first sitting is handed in');

  const { title } = await newDemoSitting(base);
  t.equal(title, `${DEMO_EXAM_TITLE} – lần 2`);
  const after = await mine();
  t.same(after.map((e) => [e.title, e.status]), [
    [DEMO_EXAM_TITLE, 'submitted'],
    [`${DEMO_EXAM_TITLE} – lần 2`, 'open'],
  ], 'the earlier sitting stays; the new one is open to sit');
  t.equal((await newDemoSitting(base)).title, `${DEMO_EXAM_TITLE} – lần 3`, 'and again');
});
