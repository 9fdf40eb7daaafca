/**
 * The exam board in the staff app, on the demo data: hd.thi (Hội đồng thi of
 * the department) sees the exams of its schools with grading, results and
 * analysis, and no bank, no blueprints and no live monitor.
 */
import t from 'tap';
import { DEMO_EXAM_TITLE, DEMO_PASSWORD, DEMO_USERS, seedDemo } from '../../src/demo/seed.js';
import { ADMIN, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, screenshot, watchProblems } from '../support/browser.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.test('an exam board member finds grading, results and analysis, and nothing else', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const built = await build(t);
  const appUrl = await listenApp(built.app);
  const url = await frontServer(t, appUrl, webRoot);
  await seedDemo(appUrl, ADMIN);
  const board = DEMO_USERS.find((u) => u.role === 'exam_board')!;

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, board.username, DEMO_PASSWORD);
  await page.getByRole('heading', { name: `Xin chào, ${board.displayName}` }).waitFor();
  t.same(await page.locator('.staff-nav a').allTextContents(), ['Tổng quan', 'Kỳ thi'], 'no bank, review or blueprints');
  t.ok(await page.locator('.home-card').filter({ hasText: 'Hội đồng thi' }).count(), 'the home page says what the board does');

  await page.getByRole('link', { name: 'Kỳ thi', exact: true }).first().click();
  await page.getByRole('link', { name: DEMO_EXAM_TITLE }).first().click();
  await page.locator('nav.tabs').waitFor();
  t.same(await page.locator('nav.tabs a').allTextContents(), ['Đề thi', 'Chấm bài', 'Kết quả', 'Phân tích'], 'no live monitor');
  await page.locator('nav.tabs a', { hasText: 'Kết quả' }).click();
  await page.getByRole('heading', { name: /^Kết quả: / }).waitFor();
  await page.locator('nav.tabs a', { hasText: 'Chấm bài' }).click();
  await page.getByRole('button', { name: 'Chấm bài' }).first().waitFor();
  t.pass('the grading page offers to grade the exam');
  await screenshot(page, 'staff-exam-board');
  t.same(problems.errors, [], 'no errors in the page');
});
