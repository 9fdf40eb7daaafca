/**
 * An exam manager creates an adaptive exam in the staff app, as a person
 * would: picks "Thích ứng", sees the form count fixed at one, sets the test's
 * length and stopping rule (a mistyped length is named beside its field),
 * creates it, assembles the pool and reads what the pool holds.
 */
import t from 'tap';
import { build } from '../helper.js';
import { calibratedBank } from '../support/adaptive-exam.js';
import { buildWebClient, launchBrowser, logInToStaff, screenshot, watchProblems } from '../support/browser.js';
import { WORLD_PASSWORD } from '../support/fixtures/world.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.test('an exam manager creates an adaptive exam and assembles its pool', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const { app } = await build(t);
  const bank = await calibratedBank(app, { items: 10, maxItems: 5, candidates: 2, prefix: 'sad' });
  const url = await frontServer(t, await listenApp(app), webRoot);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, 'sad_manager', WORLD_PASSWORD);
  await page.goto(`${url}/staff/exams/new?blueprintId=${encodeURIComponent(bank.blueprintId)}`);
  await page.getByLabel('Tên kỳ thi').fill('Đánh giá năng lực thích ứng');

  const formCount = page.getByLabel('Số mã đề');
  t.ok(await page.getByRole('group', { name: 'Bài thi thích ứng' }).isHidden(), 'no adaptive settings for a fixed exam');
  await page.getByLabel('Hình thức thi').selectOption('adaptive');
  await page.getByRole('group', { name: 'Bài thi thích ứng' }).waitFor();
  t.equal(await formCount.inputValue(), '1', 'an adaptive exam has one (pool) form');
  t.ok(await formCount.isDisabled(), 'and the count cannot be changed');

  await page.getByLabel('Danh sách thí sinh').fill(bank.world.candidateIds.join('\n'));
  await page.getByLabel('Số câu tối đa').fill('0');
  await page.getByRole('button', { name: 'Tạo kỳ thi' }).click();
  const maxItemsError = page.locator('.field', { has: page.getByLabel('Số câu tối đa') }).locator('.field-error');
  await maxItemsError.waitFor();
  t.ok((await maxItemsError.textContent())?.trim(), 'a length of 0 is named beside its field');
  t.equal(await app.models.Exam.countDocuments({ title: 'Đánh giá năng lực thích ứng' }), 0, 'and nothing is created');

  await page.getByLabel('Số câu tối đa').fill('5');
  await page.getByLabel('Dừng khi sai số chuẩn không quá').fill('0,4');
  await page.getByRole('button', { name: 'Tạo kỳ thi' }).click();
  await page.waitForURL(/\/staff\/exams\/[^/]+$/);
  const facts = page.locator('dl.facts');
  await facts.waitFor();
  const fact = async (name: string) => (await facts.locator('dt', { hasText: name }).locator('xpath=following-sibling::dd[1]').textContent())?.trim();
  t.equal(await fact('Hình thức thi'), 'Thích ứng');
  t.equal(await fact('Số câu tối đa'), '5');
  t.equal(await fact('Dừng khi sai số chuẩn không quá'), '0,4');

  const examId = page.url().split('/').pop()!;
  const stored = await app.models.Exam.findById(examId).lean();
  t.equal(stored?.mode, 'adaptive');
  t.same(stored?.adaptive?.stop, { maxItems: 5, seTarget: 0.4 }, 'the settings typed are the settings stored');
  t.same(stored?.adaptive?.exposure, { method: 'randomesque', k: 5 });

  await page.getByRole('button', { name: /Ghép/ }).click();
  const pool = page.getByText(/Ngân hàng thích ứng:/);
  await pool.waitFor();
  t.equal(
    (await pool.textContent())?.trim(),
    'Ngân hàng thích ứng: 10 câu đã hiệu chỉnh, 0 câu thử nghiệm. Không dùng được: 0 câu chưa hiệu chỉnh, 0 câu không chấm đúng/sai.',
    'the manager reads what the pool holds',
  );
  await page.locator('tr[data-form="101"]').waitFor();
  await screenshot(page, 'staff-exam-adaptive');
  const refused = (e: string) => e.startsWith('HTTP 400') || e.includes('status of 400');
  t.same(problems.errors.filter((e) => !refused(e)), [], 'no script errors (the refused length is the one 400)');
});
