/**
 * The student side as a new user meets it, in a real browser against the
 * fake API and live socket (test/support/fake-live.ts): the score as
 * `showResults` allows it (grading, awaiting marking, a regrade, points per
 * item after the exam closes), before and after a reload and on the exam
 * list; shared passages above their items; a reload is not "left the
 * window"; the sign-in page for candidates and staff; axe-core on the login
 * and exam pages; the whole exam by keyboard; 200 % zoom; a 360 × 640 phone.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import t from 'tap';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { buildWebClient, launchBrowser, screenshot, watchProblems, type PageProblems, type TestLike } from '../support/browser.js';
import { CANDIDATE, EXAM_ID, FakeLiveServer, TOKEN, graded, refusal, type FakeItem } from '../support/fake-live.js';
import { ITEMS } from '../fixtures/web-items.js';

const SESSION = { token: TOKEN, user: { id: CANDIDATE.id, username: CANDIDATE.username, displayName: CANDIDATE.displayName, roles: [{ role: 'candidate', orgId: 'o1' }] } };
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let webRoot: string;
let browser: Browser;

interface Setup {
  server: FakeLiveServer;
  page: Page;
  problems: PageProblems;
}

async function setup(
  t: TestLike,
  options: { signedIn?: boolean; context?: BrowserContextOptions; items?: FakeItem[]; stimuli?: { id: string; title?: string; content: string }[] } = {},
): Promise<Setup> {
  const server = new FakeLiveServer({ webRoot, items: options.items ?? ITEMS, stimuli: options.stimuli });
  await server.start();
  t.teardown(() => server.stop());
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options.context });
  t.teardown(() => context.close());
  if (options.signedIn !== false) {
    await context.addInitScript((session) => {
      if (!localStorage.getItem('exam-engine:session')) localStorage.setItem('exam-engine:session', JSON.stringify(session));
    }, SESSION);
  }
  const page = await context.newPage();
  return { server, page, problems: watchProblems(page) };
}

async function openExam(s: Setup): Promise<void> {
  await s.page.goto(`${s.server.url}/exam/${EXAM_ID}`);
  await s.page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
}

/** Problems other than the refusals of the result endpoint a test set up on purpose. */
function unexpected(problems: PageProblems): string[] {
  return problems.errors.filter((e) => !/\b403\b.*\/result|status of 403/.test(e));
}

/** Serious and critical axe-core violations on the page as it is now. */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, so the page's CSP (no inline scripts) does not apply.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(' ')}`);
}

