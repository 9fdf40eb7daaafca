/**
 * The staff web client end to end in real Chromium against the REAL server
 * (test/helper.ts build(), listening on a port, the workers' processors
 * running in-process): an author writes one item of each of the ten types in
 * the editor and sends them for review; a second person reviews them (the
 * author is never offered their own); an exam manager builds a blueprint in
 * the matrix editor, creates an exam, assembles four forms, looks at and
 * prints them, and publishes; a candidate sits the exam in the candidate
 * client while the manager watches the live monitor and gives extra time;
 * the other candidates sit it over the socket; the manager grades, marks the
 * essays, reads the results and the analysis. Steps whose server routes are
 * not there yet check the page's explanation instead and say so.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { build } from '../helper.js';
import { ARTIFACTS_DIR, buildWebClient, launchBrowser, logInAsCandidate, logInToStaff, watchProblems, type PageProblems, type TestLike } from '../support/browser.js';
import { TestSocket, type Msg } from '../support/live-client.js';
import { seedApproved, STAFF_PASSWORD, staffWorld, type StaffUser, type StaffWorld } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';
import { inProcessWorkers } from '../support/grading.js';

t.setTimeout(900_000);

let browser: Browser;
let webRoot: string;
let app: FastifyInstance;
let world: StaffWorld;
let url: string;

const TOPIC = 'ham-so';

interface Person {
  page: Page;
  problems: PageProblems;
  context: BrowserContext;
}

/** A browser context for one person, signed in through the login page (a deep link to /staff asks for it). */
async function signIn(t: TestLike, user: StaffUser, viewport = { width: 1366, height: 900 }): Promise<Person> {
  const context = await browser.newContext({ viewport, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, user.username, STAFF_PASSWORD);
  await page.getByRole('heading', { name: `Xin chào, ${user.displayName}` }).waitFor();
  return { page, problems, context };
}

/**
 * A full-page screenshot in test-artifacts/, once web fonts (KaTeX's) have
 * loaded; sticky panels are laid out in place so the long page reads cleanly.
 */
async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, style: '.preview, .sticky-actions { position: static !important; max-height: none !important; }' });
  return file;
}

/** How many elements match once the (debounced) preview has drawn at least `n` of them. */
async function settled(locator: ReturnType<Page['locator']>, n: number): Promise<number> {
  await locator.nth(n - 1).waitFor();
  return locator.count();
}

/** Visible form controls without an accessible name. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('main input, main select, main textarea'))
      .filter((el) => el.getClientRects().length > 0)
      .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
      .map((el) => el.outerHTML.slice(0, 160)),
  );
}

function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** The outermost elements reaching past the right edge of the screen (to say what overflows). */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walk = (el: Element) => {
      const r = el.getBoundingClientRect();
      if (r.right > document.documentElement.clientWidth + 1 && getComputedStyle(el).position !== 'fixed') {
        out.push(`${el.tagName.toLowerCase()}.${Array.from(el.classList).join('.')} right=${Math.round(r.right)}`);
        return;
      }
      for (const child of Array.from(el.children)) walk(child);
    };
    walk(document.body);
    return out.slice(0, 10);
  });
}

/** A refusal the test provokes on purpose (validation_failed), as the browser reports it twice. */
const REFUSED_400 = [/^HTTP 400: /, /^console: Failed to load resource: the server responded with a status of 400/];

/** Problems except the harmless CSP reports (see watchProblems) and the allowed ones. */
const errorsOf = (p: Person, allowed: RegExp[] = []) => p.problems.errors.filter((e) => !allowed.some((r) => r.test(e)));

/** Fills the fields every item has. */
async function common(page: Page, stem: string, level: number): Promise<void> {
  await page.getByLabel('Đề bài', { exact: true }).fill(stem);
  await page.getByLabel('Môn học', { exact: true }).fill('math');
  await page.getByLabel('Chủ đề', { exact: true }).fill(TOPIC);
  await page.getByLabel('Mức độ nhận thức').selectOption(String(level));
}

/** Saves and sends a new item for review; returns its id. */
async function saveAndSubmit(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
  await page.waitForURL(/\/staff\/items\/[0-9a-f]{24}$/);
  await page.getByText('Đã lưu phiên bản 1 và gửi duyệt.').waitFor();
  return page.url().split('/').pop()!;
}

/** Answers the visible question of the candidate client with whatever its first control allows. */
async function answerVisible(page: Page): Promise<void> {
  const card = page.locator('.question-card:not([hidden])');
  if (await card.locator('input[type=radio]').count()) return card.locator('input[type=radio]').first().check();
  if (await card.locator('input[type=checkbox]').count()) return card.locator('input[type=checkbox]').first().check();
  if (await card.locator('select').count()) {
    for (const select of await card.locator('select').all()) await select.selectOption({ index: 1 });
    return;
  }
  if (await card.locator('textarea').count()) return card.locator('textarea').fill('Bài làm thử của thí sinh trong trình duyệt.');
  if (await card.locator('input[type=text]').count()) {
    for (const input of await card.locator('input[type=text]').all()) await input.fill('3');
    await page.keyboard.press('Tab');
    return;
  }
  await card.getByRole('button', { name: 'Chọn thứ tự này' }).click();
}

/** A response of the right shape for a delivered item; `c` varies it between candidates. */
function responseFor(item: Msg, c: number): unknown {
  const list = (key: string) => (item[key] as { id: string }[] | undefined) ?? [];
  switch (item.type) {
    case 'single_choice':
      return list('options')[(c + Number(item.number)) % list('options').length]!.id;
    case 'multiple_choice':
      return list('options').slice(0, 1 + (c % 2)).map((o) => o.id);
    case 'true_false':
      return c % 2 === 0;
    case 'true_false_cluster':
      return Object.fromEntries(list('statements').map((s, i) => [s.id, (i + c) % 2 === 0]));
    case 'numeric':
      return c % 2 ? '-1,5' : '2';
    case 'short_text':
      return c % 3 ? 'Hà Nội' : 'Huế';
    case 'matching':
      return Object.fromEntries(list('premises').map((p, i) => [p.id, list('choices')[(i + c) % list('choices').length]!.id]));
    case 'ordering':
      return c % 2 ? list('elements').map((e) => e.id) : list('elements').map((e) => e.id).reverse();
    case 'cloze':
      return Object.fromEntries(list('blanks').map((b, i) => [b.id, i === 0 ? (c % 2 ? 'Hà Nội' : 'Huế') : '3']));
    default:
      return `Bài tự luận của thí sinh số ${c}: hàm số đồng biến vì đạo hàm dương trên khoảng đang xét.`;
  }
}

/** Sits the exam over the WebSocket: every item answered, then handed in. */
async function sitOverSocket(wsUrl: string, token: string, examId: string, c: number): Promise<void> {
  const { socket, first } = await TestSocket.join(wsUrl, token, examId);
  try {
    if (first.type !== 'state') throw new Error(`join answered ${JSON.stringify(first)}`);
    let seq = Number(first.lastSeq ?? 0);
    for (const item of first.items as Msg[]) {
      seq += 1;
      socket.send({ type: 'answer', seq, itemId: item.itemId, response: responseFor(item, c) });
      const reply = await socket.reply(seq);
      if (reply.type !== 'ack') throw new Error(`answer refused: ${JSON.stringify(reply)}`);
    }
    seq += 1;
    socket.send({ type: 'submit', seq });
    await socket.next((m) => m.type === 'submitted');
  } finally {
    socket.close();
  }
}

