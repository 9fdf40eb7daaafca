/**
 * People by name on staff screens, through the public API: the monitor names
 * each candidate (full name, username, số báo danh) and finds them by any of
 * these, with or without diacritics; bank items name their author and who
 * took each review step; an exam names its blueprint. And what another
 * department could learn: a person of another department stays an id — no
 * name in any answer, and a search by that name finds nobody.
 */
import t from 'tap';
import { adminSession, as, build, login } from '../helper.js';
import { publishedExam } from '../support/exam-fixture.js';
import { createItem, itemBody, setStatus, WORLD_PASSWORD } from '../support/fixtures/index.js';
import { listen, TestSocket } from '../support/live-client.js';

const { app } = await build(t);
const fx = await publishedExam(app, { candidates: 3, types: ['single_choice'], prefix: 'pn' });
const world = fx.world;
const admin = as(app, (await adminSession(app)).token);

const NAMES = [
  { displayName: 'Nguyễn Văn An', studentId: 'HN0001' },
  { displayName: 'Trần Thị Bình', studentId: 'HN0002' },
  { displayName: 'Lê Hoàng Cường', studentId: 'HN0003' },
];
for (const [i, id] of fx.candidateIds.entries()) {
  const res = await admin({ method: 'PATCH', url: `/api/users/${id}`, payload: NAMES[i] });
  if (res.statusCode !== 200) throw new Error(`rename: ${res.statusCode} ${res.body}`);
}

type Row = { candidateId: string; displayName?: string; username?: string; studentId?: string; reconnects: number };
async function monitor(q?: string): Promise<{ rows: Row[]; body: string }> {
  const res = await world.manager({ method: 'GET', url: `/api/exams/${fx.examId}/monitor${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}` });
  t.equal(res.statusCode, 200, res.body);
  return { rows: res.json().candidates, body: res.body };
}

t.test('the monitor names every candidate: full name, username and số báo danh', async (t) => {
  const { rows } = await monitor();
  t.same(
    rows.map((r) => [r.displayName, r.username, r.studentId]),
    NAMES.map((n, i) => [n.displayName, `pn_cand${i}`, n.studentId]),
  );
  t.ok(rows.every((r) => r.reconnects === 0), 'nobody has come back yet');
  const reads = app.users.people.stats.reads;
  await monitor();
  await monitor('an');
  t.equal(app.users.people.stats.reads, reads, 'the next refreshes read no user again (cached names)');
});

t.test('the monitor finds a candidate by name (with or without diacritics), username or số báo danh', async (t) => {
  const ids = async (q: string) => (await monitor(q)).rows.map((r) => r.candidateId);
  t.same(await ids('Bình'), [fx.candidateIds[1]], 'part of the name');
  t.same(await ids('tran thi binh'), [fx.candidateIds[1]], 'without diacritics');
  t.same(await ids('LÊ HOÀNG'), [fx.candidateIds[2]], 'any case');
  t.same(await ids('cuong'), [fx.candidateIds[2]], 'đ/ư and tones folded');
  t.same(await ids('pn_cand0'), [fx.candidateIds[0]], 'the username');
  t.same(await ids('hn0002'), [fx.candidateIds[1]], 'the số báo danh');
  t.same(await ids(fx.candidateIds[2]!), [fx.candidateIds[2]], 'the id still works');
  t.same(await ids('HN000'), fx.candidateIds, 'several');
  t.same(await ids('Phạm'), [], 'nobody');
});

t.test('a candidate moved to another department is no longer named or found on the monitor', async (t) => {
  const moved = fx.candidateIds[2]!;
  const res = await admin({ method: 'PATCH', url: `/api/users/${moved}`, payload: { roles: [{ role: 'candidate', orgId: world.orgs.otherDep }] } });
  t.equal(res.statusCode, 200, res.body);
  const { rows, body } = await monitor();
  const row = rows.find((r) => r.candidateId === moved)!;
  t.ok(row, 'the roster row stays');
  t.notOk('displayName' in row || 'username' in row || 'studentId' in row, 'but without name, username or số báo danh');
  t.notMatch(body, /Cường|HN0003|pn_cand2/, 'nowhere in the answer');
  t.same((await monitor('cuong')).rows, [], 'the name finds nobody');
  t.same((await monitor('HN0003')).rows, [], 'the số báo danh finds nobody');
  t.same((await monitor('pn_cand2')).rows, [], 'the username finds nobody');
  t.equal((await world.candidate({ method: 'GET', url: `/api/exams/${fx.examId}/monitor?q=an` })).statusCode, 403, 'candidates read no monitor');
});

t.test('the monitor counts a reload as a reconnect, not as leaving the window', async (t) => {
  const url = await listen(app);
  const first = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
  t.equal(first.first.type, 'state');
  first.socket.close();
  await first.socket.closed;
  for (let i = 0; i < 2; i++) {
    const again = await TestSocket.join(url, fx.tokens[0]!, fx.examId);
    t.equal(again.first.type, 'state');
    again.socket.close();
    await again.socket.closed;
  }
  await app.live.presence.flush();
  const row = (await monitor()).rows.find((r) => r.candidateId === fx.candidateIds[0])!;
  t.equal(row.reconnects, 2, 'two reloads after the first join');
  t.notOk('blur' in ((row as { events?: Record<string, number> }).events ?? {}), 'no "left the window"');
});

