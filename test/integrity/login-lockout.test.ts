// Exam-day lockout: wrong passwords lock an account only for the address they
// came from (and the whole account only after many, from several addresses),
// the refusal says how long to wait, and a proctor over the candidate unlocks
// them at once from the monitor, with an audit record.
import t, { type Test } from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { WORLD_PASSWORD } from '../support/fixtures/index.js';

const LOCK_SECONDS = 900;
const { app } = await build(t, { LOGIN_MAX_FAILURES: '5', LOGIN_LOCK_SECONDS: String(LOCK_SECONDS), LOGIN_MAX_FAILURES_TOTAL: '12' });
const fx = await publishedExam(app, { candidates: 5, types: ['single_choice'], prefix: 'lk' });
const admin = as(app, (await adminSession(app)).token);
const candidates = fx.candidateIds.map((id, i) => ({ id, username: `lk_cand${i}` }));

const SCHOOL = '198.51.100.20';
const STRANGER = '203.0.113.7';

function attempt(username: string, password: string, address: string) {
  return app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress: address });
}

async function failTimes(t: Test, username: string, address: string, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await attempt(username, `wrong-${i}`, address);
    t.equal(res.statusCode, 401, `wrong password ${i + 1} from ${address}`);
  }
}

/** Seconds in a message such as "try again in 14 min 59 s". */
function statedWait(message: string): number | null {
  const m = /try again in (?:(\d+) min)?\s*(?:(\d+) s)?/.exec(message);
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

async function monitorRow(candidateId: string) {
  const res = await fx.world.proctor({ method: 'GET', url: `/api/exams/${fx.examId}/monitor` });
  if (res.statusCode !== 200) throw new Error(`monitor: ${res.statusCode} ${res.body}`);
  return (res.json().candidates as { candidateId: string; locked?: boolean; lockedUntil?: string | null }[]).find((c) => c.candidateId === candidateId)!;
}

t.test("a stranger's wrong passwords lock only the stranger's address; the refusal states the real wait", async (t) => {
  const victim = candidates[0]!;
  await failTimes(t, victim.username, STRANGER, 5);
  const refused = await attempt(victim.username, WORLD_PASSWORD, STRANGER);
  t.equal(refused.statusCode, 429, 'the stranger is stopped, even with the right password');
  t.equal(refused.json().error.code, 'rate_limited');
  const wait = statedWait(refused.json().error.message);
  const header = Number(refused.headers['retry-after']);
  t.ok(wait !== null, `the message states the wait: "${refused.json().error.message}"`);
  t.ok(wait! <= LOCK_SECONDS && wait! >= LOCK_SECONDS - 10, `the wait is the lock's real remainder (${wait} s)`);
  t.ok(Math.abs(header - wait!) <= 1, `Retry-After agrees (${header} s)`);
  const atSchool = await attempt(victim.username, WORLD_PASSWORD, SCHOOL);
  t.equal(atSchool.statusCode, 200, 'the candidate at school logs in');
});

t.test('guessing stays bounded: a few tries per address, and the account locks everywhere after many', async (t) => {
  const target = candidates[1]!;
  const addresses = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
  await failTimes(t, target.username, addresses[0]!, 5);
  t.equal((await attempt(target.username, 'guess', addresses[0]!)).statusCode, 429, 'one address gets LOGIN_MAX_FAILURES tries');
  await failTimes(t, target.username, addresses[1]!, 5);
  await failTimes(t, target.username, addresses[2]!, 2);
  // Twelve wrong passwords in all (LOGIN_MAX_FAILURES_TOTAL): the account is locked for every address.
  const school = await attempt(target.username, WORLD_PASSWORD, SCHOOL);
  t.equal(school.statusCode, 429, 'the whole account is locked once the total is reached');
  t.ok(statedWait(school.json().error.message)! > LOCK_SECONDS - 10, 'and says for how long');
  t.equal((await attempt(candidates[2]!.username, WORLD_PASSWORD, addresses[0]!)).statusCode, 200, 'other accounts are unaffected');
});

t.test('locked out at school: the monitor shows it, a proctor unlocks, the candidate logs in at once', async (t) => {
  const victim = candidates[3]!;
  t.match(await monitorRow(victim.id), { locked: false }, 'not locked to begin with');
  // A classmate at the same school address types the candidate's username with wrong passwords.
  await failTimes(t, victim.username, SCHOOL, 5);
  t.equal((await attempt(victim.username, WORLD_PASSWORD, SCHOOL)).statusCode, 429, 'the candidate is locked out');
  const row = await monitorRow(victim.id);
  t.equal(row.locked, true, 'the monitor shows the lock');
  const until = Date.parse(row.lockedUntil ?? '');
  t.ok(until > Date.now() + (LOCK_SECONDS - 15) * 1000 && until <= Date.now() + LOCK_SECONDS * 1000 + 1000, `until when (${row.lockedUntil})`);

  const unlocked = await fx.world.proctor({ method: 'POST', url: `/api/users/${victim.id}/unlock` });
  t.equal(unlocked.statusCode, 204, unlocked.body);
  t.equal(unlocked.body, '');
  t.equal((await attempt(victim.username, WORLD_PASSWORD, SCHOOL)).statusCode, 200, 'the candidate logs in at once');
  t.match(await monitorRow(victim.id), { locked: false }, 'and the monitor no longer shows a lock');

  const audit = await admin({ method: 'GET', url: `/api/audit?target=${encodeURIComponent(`user:${victim.id}`)}` });
  t.equal(audit.statusCode, 200);
  const records = (audit.json().records as { action: string; actorId: string; actorRole?: string }[]).filter((r) => r.action === 'user.unlock');
  t.equal(records.length, 1, 'one audit record');
  t.match(records[0], { actorRole: 'proctor' }, 'naming the proctor grant used');
});

t.test('who may unlock: proctors and exam managers over the candidate, administrators over the user', async (t) => {
  const target = candidates[4]!;
  const unlock = (call: typeof admin, id = target.id) => call({ method: 'POST', url: `/api/users/${id}/unlock` });
  const stranger = as(app, await login(app, 'lk_other_manager', WORLD_PASSWORD));
  const self = as(app, await login(app, target.username, WORLD_PASSWORD));
  const classmate = as(app, await login(app, candidates[2]!.username, WORLD_PASSWORD));

  t.equal((await unlock(stranger)).statusCode, 404, 'an exam manager of another department does not even see the user');
  t.equal((await unlock(classmate)).statusCode, 403, 'another candidate is refused by role, before any lookup (so nothing about the user leaks)');
  t.equal((await unlock(fx.world.author)).statusCode, 403, 'so is an author of the department');
  const own = await unlock(self);
  t.equal(own.statusCode, 403, 'candidates cannot unlock themselves');
  t.equal(own.json().error.code, 'forbidden');
  const staffId = (await fx.world.manager({ method: 'GET', url: '/api/me' })).json().id as string;
  t.equal((await unlock(fx.world.proctor, staffId)).statusCode, 404, 'a proctor cannot unlock staff');
  t.equal((await unlock(fx.world.proctor, 'no-such-user')).statusCode, 404, 'unknown ids are 404');
  t.equal((await unlock(fx.world.manager)).statusCode, 204, 'the exam manager over the candidate may');
  t.equal((await unlock(admin)).statusCode, 204, 'and so may an administrator');
  t.equal((await unlock(admin, staffId)).statusCode, 204, 'an administrator unlocks staff too');
  const audit = await admin({ method: 'GET', url: `/api/audit?target=${encodeURIComponent(`user:${target.id}`)}` });
  t.equal((audit.json().records as { action: string }[]).filter((r) => r.action === 'user.unlock').length, 2, 'every unlock is audited, refusals are not');
});
