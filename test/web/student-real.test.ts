/**
 * A candidate against the REAL app and workers, on the demo data `npm start`
 * loads: sign in as hs001, sit the demo exam (showResults: after_submit),
 * hand in, and see the score arrive when the grading worker has graded the
 * attempt — on the end screen, after a reload, and on the exam list. Then
 * `npm run demo:reset` (newDemoSitting) puts a new sitting on the list.
 */
import t from 'tap';
import { DEMO_EXAM_TITLE, DEMO_PASSWORD, newDemoSitting, seedDemo } from '../../src/demo/seed.js';
import { ADMIN, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInAsCandidate, screenshot, watchProblems } from '../support/browser.js';
import { frontServer, listenApp } from '../support/front-server.js';
import { inProcessWorkers } from '../support/grading.js';

t.test('a demo candidate sits the demo exam and sees the score once it is graded', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const built = await build(t);
  const appUrl = await listenApp(built.app);
  const url = await frontServer(t, appUrl, webRoot);
  await inProcessWorkers(t, built.config);
  await seedDemo(appUrl, ADMIN);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInAsCandidate(page, url, 'hs001', DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
  await page.getByRole('link', { name: 'Vào thi' }).click();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  t.notMatch(await page.locator('.question-card:not([hidden]) .item-stem').textContent(), /Câu \d/, 'question 1 does not call itself another number');
  await page.locator('#q-0-option-0').check();
  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');

  await page.getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('dialog', { name: 'Nộp bài?' }).getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  const result = page.getByRole('region', { name: 'Kết quả' });
  await result.getByText(/^Điểm: [\d,]+\/10$/).waitFor({ timeout: 60_000 });
  t.match(await result.textContent(), /Điểm từng câu được công bố sau khi kỳ thi đóng/, 'after_submit: the total now, points per item after the close');
  await screenshot(page, 'real-result');
  const score = await result.locator('.result-score').textContent();

  await page.reload();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  t.equal(await page.getByRole('region', { name: 'Kết quả' }).locator('.result-score').textContent({ timeout: 30_000 }), score, 'the same score after a reload');

  await page.getByRole('button', { name: 'Về danh sách bài thi' }).click();
  await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
  const listed = page.locator('.exam-card').filter({ hasText: DEMO_EXAM_TITLE });
  await listed.locator('.result-score').filter({ hasText: score! }).waitFor();
  t.pass('the exam list shows the score too');

  const { title } = await newDemoSitting(appUrl);
  await page.reload();
  await page.locator('.exam-card').filter({ hasText: title }).getByRole('link', { name: 'Vào thi' }).waitFor();
  t.pass('demo:reset gives a new sitting to enter');
  // While grading runs the result endpoint answers 403 not_graded, and the page asks again.
  t.same(problems.errors.filter((e) => !/403.*\/result$|status of 403/.test(e)), [], 'nothing but "not graded yet" while the worker grades');
});