t.test('bank items name their author and reviewers, within the branch', async (t) => {
  // Names of the department's staff.
  const author = (await world.author({ method: 'GET', url: '/api/me' })).json();
  const reviewer = (await world.reviewer({ method: 'GET', url: '/api/me' })).json();
  t.equal((await admin({ method: 'PATCH', url: `/api/users/${author.id}`, payload: { displayName: 'Nguyễn Thị Lan' } })).statusCode, 200);
  t.equal((await admin({ method: 'PATCH', url: `/api/users/${reviewer.id}`, payload: { displayName: 'Trần Văn Minh' } })).statusCode, 200);
  // Another department's author and reviewer share an item nationally.
  const make = async (username: string, displayName: string) => {
    const res = await admin({ method: 'POST', url: '/api/users', payload: { username, password: WORLD_PASSWORD, displayName, roles: [{ role: 'author', orgId: world.orgs.otherDep }, { role: 'reviewer', orgId: world.orgs.otherDep }] } });
    t.equal(res.statusCode, 201, res.body);
    return as(app, await login(app, username, WORLD_PASSWORD));
  };
  const hcmAuthor = await make('pn_hcm_author', 'Võ Thị Hồng');
  const hcmReviewer = await make('pn_hcm_reviewer', 'Đinh Văn Khoa');
  const national = await createItem(hcmAuthor, itemBody({ type: 'single_choice', topic: 'pn-names', cognitiveLevel: 1, sharing: 'national', label: 'Câu HCM' }));
  t.equal((await setStatus(hcmAuthor, national.id, 'in_review')).statusCode, 200);
  t.equal((await setStatus(hcmReviewer, national.id, 'approved')).statusCode, 200);

  const own = await createItem(world.author, itemBody({ type: 'single_choice', topic: 'pn-names', cognitiveLevel: 1, label: 'Câu HN' }));
  t.equal((await setStatus(world.author, own.id, 'in_review')).statusCode, 200);

  const queue = await world.reviewer({ method: 'GET', url: '/api/items?status=in_review&topic=pn-names' });
  t.equal(queue.statusCode, 200, queue.body);
  const waiting = queue.json().items.find((i: { id: string }) => i.id === own.id);
  t.match(waiting.people[author.id], { displayName: 'Nguyễn Thị Lan', username: 'pn_author' }, 'the review queue names the author');

  t.equal((await setStatus(world.reviewer, own.id, 'approved')).statusCode, 200);
  const page = (await world.author({ method: 'GET', url: `/api/items/${own.id}` })).json();
  t.match(page.people, { [author.id]: { displayName: 'Nguyễn Thị Lan' }, [reviewer.id]: { displayName: 'Trần Văn Minh', username: 'pn_reviewer' } }, 'the review page names the author and the reviewer of each step');
  t.ok(page.statusLog.some((e: { by: string }) => e.by === reviewer.id));

  // The national item reaches the other department, its people's names do not.
  const seen = await world.author({ method: 'GET', url: `/api/items/${national.id}` });
  t.equal(seen.statusCode, 200, seen.body);
  t.same(seen.json().people, {}, 'no name of another department');
  t.notMatch(seen.body, /Võ Thị Hồng|Đinh Văn Khoa|pn_hcm/, 'nowhere in the item');
  const listed = await world.reviewer({ method: 'GET', url: '/api/items?topic=pn-names&limit=50' });
  t.ok(listed.json().items.some((i: { id: string }) => i.id === national.id), 'the search lists the national item');
  t.notMatch(listed.body, /Võ Thị Hồng|Đinh Văn Khoa|pn_hcm/, 'without its people');
  // And the other way round: the department's people stay ids over there.
  const back = await hcmReviewer({ method: 'GET', url: '/api/items?topic=pn-names&limit=50' });
  t.notMatch(back.body, /Nguyễn Thị Lan|Trần Văn Minh|pn_author|pn_reviewer/);
  const theirs = (await hcmReviewer({ method: 'GET', url: `/api/items/${national.id}` })).json();
  t.match(theirs.people, { [national.authorId as string]: { displayName: 'Võ Thị Hồng' } }, 'their own department sees them named');
});

t.test('an exam names its blueprint to its managers only', async (t) => {
  const res = await world.manager({ method: 'GET', url: `/api/exams/${fx.examId}` });
  t.match(res.json(), { blueprintId: fx.blueprintId, blueprintTitle: 'Kiểm tra trực tuyến' });
  const proctor = (await world.proctor({ method: 'GET', url: `/api/exams/${fx.examId}` })).json();
  t.notOk('blueprintTitle' in proctor, 'proctors, who may not read blueprints, see no title');
  const candidate = (await world.candidate({ method: 'GET', url: `/api/exams/${fx.examId}` })).json();
  t.notOk('blueprintTitle' in candidate || 'blueprintId' in candidate, 'candidates nothing of it');
});
