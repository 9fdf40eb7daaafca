/**
 * People by name in the staff app, in real Chromium against the real server:
 * the exam manager's monitor names each candidate (full name, username, số báo
 * danh) and its search finds them by any of these, with or without
 * diacritics; a candidate who reloads the exam page shows up as a reconnect,
 * not as leaving the window; the exam page names its blueprint; the reviewer's
 * queue and review page name the author instead of a database id.
 */
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { adminSession, as, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInAsCandidate, logInToStaff, screenshot, watchProblems } from '../support/browser.js';
import { publishedExam } from '../support/exam-fixture.js';
import { createItem, itemBody, setStatus, WORLD_PASSWORD } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.setTimeout(300_000);

let browser: Browser;
let webRoot: string;

t.before(async () => {
  webRoot = await buildWebClient(t);
  browser = await launchBrowser(t);
});

const NAMES = [
  { displayName: 'Nguyễn Văn An', studentId: 'HN0001' },
  { displayName: 'Trần Thị Bình', studentId: 'HN0002' },
  { displayName: 'Lê Hoàng Cường', studentId: 'HN0003' },
];

t.test('the exam manager and the reviewer read names, not ids', async (t) => {
  const { app } = await build(t);
  const url = await frontServer(t, await listenApp(app), webRoot);
  const fx = await publishedExam(app, { candidates: 3, types: ['single_choice'], prefix: 'nb' });
  const admin = as(app, (await adminSession(app)).token);
  for (const [i, id] of fx.candidateIds.entries()) t.equal((await admin({ method: 'PATCH', url: `/api/users/${id}`, payload: NAMES[i] })).statusCode, 200);
  const authorId = (await fx.world.author({ method: 'GET', url: '/api/me' })).json().id as string;
  t.equal((await admin({ method: 'PATCH', url: `/api/users/${authorId}`, payload: { displayName: 'Nguyễn Thị Lan' } })).statusCode, 200);
  const waiting = await createItem(fx.world.author, itemBody({ type: 'single_choice', topic: 'nb-names', cognitiveLevel: 1, label: 'Câu chờ duyệt' }));
  t.equal((await setStatus(fx.world.author, waiting.id, 'in_review')).statusCode, 200);

  async function staffPage(username: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const problems = watchProblems(page);
    await logInToStaff(page, url, username, WORLD_PASSWORD);
    return { page, errors: problems.errors };
  }

  // A candidate opens the exam, then reloads the page.
  const candidateContext = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'vi-VN' });
  t.teardown(() => candidateContext.close());
  const candidate = await candidateContext.newPage();
  const candidateProblems = watchProblems(candidate);
  await logInAsCandidate(candidate, url, 'nb_cand0', WORLD_PASSWORD);
  await candidate.getByRole('link', { name: 'Vào thi' }).click();
  await candidate.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  await candidate.reload();
  await candidate.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();

  const { page: m, errors: managerErrors } = await staffPage('nb_manager');
  await m.goto(`${url}/staff/exams/${fx.examId}`);
  await m.getByRole('link', { name: 'Kiểm tra trực tuyến' }).waitFor();
  t.equal(await m.getByRole('link', { name: 'Kiểm tra trực tuyến' }).getAttribute('href'), `/staff/blueprints/${fx.blueprintId}`, 'the exam page names its blueprint and links to it');
  t.equal(await m.getByText(fx.blueprintId).count(), 0, 'and does not show its id');

  await m.getByRole('link', { name: 'Giám sát' }).click();
  const rows = m.locator('tbody tr[data-candidate]');
  await rows.nth(2).waitFor();
  for (const [i, n] of NAMES.entries()) {
    const header = m.locator(`tr[data-candidate="${fx.candidateIds[i]}"] th`);
    t.equal((await header.textContent())?.replace(/\s+/g, ' ').trim(), `${n.displayName}nb_cand${i} · SBD ${n.studentId}`, `row ${i + 1}: name, username and số báo danh`);
  }
  t.equal(await m.locator('main').getByText(fx.candidateIds[0]!).count(), 0, 'no candidate id on the page');

  const first = m.locator(`tr[data-candidate="${fx.candidateIds[0]}"]`);
  await first.filter({ hasText: 'Tải lại / kết nối lại ×1' }).waitFor({ timeout: 20_000 });
  t.equal(await first.filter({ hasText: 'Rời cửa sổ' }).count(), 0, 'the reload is a reconnect, not leaving the window');
  t.equal(await m.getByRole('columnheader', { name: 'Vào lại' }).count(), 1, 'in a column of its own');
  await screenshot(m, 'monitor-names');

  const search = m.getByLabel('Tìm thí sinh');
  t.equal(await search.getAttribute('placeholder'), 'Họ tên, tên đăng nhập hoặc số báo danh');
  const shown = async () => (await rows.filter({ visible: true }).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-candidate'))));
  for (const [q, expected] of [
    ['tran thi binh', [fx.candidateIds[1]]],
    ['Cường', [fx.candidateIds[2]]],
    ['nb_cand0', [fx.candidateIds[0]]],
    ['hn0003', [fx.candidateIds[2]]],
    ['Phạm', []],
  ] as const) {
    await search.fill(q);
    t.same(await shown(), expected, `searching "${q}"`);
  }
  await search.fill('');
  t.equal((await shown()).length, 3, 'an empty search shows everyone');
  await first.getByRole('button', { name: 'Cộng giờ' }).click();
  t.equal(await first.getByLabel('Số phút cộng thêm cho Nguyễn Văn An (SBD HN0001)').count(), 1, 'the extra-time field names the candidate');

  const { page: r, errors: reviewerErrors } = await staffPage('nb_reviewer');
  await r.goto(`${url}/staff/review`);
  const queued = r.locator(`tr[data-item-id="${waiting.id}"]`);
  await queued.waitFor();
  t.match(await queued.textContent(), 'Nguyễn Thị Lan (nb_author)', 'the review queue names the author');
  t.notMatch(await queued.textContent(), authorId, 'not by id');
  await queued.getByRole('link', { name: /^Xem và duyệt/ }).click();
  await r.getByRole('heading', { name: 'Quyết định' }).waitFor();
  const facts = r.locator('dl.facts');
  t.match(await facts.textContent(), 'Nguyễn Thị Lan (nb_author)', 'the review page names the author');
  t.match(await r.locator('.status-log').textContent(), 'Nguyễn Thị Lan (nb_author)', 'and who sent it for review');
  t.notMatch(await r.locator('main').textContent(), authorId, 'no author id on the page');
  await screenshot(r, 'review-names');

  t.same(managerErrors, [], 'the manager saw no errors');
  t.same(reviewerErrors, [], 'the reviewer saw no errors');
  t.same(candidateProblems.errors, [], 'the candidate saw no errors');
});
