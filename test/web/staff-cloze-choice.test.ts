/**
 * The staff cloze editor in real Chromium against the real server: an author
 * adds a dropdown blank, writes its options, marks the right one, sees the
 * preview render it as a <select>, and saves; the stored item has the choice
 * blank with its key.
 */
import t from 'tap';
import { build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, watchProblems } from '../support/browser.js';
import { STAFF_PASSWORD, staffWorld } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.test('an author adds a dropdown blank with its options and marks the right one', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const { app } = await build(t);
  const appUrl = await listenApp(app);
  const url = await frontServer(t, appUrl, webRoot);
  const world = await staffWorld(app, url, 0);

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, world.author.username, STAFF_PASSWORD);

  await page.goto(`${url}/staff/items/new?type=cloze`);
  await page.getByLabel('Đề bài', { exact: true }).fill('<p>Chọn từ đúng.</p>');
  await page.getByLabel('Môn học', { exact: true }).fill('english');
  await page.getByLabel('Chủ đề', { exact: true }).fill('grammar');
  await page.getByLabel('Mức độ nhận thức').selectOption('1');
  await page.getByRole('button', { name: 'Chèn chỗ trống' }).click();
  await page.getByRole('button', { name: 'Chèn chỗ trống' }).click();
  await page.getByLabel('Đoạn văn có chỗ trống').fill('She {{b1}} a teacher in {{b2}}.');
  await page.locator('#ed-blanks-0-kind').selectOption('choice');
  await page.locator('#ed-blanks-0-options-0-text').fill('is');
  await page.locator('#ed-blanks-0-options-1-text').fill('are');
  await page.locator('#ed-blanks-0-options-add').click();
  await page.locator('#ed-blanks-0-options-2-text').fill('be');
  await page.locator('#ed-blanks-0-correct-0').check();
  t.equal(await page.locator('#ed-blanks-0-correct-summary').textContent(), 'Đáp án đúng: A', 'the key line names the right option');
  await page.locator('#ed-blanks-0-shuffle').check();
  await page.locator('#ed-blanks-1-accepted').fill('Hà Nội');

  const preview = page.locator('.preview');
  const select = preview.locator('select.cloze-blank');
  await select.locator('option', { hasText: 'be' }).waitFor({ state: 'attached' });
  t.same(await select.locator('option').allTextContents(), ['— Chọn —', 'is', 'are', 'be'], 'the preview shows the dropdown with its options');

  await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
  await page.waitForURL(/\/staff\/items\/[0-9a-f]{24}$/);
  const id = page.url().split('/').pop()!;
  const stored = await app.inject({ method: 'GET', url: `/api/items/${id}`, headers: { authorization: `Bearer ${world.author.token}` } });
  t.equal(stored.statusCode, 200);
  t.same(stored.json().blanks, [
    { id: 'b1', options: [{ id: 'A', text: 'is' }, { id: 'B', text: 'are' }, { id: 'C', text: 'be' }], correct: ['A'], shuffle: true },
    { id: 'b2', accepted: ['Hà Nội'] },
  ], 'the stored item has the choice blank and its key');
  t.same(problems.errors, [], 'no page errors');
});
