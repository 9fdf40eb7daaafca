/**
 * A candidate sits a short adaptive exam in a real browser against the REAL
 * app and grading worker: one item at a time, no navigator and no way back,
 * "Câu tiếp theo" sends the answer and waits for the next item, a reload
 * comes back to the same item, the stopping rule ends the test, and the
 * result shows the 10-point score with θ and its standard error.
 */
import t from 'tap';
import { build } from '../helper.js';
import { publishedAdaptiveExam } from '../support/adaptive-exam.js';
import { buildWebClient, launchBrowser, logInAsCandidate, logInToStaff, watchProblems } from '../support/browser.js';
import { WORLD_PASSWORD } from '../support/fixtures/world.js';
import { frontServer, listenApp } from '../support/front-server.js';
import { inProcessWorkers } from '../support/grading.js';

t.test('a candidate sits an adaptive exam to its end and sees the result', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const built = await build(t);
  const fx = await publishedAdaptiveExam(built.app, { candidates: 1, items: 10, maxItems: 3, prefix: 'cat' });
  const appUrl = await listenApp(built.app);
  const url = await frontServer(t, appUrl, webRoot);
  await inProcessWorkers(t, built.config);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInAsCandidate(page, url, 'cat_cand0', WORLD_PASSWORD);
  await page.getByRole('link', { name: 'Vào thi' }).click();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();

  t.equal(await page.getByRole('navigation', { name: 'Danh sách câu hỏi' }).count(), 0, 'no navigator');
  t.notOk(await page.getByRole('button', { name: '← Câu trước' }).isVisible(), 'no "previous"');
  t.equal(await page.locator('.question-card').count(), 1, 'one item on the page');
  t.match(await page.locator('.position').textContent(), /Câu 1 · tối đa 3 câu/);
  const next = page.getByRole('button', { name: 'Câu tiếp theo' });
  t.ok(await next.isDisabled(), '"Câu tiếp theo" waits for an answer');

  const stems: string[] = [];
  for (let n = 1; n <= 3; n++) {
    await page.getByRole('heading', { name: `Câu ${n}`, exact: true }).waitFor();
    const stem = (await page.locator('.question-card .item-stem').textContent()) ?? '';
    t.notOk(stems.includes(stem), `item ${n} is a new item`);
    stems.push(stem);
    if (n === 2) {
      await page.reload();
      await page.getByRole('heading', { name: 'Câu 2', exact: true }).waitFor();
      t.equal(await page.locator('.question-card .item-stem').textContent(), stem, 'a reload comes back to the same item');
      t.equal(await page.locator('.question-card').count(), 1, 'still only the current item');
    }
    await page.getByRole('radio', { name: /-A$/ }).check();
    await next.click();
  }

  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  t.pass('the stopping rule (3 items) ended the test');
  const result = page.getByRole('region', { name: 'Kết quả' });
  await result.getByText(/^Điểm: [\d,]+\/10$/).waitFor({ timeout: 60_000 });
  t.match(await result.locator('.result-ability').textContent(), /^Năng lực θ = -?[\d,]+ \(sai số chuẩn [\d,]+\), sau 3 câu$/, 'θ and its standard error');
  const stored = await built.app.models.Result.findOne({ examId: fx.examId }).lean();
  t.ok(stored?.adaptive && stored.adaptive.theta > 0, 'three right answers: θ above the prior mean');
  t.same(problems.errors.filter((e) => !/403.*\/result$|status of 403/.test(e)), [], 'nothing but "not graded yet" while the worker grades');

  // The exam manager's results page shows θ and its standard error beside the 10-point score.
  const staff = await context.browser()!.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => staff.close());
  const m = await staff.newPage();
  await logInToStaff(m, url, 'cat_manager', WORLD_PASSWORD);
  await m.goto(`${url}/staff/exams/${fx.examId}/results`);
  await m.getByRole('columnheader', { name: /Năng lực θ/ }).waitFor();
  const row = m.locator(`tr[data-attempt="${stored!._id}"]`);
  const fmt = (x: number) => new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 }).format(x);
  const text = (await row.textContent()) ?? '';
  t.ok(text.includes(fmt(stored!.adaptive!.theta)) && text.includes(fmt(stored!.adaptive!.se)), `θ and SE in the row: ${text}`);
  await m.getByRole('columnheader', { name: /Sai số chuẩn/ }).waitFor();
});
