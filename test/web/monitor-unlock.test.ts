/**
 * Exam-day lockout in real Chromium against the real server: a classmate at
 * the school's address locks a candidate out with wrong passwords; the
 * candidate's login page says how long the lock lasts; the proctor sees
 * "locked" on the live monitor and unlocks; the candidate logs in at once.
 */
import t from 'tap';
import type { Browser } from 'playwright-core';
import { build } from '../helper.js';
import { buildWebClient, launchBrowser, logInAsCandidate, logInToStaff, screenshot, watchProblems } from '../support/browser.js';
import { publishedExam } from '../support/exam-fixture.js';
import { WORLD_PASSWORD } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

let browser: Browser;
let webRoot: string;

t.before(async () => {
  webRoot = await buildWebClient(t);
  browser = await launchBrowser(t);
});

t.test('a proctor sees a locked-out candidate on the monitor and unlocks them', async (t) => {
  const { app } = await build(t);
  const url = await frontServer(t, await listenApp(app), webRoot);
  const fx = await publishedExam(app, { candidates: 2, types: ['single_choice'], prefix: 'mu' });
  const candidate = { id: fx.candidateIds[0]!, username: 'mu_cand0' };

  // The browser reaches the server from the same address as the classmate below (127.0.0.1).
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: candidate.username, password: `doan-bua-${i}` } });
    t.equal(res.statusCode, 401);
  }

  const candidateContext = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'vi-VN' });
  t.teardown(() => candidateContext.close());
  const page = await candidateContext.newPage();
  const candidateProblems = watchProblems(page);
  await logInAsCandidate(page, url, candidate.username, WORLD_PASSWORD);
  const refusal = page.getByRole('alert');
  await refusal.filter({ hasText: 'thử lại sau' }).waitFor();
  t.match(await refusal.textContent(), /thử lại sau 1[45] phút( \d+ giây)?, hoặc nhờ giám thị mở khoá/, 'the login page states the real wait');

  const proctorContext = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => proctorContext.close());
  const monitor = await proctorContext.newPage();
  const proctorProblems = watchProblems(monitor);
  await logInToStaff(monitor, url, 'mu_proctor', WORLD_PASSWORD);
  await monitor.goto(`${url}/staff/exams/${fx.examId}/monitor`);
  const row = monitor.locator(`tr[data-candidate="${candidate.id}"]`);
  await row.filter({ hasText: 'Bị khoá đăng nhập đến' }).waitFor({ timeout: 20_000 });
  t.pass('the proctor sees the candidate locked out');
  t.equal(await monitor.locator('tr[data-candidate]', { hasText: 'Bị khoá' }).count(), 1, 'only that candidate');
  await screenshot(monitor, 'monitor-locked');

  await row.getByRole('button', { name: 'Mở khoá đăng nhập cho cand0 (mu_cand0)' }).click();
  await monitor.getByText('Đã mở khoá cho cand0 (mu_cand0)').waitFor();
  await row.filter({ hasNotText: 'Bị khoá' }).waitFor();
  t.pass('the lock is gone from the monitor');

  await page.getByLabel('Mật khẩu').fill(WORLD_PASSWORD);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
  t.pass('the candidate logs in at once');

  const audit = await fx.world.manager({ method: 'GET', url: `/api/audit?target=${encodeURIComponent(`user:${candidate.id}`)}` });
  t.match((audit.json().records as { action: string }[]).filter((r) => r.action === 'user.unlock'), [{ actorRole: 'proctor', summary: { wasLocked: true } }], 'the unlock is audited');
  const only429 = (errors: string[]) => errors.filter((e) => !/\b429\b/.test(e));
  t.same(only429(candidateProblems.errors), [], 'the candidate page had no errors besides the refused login');
  t.same(proctorProblems.errors, [], 'the monitor had no errors');
});
