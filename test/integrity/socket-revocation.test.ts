// Revoked sessions end open exam sockets on every API process: two apps on one database and Redis namespace.
import t, { type Test } from 'tap';
import { adminSession, as, build, uniqueName } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { listen, TestSocket } from '../support/live-client.js';

const name = uniqueName('socket-revocation');
// A short periodic check, so the test of a missed notice stays quick.
const A = (await build(t, { LIVE_REVOCATION_CHECK_MS: '300' }, name)).app;
const B = (await build(t, { LIVE_REVOCATION_CHECK_MS: '300' }, name)).app;
const fx = await publishedExam(A, { candidates: 4, types: ['single_choice'], prefix: 'rv' });
const urlA = await listen(A);
const urlB = await listen(B);
const admin = as(A, (await adminSession(A)).token);
const sockets: TestSocket[] = [];
t.teardown(() => sockets.forEach((s) => s.terminate()));

async function join(url: string, token: string) {
  const r = await TestSocket.join(url, token, fx.examId);
  sockets.push(r.socket);
  if (r.first.type !== 'state') throw new Error(`join: ${JSON.stringify(r.first)}`);
  return r.socket;
}

/** Waits for the revoked ending and the close; returns how long it took from `since`. */
async function revokedEnd(t: Test, socket: TestSocket, since: number) {
  const ended = await socket.next((m) => m.type === 'ended', 5000);
  t.same(ended, { type: 'ended', reason: 'closed', cause: 'revoked' }, 'ended with a reason the protocol allows and the cause');
  const closed = await socket.closed;
  t.equal(closed.code, 4401, 'closed as unauthenticated: the client does not come back with that token');
  return Date.now() - since;
}

t.test('deactivating a candidate ends their open exam socket on the other process within a second', async (t) => {
  const onB = await join(urlB, fx.tokens[0]!);
  const bystander = await join(urlA, fx.tokens[1]!);
  const started = Date.now();
  const res = await admin({ method: 'PATCH', url: `/api/users/${fx.candidateIds[0]}`, payload: { active: false } });
  t.equal(res.statusCode, 200, res.body);
  const took = await revokedEnd(t, onB, started);
  t.ok(took < 1000, `within one second (${took} ms)`);
  bystander.send({ type: 'ping' });
  t.same(await bystander.next((m) => m.type === 'pong'), { type: 'pong' }, 'other candidates stay connected');
  const again = await TestSocket.join(urlA, fx.tokens[0]!, fx.examId);
  sockets.push(again.socket);
  t.equal((await again.socket.closed).code, 4401, 'and cannot join again');
  bystander.close();
});

t.test('logout ends the sockets joined with that token, on every process', async (t) => {
  const onA = await join(urlA, fx.tokens[2]!);
  const started = Date.now();
  const res = await as(B, fx.tokens[2]!)({ method: 'POST', url: '/api/auth/logout' });
  t.equal(res.statusCode, 204);
  const took = await revokedEnd(t, onA, started);
  t.ok(took < 1000, `within one second (${took} ms)`);
});

t.test('a revocation whose notice never came is found by the periodic check', async (t) => {
  const onA = await join(urlA, fx.tokens[3]!);
  const started = Date.now();
  // Straight into the database, as if the pub/sub notice had been lost.
  await A.models.User.updateOne({ _id: fx.candidateIds[3] }, { $set: { tokensValidAfter: new Date() } });
  const took = await revokedEnd(t, onA, started);
  t.ok(took < 3000, `within a few check intervals (${took} ms)`);
});
