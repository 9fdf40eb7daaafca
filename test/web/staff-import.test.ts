/**
 * A teacher imports a real Word paper in real Chromium against the real
 * server: "Xem trước" shows each question as it would be stored (formulas
 * typeset, the key, the warnings) and the questions that cannot be read,
 * with nothing written; they change the topic, press "Nhập", and find the
 * items in the bank with that topic.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Browser } from 'playwright-core';
import { build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, screenshot, watchProblems } from '../support/browser.js';
import { interopWorld } from '../support/fixtures/index.js';
import { writeDocx, type Para, type Run } from '../support/docx-writer.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.setTimeout(600_000);

const docx = (name: string) => ({
  name,
  mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  buffer: readFileSync(new URL(`../fixtures/docx/${name}`, import.meta.url)),
});

let browser: Browser;
let webRoot: string;

t.before(async () => {
  webRoot = await buildWebClient(t);
  browser = await launchBrowser(t);
});

t.test('a teacher previews a Word paper, changes the topic, imports it and finds the items', async (t) => {
  const { app } = await build(t);
  const url = await frontServer(t, await listenApp(app), webRoot);
  const world = await interopWorld(app);
  const stored = () => app.models.Item.countDocuments({});

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, 'authorA', world.password, '/staff/items');
  await page.getByText('Nhập / xuất tệp câu hỏi').click();
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'Nhập câu hỏi từ tệp' }) });
  const confirm = section.getByRole('button', { name: 'Nhập', exact: true });
  t.ok(await confirm.isDisabled(), '"Nhập" waits for a preview');

  // A paper with a question that cannot be read: named by its number and reason.
  await section.getByLabel('Tệp', { exact: true }).setInputFiles(docx('toan-de-anh.docx'));
  t.equal(await section.getByLabel('Định dạng').inputValue(), 'docx', 'the format follows the file');
  await section.getByLabel('Môn học').fill('toan');
  await section.getByLabel('Lớp').selectOption('12');
  await section.getByLabel('Chủ đề').fill('on-thi');
  await section.getByLabel('Mức độ nhận thức').selectOption('3');
  await section.getByRole('button', { name: 'Xem trước' }).click();
  await section.getByRole('heading', { name: 'Xem trước: 48 câu sẽ được nhập, 1 câu không đọc được' }).waitFor({ timeout: 60_000 });
  t.match(await section.locator('.import-failed').textContent(), /Câu 1: The key is option A, but no options "A\.", "B\.", … were found in the question/);
  t.ok((await section.locator('.import-item img[src^="data:image/png"]').count()) > 40, 'the pictures of the paper are shown');
  t.equal(await stored(), 0, 'a preview stores nothing');

  // The paper to import: the 2025 format, with formulas and inferences.
  await section.getByLabel('Tệp', { exact: true }).setInputFiles(docx('thpt-2025-toan-on-luyen.docx'));
  t.equal(await section.locator('.import-preview').count(), 0, 'a new file clears the old preview');
  t.equal(await section.getByLabel('Gắn nhãn cho các câu nhập').inputValue(), 'thpt-2025-toan-on-luyen', 'the new file names the tag');
  t.ok(await confirm.isDisabled());
  await section.getByLabel('Chủ đề').fill('on-luyen');
  await section.getByLabel('Mức độ nhận thức').selectOption('2');
  await section.getByRole('button', { name: 'Xem trước' }).click();
  await section.getByRole('heading', { name: 'Xem trước: 5 câu sẽ được nhập, 0 câu không đọc được' }).waitFor({ timeout: 60_000 });
  const items = section.locator('.import-item');
  t.equal(await items.count(), 5);
  const first = items.nth(0);
  t.match(await first.locator('h4').textContent(), /^Câu 1 · PHẦN I/);
  t.match(await first.textContent(), /Nguyên hàm của hàm số/);
  t.ok((await first.locator('.katex').count()) >= 5, 'the formulas of the stem and options are typeset');
  t.equal(await first.locator('.katex-error').count(), 0);
  t.notMatch(await first.textContent(), /\\\(/, 'no LaTeX source left on screen');
  t.match(await first.locator('.import-meta').textContent(), /toan · lớp 12 · on-luyen · .* · Tiếng Việt/, 'the defaults and the detected language');
  t.equal(await first.locator('input[type="radio"]').count(), 4, 'the options are drawn as a candidate sees them');
  t.equal(await first.locator('input[type="radio"]:checked').count(), 1, 'with the key marked');
  t.match(await items.nth(3).locator('.import-warnings').textContent(), /Type numeric taken from section "PHẦN III/, 'the inference is shown on its question');
  t.equal(await stored(), 0, 'still nothing stored');
  await screenshot(page, 'staff-import-preview');

  // The teacher changes the topic and confirms.
  await section.getByLabel('Chủ đề').fill('nguyen-ham');
  await confirm.click();
  await section.getByText('Đã nhập 5 câu hỏi; 0 câu không nhập được.').waitFor({ timeout: 60_000 });
  t.equal(await stored(), 5);
  t.ok(await confirm.isDisabled(), 'one confirmation imports once');
  await section.getByRole('link', { name: 'Xem các câu vừa nhập' }).click();
  await page.waitForURL(/tag=thpt-2025-toan-on-luyen/);
  await page.locator('tbody tr').first().waitFor();
  t.equal(await page.locator('tbody tr').count(), 5, 'the imported items, found by the file name tag');
  t.same(await page.locator('tbody tr td:nth-child(4)').allTextContents(), Array(5).fill('nguyen-ham'), 'with the topic as changed before confirming');
  const bank = (await world.users.authorA({ method: 'GET', url: '/api/items?tag=thpt-2025-toan-on-luyen&limit=10' })).json().items as { topic: string; language: string; status: string }[];
  t.same(
    bank.map((i) => [i.topic, i.language, i.status]),
    Array(5).fill(['nguyen-ham', 'vi', 'draft']),
  );
  t.same(problems.errors, [], 'no errors on the page');
});

t.test('a Word paper with its key in a separate file: the teacher adds the key file and the preview shows the keys', async (t) => {
  const { app } = await build(t);
  const url = await frontServer(t, await listenApp(app), webRoot);
  const world = await interopWorld(app);
  const wordType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  // The paper of mã đề 209 carries no key; the exam office's key file has every mã đề (synthetic).
  const p = (...runs: Run[]): Para => ({ runs });
  const paper = writeDocx({ blocks: [p('Mã đề 209'), ...[1, 2, 3].flatMap((n) => [p(`Câu ${n}. Câu hỏi số ${n}?`), p('A. a', { tab: true }, 'B. b', { tab: true }, 'C. c', { tab: true }, 'D. d')])] });
  const key = writeDocx({ blocks: [p('ĐÁP ÁN CÁC MÃ ĐỀ'), { table: [[[p('Câu')], [p('132')], [p('209')]], [[p('1')], [p('A')], [p('C')]], [[p('2')], [p('B')], [p('D')]], [[p('3')], [p('C')], [p('A')]]] }] });

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, 'authorA', world.password, '/staff/items');
  await page.getByText('Nhập / xuất tệp câu hỏi').click();
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'Nhập câu hỏi từ tệp' }) });
  const keyInput = section.getByLabel('Tệp đáp án (nếu tách riêng)');

  await section.getByLabel('Định dạng').selectOption('aiken');
  t.notOk(await keyInput.isVisible(), 'no key file for formats other than Word');
  await section.getByLabel('Tệp', { exact: true }).setInputFiles({ name: 'de-209.docx', mimeType: wordType, buffer: Buffer.from(paper) });
  t.ok(await keyInput.isVisible(), 'a Word paper offers the key file');
  await section.getByLabel('Môn học').fill('tin-hoc');
  await section.getByLabel('Lớp').selectOption('12');
  await section.getByLabel('Chủ đề').fill('de-209');
  await section.getByLabel('Mức độ nhận thức').selectOption('1');

  // Without the key file no question has a key.
  await section.getByRole('button', { name: 'Xem trước' }).click();
  await section.getByRole('heading', { name: /^Xem trước: 0 câu sẽ được nhập, 3 câu không đọc được/ }).waitFor({ timeout: 60_000 });

  await keyInput.setInputFiles({ name: 'dap-an.docx', mimeType: wordType, buffer: Buffer.from(key) });
  t.equal(await section.locator('.import-preview').count(), 0, 'a new key file clears the old preview');
  await section.getByRole('button', { name: 'Xem trước' }).click();
  await section.getByRole('heading', { name: 'Xem trước: 3 câu sẽ được nhập, 0 câu không đọc được' }).waitFor({ timeout: 60_000 });
  const items = section.locator('.import-item');
  const checked = [];
  for (let i = 0; i < 3; i++) checked.push(await items.nth(i).locator('input[type="radio"]:checked').evaluate((el) => el.closest('label')?.textContent?.trim() ?? ''));
  t.match(checked, [/^C/, /^D/, /^A/], 'the keys of mã đề 209 from the key file');
  t.match(await items.nth(0).locator('.import-warnings').textContent(), /Key C taken from the answer table/, 'the inference is shown');

  await section.getByRole('button', { name: 'Nhập', exact: true }).click();
  await section.getByText('Đã nhập 3 câu hỏi; 0 câu không nhập được.').waitFor({ timeout: 60_000 });
  const bank = (await world.users.authorA({ method: 'GET', url: '/api/items?topic=de-209&limit=10' })).json().items as { correct: string[] }[];
  t.same(bank.map((i) => i.correct).sort(), [['A'], ['C'], ['D']], 'stored with the keys of the key file');
  t.same(problems.errors, [], 'no errors on the page');
});
