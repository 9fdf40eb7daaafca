// A wrong password takes as long whether the account is a candidate's, a
// staff member's, a deactivated one or does not exist: timing tells an
// attacker neither which usernames exist nor which accounts are the cheap
// ones to guess. The school's roster is loaded, so database work that grows
// with the number of users would show too.
import t from 'tap';
import { adminSession, as, build } from '../helper.js';

// Lockouts would end the measurement early; they are tested elsewhere.
const { app } = await build(t, { LOGIN_MAX_FAILURES: '1000', LOGIN_MAX_FAILURES_TOTAL: '1000' });
const admin = await adminSession(app);
const call = as(app, admin.token);
const roster = Array.from({ length: 1000 }, (_, i) => ({
  username: `hs.${String(i).padStart(4, '0')}`,
  password: `ma-thi-${i}-xyz`,
  displayName: `Học sinh ${i}`,
  roles: [{ role: 'candidate', orgId: admin.rootId }],
}));
const bulk = await call({ method: 'POST', url: '/api/users/bulk', payload: { users: roster } });
if (bulk.statusCode !== 200 || bulk.json().created !== roster.length) throw new Error(`roster: ${bulk.statusCode} ${bulk.body.slice(0, 200)}`);
const staff = await call({ method: 'POST', url: '/api/users', payload: { username: 'gv.giamthi', password: 'password-123', displayName: 'Giám thị', roles: [{ role: 'proctor', orgId: admin.rootId }] } });
const gone = await call({ method: 'POST', url: '/api/users', payload: { username: 'hs.nghihoc', password: 'password-123', displayName: 'Nghỉ học', roles: [{ role: 'candidate', orgId: admin.rootId }] } });
await call({ method: 'PATCH', url: `/api/users/${gone.json().id}`, payload: { active: false } });
if (staff.statusCode !== 201) throw new Error(staff.body);

const KINDS = { candidate: 'hs.0500', staff: 'gv.giamthi', deactivated: 'hs.nghihoc', unknown: 'hs.khongco' } as const;
type Kind = keyof typeof KINDS;
const ROUNDS = 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

t.test('wrong-password answers of every kind of account take the same time', async (t) => {
  const kinds = Object.keys(KINDS) as Kind[];
  const times = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const shares = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  // A warm-up round, then rounds of one login of each kind in rotating order.
  for (let round = -1; round < ROUNDS; round++) {
    const took = {} as Record<Kind, number>;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(i + Math.max(round, 0)) % kinds.length]!;
      const started = process.hrtime.bigint();
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: KINDS[kind], password: 'sai-mat-khau-1' } });
      took[kind] = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.statusCode !== 401) throw new Error(`${kind}: ${res.statusCode} ${res.body}`);
      t.equal(res.json().error.code, 'invalid_credentials', `${kind}: the same answer`);
    }
    if (round < 0) continue;
    // Each time against its round's mean: load from elsewhere on the machine, slow against one round, cancels out.
    const mean = kinds.reduce((sum, k) => sum + took[k], 0) / kinds.length;
    for (const k of kinds) {
      times[k].push(took[k]);
      shares[k].push(took[k] / mean);
    }
  }
  const round1 = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
  const medians = Object.fromEntries(kinds.map((k) => [k, round1(median(times[k]))]));
  const relative = Object.fromEntries(kinds.map((k) => [k, round1(median(shares[k]), 3)])) as Record<Kind, number>;
  const spread = Math.max(...Object.values(relative)) / Math.min(...Object.values(relative));
  t.comment(`median ms: ${JSON.stringify(medians)}; median share of the round: ${JSON.stringify(relative)}`);
  t.ok(spread <= 1.25, `medians within 25 % of each other (ratio ${spread.toFixed(2)})`);
});

t.test('the right password still logs in every kind of active account', async (t) => {
  for (const [username, password] of [['hs.0500', 'ma-thi-500-xyz'], ['gv.giamthi', 'password-123']]) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    t.equal(res.statusCode, 200, username);
  }
  const deactivated = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'hs.nghihoc', password: 'password-123' } });
  t.equal(deactivated.statusCode, 401, 'a deactivated account does not, even with its password');
});