/** Presses Tab until the focused element matches `selector` (fails after `max` presses). */
async function tabTo(page: Page, selector: string, max = 60, key = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((sel) => !!document.activeElement?.matches(sel), selector)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${selector} not reached with ${key} in ${max} presses; focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))}`);
}

const card = (page: Page) => page.locator('.question-card:not([hidden])');

t.before(async () => {
  webRoot = await buildWebClient(t);
  browser = await launchBrowser(t);
});

t.test('results: grading, then the total; points per item after the exam closes; a regrade; before and after a reload', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  server.results.set(server.attemptId, refusal('not_graded'));
  await openExam(s);
  await page.check('#q-0-option-0');
  await page.getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('dialog', { name: 'Nộp bài?' }).getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  const result = page.getByRole('region', { name: 'Kết quả' });
  await result.getByText('Đang chấm bài…', { exact: false }).waitFor();
  t.equal(await result.getAttribute('data-result-state'), 'grading', 'grading is under way');
  await screenshot(page, 'result-grading');

  // Grading finishes: the page asks again by itself (backoff from 1 s) and shows the total.
  const asked = server.resultRequests.get(server.attemptId)!;
  server.results.set(server.attemptId, graded(server.attemptId, { score: 8.5, maxScore: 10, score10: 8.5, perItemFrom: '2035-01-01T00:00:00.000Z' }));
  await result.getByText('Điểm: 8,5/10').waitFor({ timeout: 10_000 });
  t.ok(server.resultRequests.get(server.attemptId)! > asked, 'asked again without a reload');
  t.match(await result.textContent(), '8,5/10 điểm');
  t.match(await result.textContent(), 'Điểm từng câu được công bố sau khi kỳ thi đóng', 'no points per item while the exam is open');
  t.equal(await result.locator('table').count(), 0);
  await screenshot(page, 'result-total');

  await page.reload();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  await page.getByRole('region', { name: 'Kết quả' }).getByText('Điểm: 8,5/10').waitFor();
  t.pass('after a reload the end screen shows the score again (the attempt found through the exam list)');

  // A regrade changed the score; the exam has closed, so points per item are shown, an essay awaiting marking among them.
  server.results.set(
    server.attemptId,
    graded(server.attemptId, {
      score: 9,
      maxScore: 10,
      score10: 9,
      version: 2,
      scoreChanged: true,
      scoreChanges: [{ at: '2030-05-01T08:00:00.000Z', cause: 'regrade', before: { score: 8.5, score10: 8.5 }, after: { score: 9, score10: 9 } }],
      perItem: [
        { number: 1, itemId: 'q-single', points: 1, maxPoints: 1, status: 'scored' },
        {
          number: 2,
          itemId: 'q-multi',
          points: 0.5,
          maxPoints: 1,
          status: 'scored',
          comment: 'Thiếu một đáp án',
          feedback: { outcome: '<p>Gần đúng</p>', options: [{ text: '\\(x = 2\\)', feedback: 'Đúng <b>một</b> nghiệm' }], general: 'Phương trình có hai nghiệm.', hints: ['Phân tích thành nhân tử'] },
        },
        { number: 3, itemId: 'q-essay', points: 0, maxPoints: 2, status: 'pending' },
      ],
    }),
  );
  await page.reload();
  const after = page.getByRole('region', { name: 'Kết quả' });
  await after.getByText('Điểm: 9/10').waitFor();
  t.match(await after.locator('.result-change').textContent(), /Điểm đã được điều chỉnh \(chấm lại, .+\): 8,5 → 9\./, 'the change a regrade made is shown');
  const table = after.getByRole('table', { name: 'Điểm từng câu' });
  t.same(
    await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent).slice(0, 3))),
    [
      ['Câu 1', '1/1', ''],
      ['Câu 2', '0,5/1', 'Thiếu một đáp án'],
      ['Câu 3', 'Chờ chấm', ''],
    ],
    'points per item once the exam has closed',
  );
  const feedback = table.locator('td.result-feedback');
  t.equal(await feedback.count(), 3, 'a feedback column once an item has released feedback');
  t.equal(await feedback.nth(0).textContent(), '', 'empty for items without it');
  t.match(await feedback.nth(1).textContent(), /^Gần đúng\s*Bạn chọn .+: Đúng một nghiệm\s*Phương trình có hai nghiệm\.\s*Gợi ý\s*Phân tích thành nhân tử$/, 'the outcome, the picked option, the general text and the hints');
  t.equal(await feedback.nth(1).locator('b').textContent(), 'một', 'drawn as the safe HTML it is');
  t.equal(await feedback.nth(1).locator('.katex').count(), 1, 'maths typeset');
  await screenshot(page, 'result-detail');
  t.same(await axeViolations(page), [], 'the end screen with a result passes axe-core');
  t.same(unexpected(s.problems), []);
});

t.test('the exam list shows each finished exam as its showResults allows, before and after a reload', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  const base = { opensAt: '2024-02-01T00:00:00Z', closesAt: '2024-02-02T00:00:00Z', durationMinutes: 90, status: 'submitted' };
  server.exams.push(
    { ...base, id: 'exam-3', title: 'Ngữ văn 12 – Nghị luận', attemptId: 'attempt-3' },
    { ...base, id: 'exam-4', title: 'Lịch sử 12 – Thi thử', attemptId: 'attempt-4' },
    { ...base, id: 'exam-5', title: 'Vật lý 12 – Giữa kỳ', attemptId: 'attempt-5', closesAt: '2035-06-01T00:00:00Z' },
  );
  server.results.set('attempt-3', refusal('pending_manual'));
  server.results.set('attempt-4', refusal('not_shown'));
  server.results.set('attempt-5', refusal('after_close', '2035-06-01T00:00:00.000Z'));

  const expectList = async () => {
    await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
    const examCard = (id: string) => page.locator(`.exam-card[data-exam-id="${id}"]`);
    await examCard('exam-0').getByText('Điểm: 7/10').waitFor();
    await examCard('exam-3').getByText('Chờ chấm', { exact: false }).waitFor();
    t.match(await examCard('exam-3').textContent(), 'bài tự luận đang chờ giáo viên chấm', 'an essay awaiting marking');
    await examCard('exam-4').getByText('Kỳ thi này không công bố điểm cho thí sinh.').waitFor();
    await examCard('exam-5').getByText('Điểm sẽ được công bố sau khi kỳ thi đóng', { exact: false }).waitFor();
    t.equal(await examCard(EXAM_ID).locator('.result').count(), 0, 'an exam still to sit shows no result');
  };
  await page.goto(`${server.url}/`);
  await expectList();
  await screenshot(page, 'exam-list-results');
  await page.reload();
  await expectList();

  // The essay gets marked: the list picks it up without a reload.
  server.results.set('attempt-3', graded('attempt-3', { score: 6.5, maxScore: 10, score10: 6.5 }));
  await page.locator('.exam-card[data-exam-id="exam-3"]').getByText('Điểm: 6,5/10').waitFor({ timeout: 10_000 });
  t.pass('the marked essay shows its score');
  t.same(await axeViolations(page), [], 'the exam list passes axe-core');
  t.same(unexpected(s.problems), []);
});

t.test('a shared passage is shown above each item that reads it', async (t) => {
  const items = ITEMS.map((item, i) => (i < 2 ? { ...item, stimulusId: 'stim-1' } : item));
  const s = await setup(t, {
    items,
    stimuli: [{ id: 'stim-1', title: 'Đọc đoạn văn và trả lời câu 1, 2', content: '<p>Sông Hồng bắt nguồn từ Vân Nam, dài \\(1149\\) km.</p><img src=x onerror="window.__xss=1">' }],
  });
  const { page } = s;
  await openExam(s);
  const passage = card(page).getByRole('region', { name: 'Đọc đoạn văn và trả lời câu 1, 2' });
  await passage.waitFor();
  t.match(await passage.textContent(), 'Sông Hồng bắt nguồn từ Vân Nam');
  t.equal(await passage.locator('.katex').count(), 1, 'maths in the passage is typeset');
  const order = await card(page).evaluate((c) => {
    const p = c.querySelector('.passage')!;
    const stem = c.querySelector('.item-stem')!;
    return p.compareDocumentPosition(stem) & Node.DOCUMENT_POSITION_FOLLOWING ? 'passage first' : 'stem first';
  });
  t.equal(order, 'passage first', 'the passage comes above the question');
  await page.getByRole('button', { name: 'Câu sau →' }).click();
  await card(page).getByRole('region', { name: 'Đọc đoạn văn và trả lời câu 1, 2' }).waitFor();
  t.pass('the second item of the passage shows it too');
  await page.getByRole('button', { name: 'Câu sau →' }).click();
  t.equal(await card(page).locator('.passage').count(), 0, 'an item without a passage shows none');
  t.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined, 'passage markup is sanitised');
  await page.getByRole('button', { name: 'Câu trước' }).click();
  await screenshot(page, 'exam-passage');
  t.same(s.problems.errors, []);
});

t.test('a reload is a reconnect, not leaving the window; switching away still is', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);
  await page.check('#q-0-option-0');
  await server.waitForFrame((f) => f.type === 'answer');
  await page.reload();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  await server.waitForFrame((f) => f.type === 'join' && f.join === 2);
  await page.check('#q-0-option-1');
  await server.waitForFrame((f) => f.type === 'answer' && f.join === 2);
  t.same(server.frames.filter((f) => f.type === 'event').map((f) => f.kind), [], 'no blur (left the window) for a reload');

  // Hiding the page while it stays open (another tab, another app) is leaving the window.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await server.waitForFrame((f) => f.type === 'event' && f.kind === 'blur');
  t.pass('a real switch away is reported as blur');
});

t.test('sign-in page: words for candidates and staff, a way to the staff pages, the real lockout wait', async (t) => {
  const s = await setup(t, { signedIn: false });
  const { page, server } = s;
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Đăng nhập', exact: true }).waitFor();
  const text = (await page.locator('main').textContent()) ?? '';
  t.match(text, 'Thí sinh: đăng nhập bằng tài khoản nhà trường cấp');
  t.match(text, 'Cán bộ, giáo viên');
  t.notMatch(text, /tài khoản thí sinh/, 'staff are not told to use a candidate account');
  t.same(await axeViolations(page), [], 'the login page passes axe-core');
  await screenshot(page, 'login');

  await page.getByRole('link', { name: 'Vào trang quản lý dành cho cán bộ, giáo viên' }).click();
  await page.waitForURL(/\/login\?next=%2Fstaff$/);
  await page.getByRole('heading', { name: 'Đăng nhập trang quản lý' }).waitFor();
  t.match(await page.locator('main').textContent(), 'tài khoản cán bộ');
  t.same(await axeViolations(page), [], 'the staff sign-in passes axe-core');
  await page.getByRole('link', { name: 'Thí sinh vào thi tại đây' }).click();
  await page.getByRole('heading', { name: 'Đăng nhập', exact: true }).waitFor();

  server.lockedForSeconds = 900;
  await page.getByLabel('Tên đăng nhập').fill(CANDIDATE.username);
  await page.getByLabel('Mật khẩu').fill('sai');
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert').filter({ hasText: 'thử lại' });
  await alert.waitFor();
  t.equal(await alert.textContent(), 'Bạn đã thử quá nhiều lần. Vui lòng thử lại sau 15 phút, hoặc nhờ giám thị mở khoá tài khoản.', 'the lock states its real length');
  t.same(s.problems.errors.filter((e) => !/\b429\b/.test(e)), []);
});

t.test('exam page: axe-core, accessible names, and the whole exam by keyboard', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);
  t.same(await axeViolations(page), [], 'question 1 passes axe-core');
  t.equal(await page.getByRole('timer', { name: 'Thời gian còn lại' }).count(), 1, 'the timer is named');
  t.equal(await page.getByRole('radio', { name: /x = 2/ }).count(), 1, 'options are named by their text');
  for (const n of [4, 7, 8, 9, 10]) {
    await page.locator(`.nav-button[data-index="${n - 1}"]`).click();
    t.same(await axeViolations(page), [], `question ${n} passes axe-core`);
  }
  await page.locator('.nav-button[data-index="3"]').click();
  t.equal(await card(page).getByRole('radio', { name: /^a\).*Đúng$/ }).count(), 1, 'a statement radio is named with its statement');
  t.equal(await card(page).getByRole('radio', { name: /^d\) Hàm số nghịch biến Sai$/ }).count(), 1);
  await page.locator('.nav-button[data-index="0"]').click();

  // Keyboard only from here: answer, flag, move on, answer, submit.
  await page.locator('body').focus();
  await tabTo(page, '#q-0-option-0');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  t.ok(await page.isChecked('#q-0-option-1'), 'arrow keys move the choice');
  await server.waitForFrame((f) => f.type === 'answer' && f.response === 'C');
  await page.getByRole('status', { name: 'Câu 1' }).filter({ hasText: 'Đã lưu' }).waitFor();
  t.pass('the save state is a status named by its question');

  await tabTo(page, '.question-card:not([hidden]) .flag-button', 60, 'Shift+Tab');
  await page.keyboard.press('Enter');
  await server.waitForFrame((f) => f.type === 'flag' && f.itemId === 'q-single' && f.flagged === true);
  t.equal(await card(page).locator('.flag-button').getAttribute('aria-pressed'), 'true', 'flagged with Enter');

  await tabTo(page, '.question-nav button:last-child');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Câu 2', exact: true }).waitFor();
  await tabTo(page, '#q-1-option-2');
  await page.keyboard.press('Space');
  await server.waitForFrame((f) => f.type === 'answer' && f.itemId === 'q-multi');

  // The navigator jumps to question 5; type a number there.
  await tabTo(page, '.nav-button[data-index="4"]', 80, 'Shift+Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Câu 5', exact: true }).waitFor();
  await tabTo(page, '#q-4-answer');
  await page.keyboard.type('2,5');
  await page.keyboard.press('Tab');
  await server.waitForFrame((f) => f.type === 'answer' && f.itemId === 'q-num' && f.response === '2,5');

  await tabTo(page, '.submit-button', 80, 'Shift+Tab');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Nộp bài?' });
  await dialog.waitFor();
  t.same(await axeViolations(page), [], 'the submit dialog passes axe-core');
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Nộp bài');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  t.ok(server.submitted, 'handed in with the keyboard alone');
  t.same(server.answers, { 'q-single': 'C', 'q-multi': ['C'], 'q-num': '2,5' });
  t.same(s.problems.errors, []);
});

t.test('200 % zoom: the exam still fits and works', async (t) => {
  // A 1280 × 860 window at 200 % zoom lays out as 640 × 430 CSS pixels.
  const s = await setup(t, { context: { viewport: { width: 640, height: 430 }, deviceScaleFactor: 2 } });
  const { page } = s;
  await openExam(s);
  for (const n of [1, 4, 7, 8]) {
    await page.locator(`.nav-button[data-index="${n - 1}"]`).click();
    t.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, `question ${n}: no sideways scrolling`);
  }
  await page.locator('.nav-button[data-index="0"]').click();
  await page.check('#q-0-option-0');
  t.ok(await page.getByRole('timer').isVisible(), 'timer visible');
  t.ok(await page.getByRole('button', { name: 'Nộp bài' }).isVisible(), 'submit visible');
  await screenshot(page, 'exam-zoom-200');
  t.same(s.problems.errors, []);
});

t.test('phone 360 × 640: no sideways scrolling, 44 px tap targets, the timer stays in view', async (t) => {
  const s = await setup(t, {
    items: ITEMS.map((item, i) => (i === 0 ? { ...item, stimulusId: 'stim-1' } : item)),
    stimuli: [{ id: 'stim-1', title: 'Ngữ liệu', content: `<p>${'Đoạn văn dài để cuộn trang. '.repeat(40)}</p>` }],
    context: { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  });
  const { page } = s;
  await openExam(s);
  for (let n = 1; n <= ITEMS.length; n++) {
    await page.locator(`.nav-button[data-index="${n - 1}"]`).click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    t.equal(overflow, 0, `question ${n}: document scrollWidth <= clientWidth`);
    const small = await card(page).locator('label.choice').evaluateAll((labels) =>
      labels.map((l) => l.getBoundingClientRect()).filter((r) => r.height < 44).map((r) => r.height),
    );
    t.same(small, [], `question ${n}: every option is at least 44 px high`);
  }
  await page.locator('.nav-button[data-index="0"]').click();
  await screenshot(page, 'phone-360-q1');
  await page.locator('.nav-button[data-index="3"]').click();
  await screenshot(page, 'phone-360-cluster');
  await page.locator('.nav-button[data-index="0"]').click();
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const box = await page.getByRole('timer').boundingBox();
  t.ok(box && box.y >= 0 && box.y + box.height <= 640, `the timer is on screen after scrolling down (${JSON.stringify(box)})`);
  await page.screenshot({ path: await screenshot(page, 'phone-360-scrolled'), fullPage: false });
  t.same(s.problems.errors, []);
});