t.before(async () => {
  webRoot = await buildWebClient(t);
  browser = await launchBrowser(t);
});

t.test('staff workflow end to end', async (t) => {
  // Six candidates over four forms: an item has a response or two, which is enough here for the analysis write-back.
  const built = await build(t, { ANALYSIS_MIN_RESPONSES: '1' });
  app = built.app;
  const appUrl = await listenApp(app);
  url = await frontServer(t, appUrl, webRoot);
  await inProcessWorkers(t, built.config);
  world = await staffWorld(app, url, 6);
  // Approved single-choice items so that four forms can differ: 12 for ham-so and 8 for tich-phan, level 1.
  await seedApproved(app, world, [
    { topic: TOPIC, cognitiveLevel: 1, count: 12 },
    { topic: 'tich-phan', cognitiveLevel: 1, count: 8 },
  ]);
  const missing: string[] = [];
  const has = (method: string, route: string) => {
    const ok = app.hasRoute({ method: method as 'GET', url: route });
    if (!ok) missing.push(`${method} ${route}`);
    return ok;
  };

  const author = await signIn(t, world.author);
  const ids: Record<string, string> = {};

  await t.test('the author writes one item of each type with a live preview, and sends each for review', async (t) => {
    const { page } = author;
    t.same(await page.locator('.staff-nav a').allTextContents(), ['Tổng quan', 'Ngân hàng câu hỏi', 'Duyệt câu hỏi'], 'the sections an author and reviewer may open');
    await page.getByRole('link', { name: 'Thêm câu hỏi' }).first().click();
    await page.getByRole('heading', { name: 'Câu hỏi mới' }).waitFor();

    // 1. single choice: field errors from the server next to their fields, then two revisions and a diff.
    t.equal(await page.getByLabel('Dạng câu hỏi').inputValue(), 'single_choice');
    await common(page, "<p>Giải phương trình \\(f'(x) = 0\\) với \\(f(x) = x^3 - 3x\\). Hàm số đạt cực đại tại</p>", 1);
    await page.getByLabel('Chủ đề', { exact: true }).fill('Hàm số');
    for (const [i, text] of ['\\(x = -1\\)', '\\(x = 1\\)', '\\(x = 0\\)', 'Hàm số không có cực đại'].entries()) await page.getByLabel(`Phương án ${'ABCD'[i]}`, { exact: true }).fill(text);
    await page.locator('.edit-row').nth(3).getByLabel('Giữ vị trí').check();
    const preview = page.locator('.preview');
    await preview.locator('.item-stem').filter({ hasText: 'Hàm số đạt cực đại tại' }).waitFor();
    t.equal(await settled(preview.locator('.choice'), 4), 4, 'the preview shows the four options');
    t.ok(await preview.locator('.katex').count(), 'maths is typeset in the preview');
    t.same(await unlabelledControls(page), [], 'every control of the editor has a label');
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    t.match(await summary.textContent(), /Chưa lưu được/);
    t.equal(await page.getByLabel('Chủ đề', { exact: true }).getAttribute('aria-invalid'), 'true');
    t.match(await page.locator('.field--invalid').filter({ has: page.getByLabel('Chủ đề', { exact: true }) }).locator('.field-error').textContent(), 'Sai định dạng.', 'the topic error sits under the topic');
    t.match(await page.locator('.key-slot .field-error').textContent(), 'Cần ít nhất 1 mục.', 'the missing key is shown where the key is chosen');
    t.equal(page.url(), `${url}/staff/items/new`, 'nothing was stored');
    await screenshot(page, 'staff-editor-errors');
    const topicError = page.locator('.field').filter({ has: page.getByLabel('Chủ đề', { exact: true }) }).locator('.field-error');
    // An empty topic is missing, not badly formatted.
    await page.getByLabel('Chủ đề', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    await topicError.filter({ hasText: 'Cần điền mục này.' }).waitFor();
    t.pass('an empty topic is reported as required');
    // An error goes as soon as its field is edited; the others stay until they are fixed.
    await page.getByLabel('Chủ đề', { exact: true }).fill(TOPIC);
    t.equal(await topicError.isVisible(), false, 'the topic error is gone once the topic is typed');
    t.equal(await page.getByLabel('Chủ đề', { exact: true }).getAttribute('aria-invalid'), null);
    t.notMatch(await summary.textContent(), /Chủ đề/, 'the summary no longer lists it');
    t.match(await page.locator('.key-slot .field-error').textContent(), 'Cần ít nhất 1 mục.', 'the key error stays: the key is still missing');
    await page.locator('#ed-correct-0').check();
    // Two options a candidate cannot tell apart are refused, under the repeat.
    await page.getByLabel('Phương án D', { exact: true }).fill('\\(x  =  1\\)');
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    const optionD = page.locator('.field').filter({ has: page.getByLabel('Phương án D', { exact: true }) }).locator('.field-error');
    await optionD.filter({ hasText: 'Trùng' }).waitFor();
    t.match(await optionD.textContent(), /Trùng nội dung với mục 2 \(mã B\)/, 'the repeated option is named');
    await page.getByLabel('Phương án D', { exact: true }).fill('Hàm số không có cực đại');
    t.equal(await optionD.isVisible(), false, 'its error goes when the option is edited');
    // Broken LaTeX is shown as broken, not as plain text (KaTeX's inline colour is refused by the CSP).
    await page.getByLabel('Đề bài', { exact: true }).fill('<p>Tính \\(\\frac{1}{\\) và</p>');
    const broken = preview.locator('.katex-error').first();
    await broken.waitFor();
    t.equal(await broken.evaluate((el) => getComputedStyle(el).color), 'rgb(179, 38, 30)', 'a formula KaTeX cannot read is marked in red');
    await page.getByLabel('Đề bài', { exact: true }).fill("<p>Giải phương trình \\(f'(x) = 0\\) với \\(f(x) = x^3 - 3x\\). Hàm số đạt cực đại tại</p>");
    await page.getByLabel('Hiện đáp án').check();
    t.ok(await preview.locator('#preview-option-0').isChecked(), 'the preview shows the key on request');
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    await page.waitForURL(/\/staff\/items\/[0-9a-f]{24}$/);
    await page.getByText('Đã lưu phiên bản 1.').waitFor();
    ids.single_choice = page.url().split('/').pop()!;
    await page.getByLabel('Đề bài', { exact: true }).fill("<p>Giải phương trình \\(f'(x) = 0\\) với \\(f(x) = x^3 - 3x\\). Hàm số đạt cực đại tại điểm nào (chọn một đáp án)?</p>");
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    await page.getByText('Đã lưu phiên bản 2.').waitFor();
    await page.getByRole('button', { name: 'Lưu nháp' }).click();
    await page.getByText('Không có thay đổi nào để lưu.').waitFor();
    await screenshot(page, 'staff-editor-single-choice');
    await page.locator('.item-meta').getByRole('link', { name: 'Lịch sử' }).click();
    await page.getByRole('heading', { name: 'Lịch sử phiên bản' }).waitFor();
    const stemChange = page.locator('tr[data-path="/stem"]');
    await stemChange.waitFor();
    t.match(await stemChange.locator('ins').allTextContents(), [/điểm nào \(chọn một đáp án\)\?/], 'the diff marks the words added to the stem');
    t.equal(await page.locator('table').first().locator('tbody tr').count(), 2, 'two revisions listed');
    await screenshot(page, 'staff-item-history');
    await page.getByRole('link', { name: '← Về câu hỏi' }).click();
    await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
    await page.getByText('Đã lưu phiên bản 2 và gửi duyệt.').waitFor();
    t.equal(await page.locator('.item-meta .badge').textContent(), 'Chờ duyệt', 'no new revision for an unchanged draft; it went to review');

    // 2. multiple choice, chosen in the type selector.
    await page.goto(`${url}/staff/items/new`);
    await page.getByLabel('Dạng câu hỏi').selectOption('multiple_choice');
    await common(page, '<p>Những hàm số nào đồng biến trên \\(\\mathbb{R}\\)?</p>', 2);
    for (const [i, text] of ['\\(y = x^3\\)', '\\(y = -x\\)', '\\(y = e^x\\)', '\\(y = x^2\\)'].entries()) await page.getByLabel(`Phương án ${'ABCD'[i]}`, { exact: true }).fill(text);
    await page.locator('#ed-correct-0').check();
    await page.locator('#ed-correct-2').check();
    await page.getByLabel('Cách tính điểm').selectOption('partial');
    t.equal(await settled(preview.locator('.preview-body input[type=checkbox]'), 4), 4);
    t.match(await page.locator('.key-line').textContent(), 'Đáp án đúng: A, C');
    ids.multiple_choice = await saveAndSubmit(page);

    // 3. true/false
    await page.goto(`${url}/staff/items/new?type=true_false`);
    await common(page, '<p>Hàm số \\(y = x^3 - 3x\\) có hai điểm cực trị.</p>', 2);
    await page.locator('#ed-value-true').check();
    // Switching the language redraws the page; the unsaved item comes back.
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByText('Your unsaved changes were restored.').waitFor();
    t.equal(await page.getByLabel('Stem', { exact: true }).inputValue(), '<p>Hàm số \\(y = x^3 - 3x\\) có hai điểm cực trị.</p>', 'the unsaved stem survives a redraw');
    t.ok(await page.locator('#ed-value-true').isChecked(), 'and the key');
    await page.getByRole('button', { name: 'Chuyển sang tiếng Việt' }).click();
    await page.getByText('Đã khôi phục nội dung đang soạn dở (chưa lưu).').waitFor();
    await preview.locator('.tf-pair').waitFor();
    ids.true_false = await saveAndSubmit(page);

    // 4. true/false cluster (the 2025 national format)
    await page.goto(`${url}/staff/items/new?type=true_false_cluster`);
    await common(page, '<p>Cho hàm số \\(f(x) = x^3 - 3x + 1\\). Xét tính đúng sai của các mệnh đề sau.</p>', 2);
    const statements = ['Hàm số đồng biến trên \\((1; +\\infty)\\)', 'Hàm số đạt cực tiểu tại \\(x = -1\\)', '\\(f(0) = 1\\)', 'Đồ thị hàm số có tiệm cận ngang'];
    for (const [i, text] of statements.entries()) await page.getByLabel(`Mệnh đề ${'abcd'[i]})`, { exact: true }).fill(text);
    for (const [id, value] of [['a', 'true'], ['b', 'false'], ['c', 'true'], ['d', 'false']]) await page.locator(`#ed-values-${id}-${value}`).check();
    t.equal(await settled(preview.locator('.tf-statement'), 4), 4);
    await screenshot(page, 'staff-editor-cluster');
    ids.true_false_cluster = await saveAndSubmit(page);

    // 5. numeric, with a decimal comma
    await page.goto(`${url}/staff/items/new?type=numeric`);
    await common(page, '<p>Tìm giá trị của \\(m\\) để \\(2m + 3 = 0\\).</p>', 2);
    await page.getByLabel('Đáp số').fill('-1,5');
    await page.getByLabel('Sai số cho phép').fill('0,01');
    await preview.locator('.answer-input--numeric').waitFor();
    ids.numeric = await saveAndSubmit(page);

    // 6. short text
    await page.goto(`${url}/staff/items/new?type=short_text`);
    await common(page, '<p>Thủ đô của Việt Nam là thành phố nào?</p>', 2);
    await page.getByLabel('Đáp án được chấp nhận').fill('Hà Nội\nThành phố Hà Nội');
    await page.getByLabel('Bỏ qua dấu tiếng Việt').check();
    ids.short_text = await saveAndSubmit(page);

    // 7. matching
    await page.goto(`${url}/staff/items/new?type=matching`);
    await common(page, '<p>Ghép mỗi hàm số với đạo hàm của nó.</p>', 2);
    for (const [i, text] of ['\\(x^2\\)', '\\(\\sin x\\)', '\\(e^x\\)'].entries()) await page.getByLabel(`Vế ${'abc'[i]})`, { exact: true }).fill(text);
    for (const [i, text] of ['\\(\\cos x\\)', '\\(2x\\)', '\\(e^x\\)', '\\(-\\sin x\\)'].entries()) await page.getByLabel(`Lựa chọn ${i + 1}`, { exact: true }).fill(text);
    await page.locator('#ed-pairs-p1').selectOption('c2');
    await page.locator('#ed-pairs-p2').selectOption('c1');
    await page.locator('#ed-pairs-p3').selectOption('c3');
    t.equal(await settled(preview.locator('.match-row'), 3), 3);
    ids.matching = await saveAndSubmit(page);

    // 8. ordering: typed out of order, then put right with the move buttons
    await page.goto(`${url}/staff/items/new?type=ordering`);
    await common(page, '<p>Sắp xếp các bước khảo sát hàm số theo đúng thứ tự.</p>', 2);
    for (const [i, text] of ['Tìm tập xác định', 'Lập bảng biến thiên', 'Tính đạo hàm', 'Vẽ đồ thị'].entries()) await page.getByLabel(`Phần tử ${i + 1}`, { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Chuyển lên: Phần tử 3' }).click();
    t.equal(await page.getByLabel('Phần tử 2', { exact: true }).inputValue(), 'Tính đạo hàm', 'moved up');
    t.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Chuyển lên: Phần tử 2', 'focus follows the moved row');
    t.equal(await settled(preview.locator('.order-row'), 4), 4);
    ids.ordering = await saveAndSubmit(page);

    // 9. cloze on a shared passage written first
    await page.goto(`${url}/staff/items`);
    await page.getByRole('link', { name: 'Thêm ngữ liệu' }).click();
    await page.getByLabel('Tiêu đề').fill('Đoạn văn về Thủ đô');
    await page.getByLabel('Nội dung').fill('<p>Hà Nội là thủ đô của nước Cộng hòa xã hội chủ nghĩa Việt Nam, nằm bên bờ sông Hồng.</p>');
    await page.locator('.preview').getByText('nằm bên bờ sông Hồng').waitFor();
    await page.getByLabel('Môn học').fill('math');
    await page.getByRole('button', { name: 'Lưu ngữ liệu' }).click();
    await page.getByRole('heading', { name: 'Đoạn văn về Thủ đô' }).waitFor();
    // The passage is edited before any item uses it, and found again in the list of passages.
    await page.getByRole('link', { name: 'Sửa ngữ liệu' }).click();
    await page.getByRole('heading', { name: 'Sửa ngữ liệu' }).waitFor();
    t.equal(await page.getByLabel('Tiêu đề').inputValue(), 'Đoạn văn về Thủ đô', 'the form opens with the stored passage');
    await page.getByLabel('Nội dung').fill('<p>Hà Nội là thủ đô của nước Cộng hòa xã hội chủ nghĩa Việt Nam, nằm bên bờ sông Hồng. Thành phố có hơn một nghìn năm lịch sử.</p>');
    await page.locator('.preview').getByText('hơn một nghìn năm lịch sử').waitFor();
    await page.getByRole('button', { name: 'Lưu ngữ liệu' }).click();
    await page.getByText('Đã lưu ngữ liệu (bản 2).').waitFor();
    await page.getByText('hơn một nghìn năm lịch sử').waitFor();
    await page.getByRole('link', { name: 'Danh sách ngữ liệu' }).click();
    await page.getByRole('heading', { name: 'Ngữ liệu' }).waitFor();
    await page.getByLabel('Tìm ngữ liệu theo tiêu đề').fill('doan van thu do');
    await page.getByRole('button', { name: 'Tìm', exact: true }).click();
    const found = page.locator('tr[data-stimulus-id]', { hasText: 'Đoạn văn về Thủ đô' });
    await found.first().waitFor();
    t.equal(await found.count(), 1, 'found by its title without diacritics');
    await found.getByRole('link').click();
    await page.getByRole('heading', { name: 'Đoạn văn về Thủ đô' }).waitFor();
    await page.getByRole('link', { name: 'Thêm câu hỏi cho ngữ liệu này' }).click();
    await page.getByLabel('Dạng câu hỏi').selectOption('cloze');
    await common(page, '<p>Điền vào chỗ trống.</p>', 2);
    await page.getByRole('button', { name: 'Chèn chỗ trống' }).click();
    await page.getByRole('button', { name: 'Chèn chỗ trống' }).click();
    await page.getByLabel('Đoạn văn có chỗ trống').fill('Thủ đô của Việt Nam là {{b1}}; còn 1 + 2 = {{b2}}.');
    await page.locator('#ed-blanks-0-accepted').fill('Hà Nội');
    await page.locator('#ed-blanks-1-kind').selectOption('number');
    await page.locator('#ed-blanks-1-value').fill('3');
    t.equal(await settled(preview.locator('.cloze-blank'), 2), 2, 'the preview has the two blanks');
    await preview.locator('.stimulus-preview').getByText('nằm bên bờ sông Hồng').waitFor();
    t.pass('the shared passage is shown above the item');
    await screenshot(page, 'staff-editor-cloze');
    ids.cloze = await saveAndSubmit(page);

    // 10. essay
    await page.goto(`${url}/staff/items/new?type=essay`);
    await common(page, '<p>Trình bày cách xét tính đơn điệu của hàm số \\(y = x^3 - 3x\\).</p>', 2);
    await page.getByLabel('Tiêu chí 1', { exact: true }).fill('Lập luận chặt chẽ');
    await page.locator('#ed-rubric-0-maxPoints').fill('2');
    await page.getByRole('button', { name: 'Thêm tiêu chí' }).click();
    await page.getByLabel('Tiêu chí 2', { exact: true }).fill('Trình bày rõ ràng');
    await page.locator('#ed-rubric-1-maxPoints').fill('1');
    await page.getByLabel('Số từ tối đa').fill('200');
    t.equal(await settled(preview.locator('.criteria li'), 2), 2);
    await preview.locator('.word-count', { hasText: '0/200 từ' }).waitFor();
    t.pass('the word limit shows in the preview');
    ids.essay = await saveAndSubmit(page);

    t.equal(Object.keys(ids).length, 10, 'ten items written');
    // The bank: diacritics-insensitive search and the status filter.
    await page.goto(`${url}/staff/items`);
    await page.getByLabel('Tìm theo nội dung').fill('PHUONG TRINH');
    await page.getByLabel('Trạng thái').selectOption('in_review');
    await page.getByRole('button', { name: 'Tìm', exact: true }).click();
    await page.waitForURL(/q=PHUONG\+TRINH/);
    await page.locator(`tr[data-item-id="${ids.single_choice}"]`).waitFor();
    t.equal(await page.locator('tbody tr').count(), 1, '"PHUONG TRINH" finds "phương trình"');
    await page.getByRole('button', { name: 'Bỏ lọc' }).click();
    await page.getByLabel('Trạng thái').selectOption('in_review');
    await page.getByRole('button', { name: 'Tìm', exact: true }).click();
    await page.waitForURL(/status=in_review/);
    await page.locator(`tr[data-item-id="${ids.essay}"]`).waitFor();
    t.equal(await page.locator('tbody tr').count(), 10, 'ten items in review');
    await screenshot(page, 'staff-items');
    // A hand-edited address with a filter no search can hold is said, not searched without it.
    await page.goto(`${url}/staff/items?status=in_review&type=hotspot&grade=muoi`);
    await page.getByRole('alert').filter({ hasText: 'Địa chỉ có bộ lọc không hợp lệ: Lớp, Dạng câu hỏi.' }).waitFor();
    t.equal(await page.locator('tbody tr').count(), 0, 'no list for an address the filters cannot express');
    t.same(errorsOf(author, REFUSED_400), [], 'no script errors; only the refused first save');
  });

  await t.test('import and export of question files', async (t) => {
    const { page } = author;
    await page.goto(`${url}/staff/items`);
    await page.getByText('Nhập / xuất tệp câu hỏi').click();
    await page.getByLabel('Định dạng').first().selectOption('gift');
    await page.getByLabel('Tệp', { exact: true }).setInputFiles({
      name: 'de-on-tap.gift',
      mimeType: 'text/plain',
      buffer: Buffer.from('::C1:: Thủ đô của Việt Nam là? {=Hà Nội ~Huế ~Đà Nẵng}\n\n::C2:: Số 2 là số nguyên tố. {T}\n', 'utf8'),
    });
    const importSection = page.locator('section', { has: page.getByRole('heading', { name: 'Nhập câu hỏi từ tệp' }) });
    await importSection.getByLabel('Môn học').fill('math');
    await importSection.getByLabel('Lớp').selectOption('10');
    await importSection.getByLabel('Chủ đề').fill('on-tap');
    await importSection.getByLabel('Mức độ nhận thức').selectOption('1');
    t.equal(await importSection.getByLabel('Gắn nhãn cho các câu nhập').inputValue(), 'de-on-tap', 'the file name becomes the tag');
    await page.getByRole('button', { name: 'Xem trước' }).click();
    await importSection.getByRole('heading', { name: 'Xem trước: 2 câu sẽ được nhập, 0 câu không đọc được' }).waitFor();
    await importSection.getByRole('button', { name: 'Nhập', exact: true }).click();
    await importSection.getByText('Đã nhập 2 câu hỏi; 0 câu không nhập được.').waitFor();
    await importSection.getByRole('link', { name: 'Xem các câu vừa nhập' }).click();
    await page.waitForURL(/tag=de-on-tap/);
    await page.locator('tbody tr').first().waitFor();
    t.equal(await page.locator('tbody tr').count(), 2, 'the imported items, found by their tag');
    await page.getByText('Nhập / xuất tệp câu hỏi').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Xuất tệp' }).click()]);
    t.match(download.suggestedFilename(), /^items\..*xml$/, 'the file as the server names it');
    const xml = readFileSync((await download.path())!, 'utf8');
    t.match(xml, /<quiz>/);
    t.match(xml, /Thủ đô của Việt Nam/, 'the export carries the filtered items');
    await screenshot(page, 'staff-import-export');
    t.same(errorsOf(author, REFUSED_400), []);
  });

  const reviewer = await signIn(t, world.reviewer);

  await t.test('review: nobody is offered their own revision; a reviewer sends one back and approves the rest', async (t) => {
    // The author is also a reviewer, but not of their own items.
    const a = author.page;
    await a.goto(`${url}/staff/review`);
    await a.getByText('10 câu hỏi chờ duyệt').waitFor();
    t.equal(await a.getByRole('link', { name: /^Xem và duyệt/ }).count(), 0, 'no review link for the author');
    t.equal(await a.getByText('Bạn soạn — người khác duyệt').count(), 10);
    await a.goto(`${url}/staff/review/${ids.single_choice}`);
    await a.getByText('Bạn là người soạn phiên bản này nên không thể tự duyệt.').waitFor();
    t.equal(await a.getByRole('button', { name: 'Duyệt' }).count(), 0, 'no approve button on the author’s own revision');

    const { page } = reviewer;
    await page.getByRole('link', { name: 'Duyệt câu hỏi' }).first().click();
    await page.getByText('10 câu hỏi chờ duyệt').waitFor();
    await screenshot(page, 'staff-review-queue');
    await page.locator(`tr[data-item-id="${ids.essay}"]`).getByRole('link').click();
    await page.getByRole('heading', { name: 'Quyết định' }).waitFor();
    await page.locator('.preview .criteria').waitFor();
    await screenshot(page, 'staff-review-item');
    const comment = page.getByLabel('Nhận xét cho người soạn');
    const stored = !(await page.getByText('máy chủ này chưa lưu nhận xét').count());
    if (stored) {
      await page.getByRole('button', { name: 'Trả lại cho người soạn' }).click();
      await page.getByText('Hãy ghi lý do trả lại.').waitFor();
      t.equal(await comment.getAttribute('aria-invalid'), 'true', 'sending back needs a reason');
    } else {
      missing.push('a comment on POST /api/items/:id/status (the body allows only status and revision)');
    }
    await comment.fill('Cần thêm tiêu chí về tính đúng của kết luận.');
    await page.getByRole('button', { name: 'Trả lại cho người soạn' }).click();
    await page.getByText('Đã trả lại câu hỏi cho người soạn.').waitFor();
    await page.getByText('9 câu hỏi chờ duyệt').waitFor();

    // The author reads why, in the editor and in the item's history.
    await a.goto(`${url}/staff/items/${ids.essay}`);
    await a.locator('.sent-back', { hasText: 'Cần thêm tiêu chí về tính đúng của kết luận.' }).waitFor();
    t.pass('the editor says why the draft came back');
    await a.goto(`${url}/staff/items/${ids.essay}/history`);
    await a.locator('.status-log li[data-to="draft"] .review-comment', { hasText: 'Cần thêm tiêu chí về tính đúng của kết luận.' }).waitFor();
    t.equal(await a.locator('.status-log li').count(), 2, 'sent for review, then sent back: both steps listed');
    await screenshot(a, 'staff-item-history-review-comment');

    // The author sends it again from the bank's list.
    await a.goto(`${url}/staff/items?status=draft`);
    await a.locator(`tr[data-item-id="${ids.essay}"]`).getByRole('button', { name: 'Gửi duyệt' }).click();
    await a.getByText('Đã gửi câu hỏi đi duyệt.').waitFor();

    await page.reload();
    await page.getByText('10 câu hỏi chờ duyệt').waitFor();
    await page.locator(`tr[data-item-id="${ids.essay}"]`, { hasText: 'Bản 1 đã bị trả lại: “Cần thêm tiêu chí về tính đúng của kết luận.”' }).waitFor();
    t.pass('the queue shows why the item came back last time');
    await screenshot(page, 'staff-review-queue-comment');
    await page.locator(`tr[data-item-id="${ids.essay}"]`).getByRole('link').click();
    await page.locator('.status-log .review-comment', { hasText: 'Cần thêm tiêu chí' }).waitFor();
    t.pass('the review page lists the earlier step with its comment');
    await page.getByRole('link', { name: '← Danh sách chờ duyệt' }).click();
    await page.getByText('10 câu hỏi chờ duyệt').waitFor();
    for (let left = 10; left > 0; left--) {
      await page.getByRole('link', { name: /^Xem và duyệt/ }).first().click();
      const approve = page.getByRole('button', { name: 'Duyệt', exact: true });
      if (left === 1) {
        // The last one by keyboard.
        await approve.focus();
        await page.keyboard.press('Enter');
      } else await approve.click();
      await page.getByText('Đã duyệt câu hỏi.').waitFor();
      if (left > 1) await page.getByText(`${left - 1} câu hỏi chờ duyệt`).waitFor();
    }
    await page.getByText('Không có câu hỏi nào chờ duyệt.').waitFor();
    t.pass('every item approved by the second person');
    t.same(errorsOf(reviewer), []);
  });

  const manager = await signIn(t, world.manager);
  let examId = '';

  await t.test('the manager builds the matrix with live availability, creates the exam, assembles four forms, previews, prints, publishes', async (t) => {
    const { page } = manager;
    t.same(await page.locator('.staff-nav a').allTextContents(), ['Tổng quan', 'Ngân hàng câu hỏi', 'Ma trận đề', 'Kỳ thi']);
    await page.getByRole('link', { name: 'Lập ma trận mới' }).click();
    await page.getByRole('heading', { name: 'Lập ma trận mới' }).waitFor();
    await page.getByLabel('Tên ma trận').fill('Toán 12 – Kiểm tra giữa kỳ I');
    await page.getByLabel('Môn học').fill('math');
    await page.getByLabel('Thời gian làm bài (phút)').fill('45');
    const s1 = page.locator('.section-panel').nth(0);
    await s1.getByLabel('Điểm mỗi câu').fill('0,5');
    const asked = page.waitForResponse((r) => r.url().includes('/api/blueprints/availability?') && r.url().includes(`topics=${TOPIC}`));
    await s1.getByLabel('Chủ đề dòng 1').fill(TOPIC);
    const availability = await asked;
    t.equal(availability.status(), 200, 'the matrix asks the availability route');
    const counted = (await availability.json()) as { subject: string; grade: number; type: string; cells: { topic: string; cognitiveLevel: number; available: number }[] };
    t.match(counted, { subject: 'math', grade: 12, type: 'single_choice' });
    t.same(counted.cells[0], { topic: TOPIC, cognitiveLevel: 1, available: 13 }, 'the approved single-choice pool of the department at level 1');
    await s1.getByLabel('Số câu, dòng 1, mức 1 – Nhận biết').fill('3');
    await s1.locator('tr[data-row="0"] .avail').first().filter({ hasText: 'có 13 câu' }).waitFor();
    t.pass('12 seeded + 1 authored approved single-choice items at level 1');
    await s1.getByRole('button', { name: 'Thêm chủ đề' }).click();
    t.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Chủ đề dòng 2', 'focus goes to the new row');
    await page.keyboard.type('tich-phan');
    await s1.getByLabel('Số câu, dòng 2, mức 1 – Nhận biết').fill('2');
    await s1.locator('tr[data-row="1"] .avail').first().filter({ hasText: 'có 8 câu' }).waitFor();
    await page.getByRole('button', { name: 'Thêm phần' }).click();
    const s2 = page.locator('.section-panel').nth(1);
    await s2.getByLabel('Dạng câu hỏi').selectOption('');
    await s2.getByLabel('Chủ đề dòng 1').fill(TOPIC);
    const l2 = s2.getByLabel('Số câu, dòng 1, mức 2 – Thông hiểu');
    await l2.fill('10');
    const l2avail = s2.locator('tr[data-row="0"] .avail').nth(1);
    await l2avail.filter({ hasText: 'chỉ có 9, thiếu 1' }).waitFor();
    t.match(await l2avail.getAttribute('class'), /avail--short/, 'a short cell is marked');
    await l2.fill('9');
    await l2avail.filter({ hasText: 'có 9 câu' }).waitFor();
    t.match(await page.locator('.blueprint-totals').textContent(), 'Tổng: 14 câu, 11,5 điểm');
    t.same(await unlabelledControls(page), [], 'every matrix input has a name');
    await screenshot(page, 'staff-blueprint-matrix');
    await page.getByRole('button', { name: 'Lưu ma trận' }).click();
    await page.waitForURL(/\/staff\/exams\/new\?blueprintId=/);
    await page.getByText('Toán 12 – Kiểm tra giữa kỳ I: 14 câu').waitFor();
    t.equal(await page.getByLabel('Tên kỳ thi').inputValue(), 'Toán 12 – Kiểm tra giữa kỳ I', 'the title comes from the blueprint');
    t.equal(await page.getByLabel('Thời gian làm bài (phút)').inputValue(), '45');
    const local = (offsetMs: number) =>
      page.evaluate((ms) => {
        const d = new Date(Date.now() + ms);
        const p = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
      }, offsetMs);
    await page.getByLabel('Mở lúc').fill(await local(-2 * 60_000));
    await page.getByLabel('Đóng lúc').fill(await local(3 * 3600_000));
    await page.getByLabel('Cho thí sinh xem điểm').selectOption('after_submit');
    t.equal(await page.getByLabel('Số mã đề').inputValue(), '4');
    const list = page.getByLabel('Danh sách thí sinh');
    if (!app.hasRoute({ method: 'GET', url: '/api/users' })) {
      await list.fill('hs1\nhs2');
      await page.getByRole('button', { name: 'Tạo kỳ thi' }).click();
      await page.getByText('Máy chủ này chưa tra được tên đăng nhập').first().waitFor();
      t.equal(await list.getAttribute('aria-invalid'), 'true', 'usernames cannot be resolved yet: said next to the list');
      missing.push('GET /api/users?username=… (usernames → ids for the candidate list; POST /api/users/bulk answers no ids)');
    }
    // Usernames as a school pastes them (any case), one unknown: refused next to the list, nothing stored.
    await list.fill(['hs1', 'khong-co-ai', 'HS2'].join('\n'));
    await page.getByRole('button', { name: 'Tạo kỳ thi' }).click();
    await page.locator('.field--invalid', { has: list }).getByText('Không tìm thấy: khong-co-ai').waitFor();
    t.equal(await list.getAttribute('aria-invalid'), 'true', 'the unknown username is named next to the list');
    t.match(page.url(), /\/staff\/exams\/new/, 'no exam was created');
    await list.fill([...world.candidates.slice(0, 5).map((c, i) => (i === 1 ? c.username.toUpperCase() : c.username)), world.candidates[5]!.id].join('\n'));
    t.match(await page.getByText(/\d+ thí sinh$/).textContent(), '6 thí sinh');
    await screenshot(page, 'staff-exam-new-candidates');
    await page.getByRole('button', { name: 'Tạo kỳ thi' }).click();
    await page.waitForURL(/\/staff\/exams\/[0-9a-f]{24}$/);
    examId = page.url().split('/').pop()!;
    await page.getByRole('heading', { name: 'Toán 12 – Kiểm tra giữa kỳ I' }).waitFor();
    t.equal(await page.locator('.facts [data-status]').textContent(), 'Nháp');

    await page.getByRole('button', { name: 'Ghép 4 mã đề' }).click();
    await page.getByText('Đã ghép 4 mã đề.').waitFor();
    t.same(await page.locator('tr[data-form] td:first-child').allTextContents(), ['101', '102', '103', '104']);
    t.same([...new Set(await page.locator('tr[data-form] td:nth-child(2)').allTextContents())], ['14'], 'every form has 14 items');
    t.match(await page.getByText('Tỉ lệ trùng lớn nhất').textContent(), /%/);
    await screenshot(page, 'staff-exam-forms');

    await page.getByRole('link', { name: 'Xem mã đề 101' }).click();
    await page.getByRole('heading', { name: 'Toán 12 – Kiểm tra giữa kỳ I — mã đề 101' }).waitFor();
    t.equal(await page.locator('.form-item').count(), 14);
    t.equal(await page.locator('.form-item .item').count(), 14, 'each item drawn by the shared renderer');
    await page.getByLabel('Hiện đáp án').check();
    // The exam manager neither writes nor reviews these items: before the exam opens their keys are not theirs to see.
    t.equal(await page.locator('.form-item .badge', { hasText: 'Chưa được xem đáp án trước khi kỳ thi mở' }).count(), 14, 'each item says its key is withheld');
    t.equal(await page.locator('.form-item input:checked').count(), 0, 'and no key is shown');
    await screenshot(page, 'staff-form-preview');
    await page.getByRole('link', { name: 'In đề' }).click();
    await page.getByRole('heading', { name: 'Bản in mã đề 101' }).waitFor();
    await page.locator('.print-sheet .katex').first().waitFor();
    t.match(await page.locator('.print-sheet').textContent(), /101/, 'the printable form of 101');
    t.notMatch(await page.locator('.print-sheet').textContent(), /-1[,.]5|Thành phố Hà Nội/, 'no key on paper');
    await screenshot(page, 'staff-form-print');
    await page.emulateMedia({ media: 'print' });
    t.equal(await page.locator('.app-header').isVisible(), false, 'printing shows the paper only');
    await page.emulateMedia({ media: 'screen' });

    await page.goto(`${url}/staff/exams/${examId}`);
    await page.getByRole('button', { name: 'Công bố kỳ thi' }).click();
    const dialog = page.getByRole('dialog', { name: 'Công bố kỳ thi?' });
    await dialog.getByRole('button', { name: 'Công bố kỳ thi' }).click();
    await page.getByText('Đã công bố kỳ thi.').waitFor();
    t.equal(await page.locator('.facts [data-status]').textContent(), 'Đã công bố');
    t.equal(await page.getByRole('button', { name: /Ghép/ }).count(), 0, 'forms are frozen');
    t.same(
      (await (await fetch(`${url}/api/exams/${examId}`, { headers: { authorization: `Bearer ${world.manager.token}` } })).json()).candidateIds,
      world.candidates.map((c) => c.id),
      'the usernames became the candidates\' ids',
    );

    // The exam and the blueprint are listed by the server, not only remembered by this browser.
    await page.getByRole('link', { name: 'Kỳ thi', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Kỳ thi', exact: true }).waitFor();
    const examRow = page.locator(`tr[data-exam-id="${examId}"]`);
    await examRow.waitFor();
    t.match(await examRow.textContent(), /Toán 12 – Kiểm tra giữa kỳ I.*Đã công bố/);
    t.match(await examRow.locator('td.num').textContent(), '6');
    await screenshot(page, 'staff-exam-list');
    await page.getByRole('link', { name: 'Ma trận đề', exact: true }).first().click();
    await page.locator('tr[data-blueprint-id]', { hasText: 'Toán 12 – Kiểm tra giữa kỳ I' }).waitFor();
    t.pass('the blueprint is listed');
    t.same(errorsOf(manager, REFUSED_400), []);
  });

  await t.test('a candidate sits the exam in the candidate client while the manager monitors and gives extra time', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'vi-VN' });
    t.teardown(() => context.close());
      const page = await context.newPage();
    const problems = watchProblems(page);
    const candidate = world.candidates[0]!;
    await logInAsCandidate(page, url, candidate.username, STAFF_PASSWORD);
    await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
    t.equal(page.url(), `${url}/`, 'a candidate stays in the candidate client');
    await page.getByRole('link', { name: 'Vào thi' }).click();
    await page
      .getByRole('heading', { name: 'Câu 1', exact: true })
      .waitFor()
      .catch(async (err: unknown) => {
        await screenshot(page, 'staff-e2e-candidate-failed');
        throw new Error(`the exam page did not open: ${(await page.locator('main').textContent())?.slice(0, 500)} ${JSON.stringify(problems.errors)}`, { cause: err });
      });
    for (let i = 0; i < 3; i++) {
      await answerVisible(page);
      await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');
      await page.getByRole('button', { name: 'Câu sau →' }).click();
    }
    const timerBefore = await page.getByRole('timer').textContent();

    const m = manager.page;
    await m.goto(`${url}/staff/exams/${examId}`);
    await m.getByRole('link', { name: 'Giám sát' }).click();
    const row = m.locator(`tr[data-candidate="${candidate.id}"]`);
    await row.filter({ hasText: 'Trực tuyến' }).filter({ hasText: '3/14' }).waitFor({ timeout: 20_000 });
    t.match(await row.locator('[data-status]').textContent(), 'Đang làm');
    t.equal(await m.locator('tbody tr[data-candidate]').count(), 6, 'every candidate on the roster');
    await page.evaluate(() => window.dispatchEvent(new Event('blur')));
    await row.filter({ hasText: 'Rời cửa sổ ×1' }).waitFor({ timeout: 20_000 });
    t.pass('integrity events appear on the next refresh');
    await screenshot(m, 'staff-monitor');
    await row.getByRole('button', { name: 'Cộng giờ' }).click();
    await row.getByLabel(`Số phút cộng thêm cho ${candidate.displayName} (SBD ${candidate.studentId})`).fill('10');
    await row.getByRole('button', { name: 'Cộng', exact: true }).click();
    await m.getByText(`Đã cộng 10 phút cho ${candidate.displayName} (SBD ${candidate.studentId})`).waitFor();
    await page.waitForFunction(() => document.body.textContent?.includes('Thời gian làm bài đã được điều chỉnh.'));
    const timerAfter = await page.getByRole('timer').textContent();
    t.ok(Number(timerAfter!.split(':')[0]) >= Number(timerBefore!.split(':')[0]) + 9, `the candidate's countdown moved (${timerBefore} → ${timerAfter})`);

    await page.getByRole('button', { name: 'Nộp bài' }).click();
    await page.getByRole('dialog', { name: 'Nộp bài?' }).getByRole('button', { name: 'Nộp bài' }).click();
    await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
    const wsUrl = url.replace(/^http/, 'ws') + '/ws';
    for (const [i, c] of world.candidates.slice(1).entries()) await sitOverSocket(wsUrl, c.token, examId, i + 1);
    await m.locator('.counter', { hasText: 'Đã nộp' }).filter({ hasText: '6' }).waitFor({ timeout: 20_000 });
    t.pass('the monitor counts six hand-ins');
    // The end screen asks for the result until grading has finished: 403 "not graded yet" meanwhile.
    await page.getByRole('region', { name: 'Kết quả' }).locator('.result-score').waitFor({ timeout: 60_000 });
    t.same(problems.errors.filter((e) => !/403.*\/result$|status of 403/.test(e)), [], 'the candidate client had no errors');
    t.same(errorsOf(manager, REFUSED_400), []);
  });

  await t.test('grading with a live progress bar, essays, results with CSV, sector sync, analysis', async (t) => {
    const { page } = manager;
    await page.goto(`${url}/staff/exams/${examId}/grading`);
    await page.getByRole('heading', { name: /^Chấm bài: / }).waitFor();
    const grading = has('POST', '/api/exams/:id/grading') && has('GET', '/api/jobs/:jobId');
    if (grading) {
      // Hand-ins are graded as they arrive (workers run here), so "grade" finds little or nothing left; a regrade does all six.
      await page.getByRole('button', { name: 'Chấm bài', exact: true }).click();
      await page.getByText('Đã chấm xong.').waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Chấm lại toàn bộ' }).click();
      await page.getByRole('dialog', { name: 'Chấm lại toàn bộ?' }).getByRole('button', { name: 'Chấm lại toàn bộ' }).click();
      await page.locator('.progress-figures', { hasText: '6/6 bài (100%)' }).waitFor({ timeout: 60_000 });
      await page.getByText('Đã chấm xong.').waitFor({ timeout: 60_000 });
      t.equal(await page.locator('progress').first().getAttribute('value'), '6', 'the bar is full');
      t.equal(await page.locator('progress').first().getAttribute('max'), '6');
    } else {
      await page.getByText('Máy chủ này chưa có chức năng cần thiết (POST /api/exams/:id/grading').waitFor();
      t.pass('the grading page says the route is missing');
    }
    if (has('GET', '/api/exams/:id/manual-queue') && has('POST', '/api/attempts/:id/items/:itemId/grade')) {
      const waiting = page.locator('.task-card');
      await waiting.first().waitFor({ timeout: 30_000 });
      t.ok((await waiting.count()) >= 5, 'an essay waits for a person for every candidate who wrote one');
      t.ok(await waiting.first().getByRole('button', { name: 'Lưu điểm' }).isDisabled(), 'the exam manager sees the essays but does not mark them');
      // Authors and reviewers of the exam's organisation mark essays; they open the exam by its id.
      const a = author.page;
      await a.goto(`${url}/staff`);
      await a.getByLabel('Mã kỳ thi').fill(examId);
      await a.getByRole('button', { name: 'Mở', exact: true }).click();
      await a.getByRole('heading', { name: 'Chấm bài tự luận' }).waitFor();
      const cards = a.locator('.task-card');
      await cards.first().waitFor();
      t.match(await cards.first().locator('.essay').inputValue(), /đạo hàm dương|Bài làm thử/, 'the answer is shown by the shared renderer');
      await screenshot(a, 'staff-grading-essays');
      const n = await cards.count();
      for (let i = 0; i < n; i++) {
        const card = cards.nth(i);
        await card.getByLabel(/^Điểm/).fill(['1', '0,5', '0'][i % 3]!);
        await card.getByLabel('Nhận xét').fill('Lập luận còn thiếu bước kết luận.');
        await card.getByRole('button', { name: 'Lưu điểm' }).click();
        await card.getByText(/^Đã lưu:/).waitFor();
      }
      await a.getByText('Đã chấm hết bài tự luận.').waitFor();
      t.same(errorsOf(author, REFUSED_400), []);
    } else {
      await page.getByText('GET /api/exams/:id/manual-queue').waitFor();
    }
    await screenshot(page, 'staff-grading');

    await page.getByRole('link', { name: 'Kết quả', exact: true }).click();
    await page.getByRole('heading', { name: /^Kết quả: / }).waitFor();
    if (has('GET', '/api/exams/:id/results')) {
      await page.locator('tr[data-attempt]').first().waitFor();
      t.equal(await page.locator('tr[data-attempt]').count(), 6, 'six results');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Tải kết quả (CSV)' }).click()]);
      const csv = readFileSync((await download.path())!, 'utf8');
      t.ok(csv.startsWith('\uFEFF'), 'UTF-8 with a BOM');
      t.match(csv, new RegExp(world.candidates[1]!.studentId), 'one row per candidate');
      if (has('GET', '/api/exams/:id/sector-sync')) await page.locator('.sector-body .counter').first().waitFor();
    } else {
      await page.getByText('GET /api/exams/:id/results').waitFor();
    }
    await screenshot(page, 'staff-results');

    await page.getByRole('link', { name: 'Phân tích', exact: true }).click();
    await page.getByRole('heading', { name: /^Phân tích: / }).waitFor();
    if (has('GET', '/api/exams/:id/analysis')) {
      const drawn = page.locator('svg.chart--histogram, .notice');
      await drawn.first().waitFor({ timeout: 60_000 });
      if (await page.locator('svg.chart--histogram').count()) {
        t.equal(await page.locator('svg.chart--scatter').count(), 1, 'difficulty against discrimination');
        t.ok(await page.locator('svg.chart--scatter circle.dot').count() > 0, 'items are plotted');
        t.ok(await page.locator('tr[data-item-id]').count() >= 14, 'one row per item');
        // What a reader sees: formulas typeset (never raw \\( … \\)), the mean on the chart's ten-point scale
        // with raw points out of their maximum, and whole-number ticks on a chart of counts.
        await page.locator('.col-stem .katex').first().waitFor();
        const stems = await page.locator('td.col-stem').allTextContents();
        t.same(stems.filter((s) => s.includes('\\(')), [], 'no stem shows raw LaTeX');
        const counter = (label: string) => page.locator('.counter').filter({ has: page.locator('.counter-label', { hasText: label }) }).locator('.counter-value').textContent();
        const mean10 = Number((await counter('Điểm TB (thang 10)'))!.replace(',', '.'));
        t.ok(mean10 >= 0 && mean10 <= 10, `the mean is on the ten-point scale: ${mean10}`);
        t.match(await counter('Điểm thô TB'), /^[\d,.]+ \/ [\d,.]+$/, 'raw points are shown out of their maximum');
        const ticks = await page.locator('svg.chart--histogram text.tick[text-anchor="end"]').allTextContents();
        t.ok(ticks.length >= 2, 'the count axis has ticks');
        t.same(ticks.filter((v) => !/^\d+$/.test(v)), [], `count ticks are whole numbers: ${ticks.join(' ')}`);
        const itemId = (await page.locator('tr[data-item-id]').first().getAttribute('data-item-id'))!;
        const statsOf = async () => (await app.models.Item.findById(itemId).lean())?.stats;
        t.equal(await statsOf(), undefined, 'reading the analysis wrote nothing to the bank');
        if (has('POST', '/api/exams/:id/analysis/write-back')) {
          await page.getByRole('button', { name: 'Ghi thống kê vào ngân hàng câu hỏi' }).click();
          await page.getByRole('dialog', { name: 'Ghi thống kê vào ngân hàng câu hỏi?' }).getByRole('button', { name: 'Ghi thống kê vào ngân hàng câu hỏi' }).click();
          await page.getByText(/^Đã ghi thống kê của \d+ câu vào ngân hàng câu hỏi\.$/).waitFor();
          t.match(await statsOf(), { examId }, 'the button wrote the statistics, naming the exam');
        }
      } else t.comment(`analysis: ${await page.locator('.notice').first().textContent()}`);
    } else {
      await page.getByText('GET /api/exams/:id/analysis').waitFor();
    }
    await screenshot(page, 'staff-analysis');
    t.same(errorsOf(manager, REFUSED_400), []);
  });

  await t.test('English on request, and a phone-sized screen without sideways scrolling', async (t) => {
    const phone = await signIn(t, world.manager, { width: 390, height: 844 });
    const { page } = phone;
    await page.goto(`${url}/staff/exams/${examId}/monitor`);
    await page.locator('tbody tr').first().waitFor();
    t.equal(await sidewaysScroll(page), 0, 'the monitor fits a phone (its table scrolls inside its box)');
    await screenshot(page, 'staff-monitor-phone');
    await page.goto(`${url}/staff/blueprints/new`);
    await page.getByLabel('Chủ đề dòng 1').waitFor();
    t.equal(await sidewaysScroll(page), 0, 'the matrix editor fits a phone', { overflowing: await overflowing(page) });
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'New blueprint' }).waitFor();
    t.equal(await page.locator('html').getAttribute('lang'), 'en');
    t.same(await page.locator('.staff-nav a').allTextContents(), ['Overview', 'Question bank', 'Blueprints', 'Exams']);
    await page.goto(`${url}/staff/items/${ids.matching}`);
    await page.getByRole('heading', { name: 'Edit item' }).waitFor();
    await page.locator('.preview .match-row').first().waitFor();
    t.equal(await sidewaysScroll(page), 0, 'the editor fits a phone');
    await screenshot(page, 'staff-editor-phone-en');
    await page.getByRole('button', { name: 'Chuyển sang tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Sửa câu hỏi' }).waitFor();
    t.same(errorsOf(phone), []);
  });

  t.comment(missing.length ? `server routes not there yet: ${[...new Set(missing)].join('; ')}` : 'every route the staff client uses is served');
});
