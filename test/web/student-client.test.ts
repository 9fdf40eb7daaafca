/**
 * The student client in a real browser against a fake API and live socket
 * (test/support/fake-live.ts) that speaks the API's protocol: login, exam
 * list, every item type answered in the shapes of docs/item-types.md, save states, the
 * outbox across a reload, reconnects, the countdown on the server's clock,
 * submit, the end screens, integrity events, a phone-sized screen.
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Fastify from 'fastify';
import t from 'tap';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import webPlugin, { CONTENT_SECURITY_POLICY } from '../../src/plugins/web.js';
import { buildWebClient, launchBrowser, screenshot, watchProblems, type PageProblems, type TestLike } from '../support/browser.js';
import { CANDIDATE, EXAM_ID, FakeLiveServer, TOKEN, type ReceivedFrame } from '../support/fake-live.js';
import { ESSAY_TEXT, EXPECTED_RESPONSES, ITEMS } from '../fixtures/web-items.js';

const SESSION = { token: TOKEN, user: { id: CANDIDATE.id, username: CANDIDATE.username, displayName: CANDIDATE.displayName, roles: [{ role: 'candidate', orgId: 'o1' }] } };
const OUTBOX_KEY = `exam-engine:outbox:${CANDIDATE.id}:${EXAM_ID}`;

/** Resolves once `check()` holds, re-checking on each `applied` frame of the server. */
function until(server: FakeLiveServer, check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.off('applied', onApplied);
      reject(new Error(`timed out waiting until ${what}; answers: ${JSON.stringify(server.answers)}`));
    }, timeoutMs);
    const onApplied = () => {
      if (!check()) return;
      clearTimeout(timer);
      server.off('applied', onApplied);
      resolve();
    };
    server.on('applied', onApplied);
  });
}

interface Setup {
  server: FakeLiveServer;
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

let webRoot: string;
let browser: Browser;

/** A fresh fake server and a browser context signed in as the candidate (unless `signedIn` is false). */
async function setup(t: TestLike, options: { signedIn?: boolean; context?: BrowserContextOptions; durationMs?: number } = {}): Promise<Setup> {
  const server = new FakeLiveServer({ webRoot, items: ITEMS, durationMs: options.durationMs });
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
  const problems = watchProblems(page);
  return { server, context, page, problems };
}

async function openExam(s: Setup): Promise<void> {
  await s.page.goto(`${s.server.url}/exam/${EXAM_ID}`);
  await s.page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
}

/** Shows question `n` (1-based) through the navigator. */
async function goTo(page: Page, n: number): Promise<void> {
  await page.locator(`.nav-button[data-index="${n - 1}"]`).click();
}

const card = (page: Page, n: number) => page.locator(`.question-card:not([hidden])`).filter({ has: page.getByRole('heading', { name: `Câu ${n}`, exact: true }) });

function answerFrames(server: FakeLiveServer, from = 0): ReceivedFrame[] {
  return server.frames.slice(from).filter((f) => f.type === 'answer');
}

t.before(async () => {
  webRoot = await buildWebClient(t);
  browser = await launchBrowser(t);
});

t.test('login, exam list, exam page: Vietnamese UI, countdown from serverNow, headers', async (t) => {
  const s = await setup(t, { signedIn: false });
  const { page, server } = s;

  const api404 = await fetch(`${server.url}/api/nothing-here`);
  t.equal(api404.status, 404);
  t.equal((await api404.json()).error.code, 'not_found', 'unknown API paths stay JSON');
  t.equal((await fetch(`${server.url}/no-such-page`)).status, 404, 'unknown pages are not swallowed by the client');
  const deepLink = await fetch(`${server.url}/exam/${EXAM_ID}`);
  t.equal(deepLink.status, 200, 'client routes answer with index.html');
  t.equal(deepLink.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  t.equal(deepLink.headers.get('cache-control'), 'no-cache');
  t.match(await deepLink.text(), /<script type="module" src="\/main.js">/);
  t.equal((await fetch(`${server.url}/main.js`)).headers.get('cache-control'), 'no-cache', 'own modules revalidate');
  const katexCss = await fetch(`${server.url}/vendor/katex-${(await import('katex')).default.version}/katex.min.css`);
  t.equal(katexCss.headers.get('cache-control'), 'public, max-age=31536000, immutable', 'versioned vendor files are cached for good');

  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/login$/);
  t.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
  await page.getByLabel('Tên đăng nhập').fill(CANDIDATE.username);
  await page.getByLabel('Mật khẩu').fill('sai-mat-khau');
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  t.equal(await page.getByRole('alert').filter({ hasText: 'Sai' }).textContent(), 'Sai tên đăng nhập hoặc mật khẩu.');
  await page.getByLabel('Mật khẩu').fill(CANDIDATE.password);
  await page.keyboard.press('Enter');

  await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
  t.match(await page.locator('.who').textContent(), CANDIDATE.displayName);
  const examCard = page.locator(`.exam-card[data-exam-id="${EXAM_ID}"]`);
  t.equal(await examCard.locator('h2').textContent(), 'Toán 12 – Kiểm tra <b>giữa kỳ</b> I', 'titles are text, never markup');
  t.equal(await examCard.locator('b').count(), 0);
  t.match(await examCard.textContent(), 'Thời gian làm bài: 10 phút');
  const doneCard = page.locator('.exam-card[data-exam-id="exam-0"]');
  t.match(await doneCard.textContent(), 'Đã nộp');
  t.equal(await doneCard.getByRole('link').count(), 0, 'a submitted exam cannot be entered');
  const laterCard = page.locator('.exam-card[data-exam-id="exam-2"]');
  t.match(await laterCard.textContent(), 'Chưa mở');
  t.equal(await laterCard.getByRole('link').count(), 0, 'an exam not open yet cannot be entered');
  await screenshot(page, 'exam-list-desktop');

  await examCard.getByRole('link', { name: 'Vào thi' }).click();
  await page.waitForURL(new RegExp(`/exam/${EXAM_ID}$`));
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  t.equal(await page.locator('.exam-title h1').textContent(), 'Toán 12 – Kiểm tra <b>giữa kỳ</b> I');
  t.equal(await page.locator('.form-code').textContent(), 'Mã đề 101');
  const timer = await page.getByRole('timer').textContent();
  // The server's clock is years away from this machine's: only serverNow gives 10 minutes.
  t.match(timer, /^(09:[0-5]\d|10:00)$/, `countdown from serverNow (${timer})`);
  t.equal(await page.locator('.nav-count').textContent(), 'Đã trả lời 0/10');
  t.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
  const join = server.frames.find((f) => f.type === 'join');
  t.same(join && { token: join.token, examId: join.examId }, { token: TOKEN, examId: EXAM_ID }, 'joined with the session token');
  await screenshot(page, 'exam-desktop');
  t.same(
    s.problems.errors.filter((e) => !/\b401\b/.test(e)),
    [],
    'nothing but the refused wrong password',
  );
});

t.test('the web plugin serves nothing, and does not fail, when the client is not built', async (t) => {
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: { code: 'not_found', message: 'none', details: [] } }));
  await app.register(webPlugin, { root: path.join(webRoot, 'no-such-folder') });
  const response = await app.inject({ method: 'GET', url: '/' });
  t.equal(response.statusCode, 404);
  t.equal(response.json().error.code, 'not_found');
});

t.test('every item type answered with mouse and keyboard; frames carry r in the shape of docs/item-types.md', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);

  // 1. single choice, by keyboard. The first option shown ("A.") has the id "B".
  server.holdAcks = true;
  await page.focus('#q-0-option-0');
  await page.keyboard.press('Space');
  const save = card(page, 1).locator('.save-state');
  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đang lưu…');
  t.equal(await save.textContent(), 'Đang lưu…', 'saving until the server acknowledges');
  server.release();
  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');
  t.equal(await save.textContent(), 'Đã lưu');

  // 2. multiple choice
  await page.getByRole('button', { name: 'Câu sau →' }).click();
  await card(page, 2).getByText('2', { exact: true }).click();
  await card(page, 2).getByText('7', { exact: true }).click();
  // 3. true/false
  await page.getByRole('button', { name: 'Câu sau →' }).click();
  await card(page, 3).getByText('Đúng', { exact: true }).click();
  // 4. cluster: a true, b false, c true, d false
  await goTo(page, 4);
  for (const [i, value] of [[0, 'true'], [1, 'false'], [2, 'true'], [3, 'false']] as const) await page.check(`#q-3-st-${i}-${value}`);
  // 5. numeric keeps the decimal comma
  await goTo(page, 5);
  await card(page, 5).getByLabel('Câu trả lời').fill('-1,5');
  await page.keyboard.press('Tab');
  // 6. short text: a refused answer shows its error on the item, a good one clears it
  server.nackFor = (frame) => (frame.itemId === 'q-short' && frame.response === 'sai' ? { code: 'validation_failed', message: 'bad' } : null);
  await goTo(page, 6);
  await card(page, 6).getByLabel('Câu trả lời').fill('sai');
  await page.keyboard.press('Tab');
  const itemError = card(page, 6).locator('.item-error');
  await itemError.waitFor({ state: 'visible' });
  t.equal(await itemError.textContent(), 'Không lưu được: câu trả lời không hợp lệ');
  await card(page, 6).getByLabel('Câu trả lời').fill('Hà Nội');
  await page.keyboard.press('Tab');
  await itemError.waitFor({ state: 'hidden' });
  // 7. matching with selects
  await goTo(page, 7);
  await page.selectOption('#q-6-premise-0-select', 'c3');
  await page.selectOption('#q-6-premise-1-select', 'c1');
  await page.selectOption('#q-6-premise-2-select', 'c2');
  // 8. ordering by keyboard
  await goTo(page, 8);
  await card(page, 8).getByRole('button', { name: 'Chuyển lên: Chiến thắng Bạch Đằng' }).focus();
  await page.keyboard.press('Enter');
  // 9. cloze
  await goTo(page, 9);
  await page.getByLabel('Chỗ trống 1').fill('Hà Nội');
  await page.getByLabel('Chỗ trống 2').fill('TP. Hồ Chí Minh');
  await page.keyboard.press('Tab');
  // 10. essay, with its word count, then flagged
  await goTo(page, 10);
  await page.getByLabel('Bài làm').fill(ESSAY_TEXT);
  t.equal(await card(page, 10).locator('.word-count').textContent(), '13/50 từ');
  await card(page, 10).getByRole('button', { name: '⚑ Đánh dấu xem lại' }).click();
  t.equal(await card(page, 10).getByRole('button', { name: '⚑ Đánh dấu xem lại' }).getAttribute('aria-pressed'), 'true');

  await until(server, () => isDeepStrictEqual(server.answers, EXPECTED_RESPONSES) && server.flags.has('q-essay'), 'every answer is stored');
  t.strictSame(server.answers, EXPECTED_RESPONSES, 'the server holds every response in its documented shape');
  const last = new Map(answerFrames(server).map((f) => [f.itemId, f.response]));
  t.strictSame(Object.fromEntries(last), { ...EXPECTED_RESPONSES }, 'the last answer frame per item carries that response');
  const seqs = server.frames.filter((f) => f.seq !== undefined).map((f) => f.seq!);
  t.same(seqs, seqs.map((_, i) => i + 1), 'seq rises by one per frame');

  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');
  t.equal(await page.locator('.nav-count').textContent(), 'Đã trả lời 10/10');
  t.equal(await page.locator('.nav-button.is-answered').count(), 10);
  t.equal(await page.locator('.nav-button.is-flagged').count(), 1);
  t.equal(await page.locator('.nav-button[data-index="9"]').getAttribute('aria-label'), 'Câu 10, đã trả lời, đã đánh dấu');
  await goTo(page, 1);
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Câu 1', 'the navigator moves focus to the question');
  await goTo(page, 4);
  await screenshot(page, 'exam-desktop-cluster');
  t.same(s.problems.errors, []);
});

t.test('outbox: frames unacknowledged before a reload are resent after it, in order, and seq keeps rising', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);
  await page.check('#q-0-option-0');
  await until(server, () => server.answers['q-single'] === 'B', 'the first answer is stored');
  const firstSeq = answerFrames(server)[0]!.seq!;

  server.holdAcks = true;
  await goTo(page, 2);
  await card(page, 2).getByText('2', { exact: true }).click();
  await goTo(page, 3);
  await card(page, 3).getByText('Sai', { exact: true }).click();
  const held2 = await server.waitForFrame((f) => f.type === 'answer' && f.itemId === 'q-tf');
  const held1 = answerFrames(server).find((f) => f.itemId === 'q-multi')!;
  t.ok(held1.seq! > firstSeq && held2.seq! > held1.seq!, 'seqs rise');
  const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null'), OUTBOX_KEY);
  t.same(
    stored.frames.map((f: ReceivedFrame) => [f.seq, f.itemId, f.response]),
    [
      [held1.seq, 'q-multi', ['A']],
      [held2.seq, 'q-tf', false],
    ],
    'unacknowledged frames are in localStorage',
  );

  // The server never stored the held frames (they die with the socket); after the reload it says lastSeq = firstSeq.
  server.holdAcks = false;
  const before = server.frames.length;
  await page.reload();
  await page.getByRole('heading', { name: /^Câu \d+$/ }).first().waitFor();
  const resent1 = await server.waitForFrame((f) => f.join === 2 && f.seq === held1.seq, before);
  const resent2 = await server.waitForFrame((f) => f.join === 2 && f.seq === held2.seq, before);
  t.same([resent1.itemId, resent1.response], ['q-multi', ['A']]);
  t.same([resent2.itemId, resent2.response], ['q-tf', false]);
  t.ok(server.frames.indexOf(resent1) < server.frames.indexOf(resent2), 'resent in order');
  t.notOk(server.frames.slice(before).some((f) => f.seq !== undefined && f.seq <= firstSeq), 'frames at or below lastSeq are not resent');
  await until(server, () => isDeepStrictEqual(server.answers['q-tf'], false), 'the resent answers are stored');

  t.equal(await page.locator('.question-card:not([hidden]) h2').textContent(), 'Câu 3', 'the reload comes back to the same question');
  t.ok(await page.isChecked('#q-2-tf-false'), 'the answer made before the reload is shown');
  await goTo(page, 4);
  await page.check('#q-3-st-0-true');
  const fresh = await server.waitForFrame((f) => f.type === 'answer' && f.itemId === 'q-cluster');
  const highestBefore = Math.max(...server.frames.filter((f) => f.join === 1 && f.seq !== undefined).map((f) => f.seq!));
  t.ok(fresh.seq! > highestBefore, `seq continues above every frame from before the reload (${fresh.seq} > ${highestBefore})`);
  await until(server, () => isDeepStrictEqual(server.answers['q-cluster'], { a: true }), 'the new answer is stored');
  await page.waitForFunction((key) => JSON.parse(localStorage.getItem(key) ?? '{}').frames?.length === 0, OUTBOX_KEY);
  t.pass('the outbox is empty once everything is acknowledged');
  t.same(s.problems.errors, []);
});

t.test('reconnects by itself after the server dies and after a dropped socket', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);
  await page.check('#q-0-option-0');
  await until(server, () => server.answers['q-single'] === 'B', 'first answer stored');

  await server.stop();
  const banner = page.locator('.banner');
  await banner.waitFor({ state: 'visible' });
  t.match(await banner.textContent(), 'Mất kết nối, đang thử lại');
  t.equal(await page.locator('.conn-state').textContent(), 'Mất kết nối');
  await goTo(page, 3);
  await card(page, 3).getByText('Sai', { exact: true }).click();
  await card(page, 3).getByText('Đúng', { exact: true }).click();
  t.equal(await card(page, 3).locator('.save-state').textContent(), 'Đang lưu…', 'an answer made offline waits');
  const waiting = await page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? '{}').frames, OUTBOX_KEY);
  t.same(
    waiting.filter((f: ReceivedFrame) => f.type === 'answer').map((f: ReceivedFrame) => [f.itemId, f.response]),
    [['q-tf', true]],
    'offline changes to one item wait as one frame',
  );
  const framesBeforeRestart = server.frames.length;
  const timerBefore = await page.getByRole('timer').textContent();

  await server.start(server.port);
  await until(server, () => server.answers['q-tf'] === true, 'the offline answer arrives after the restart');
  t.equal(server.joins, 2, 'joined again on the restarted server');
  t.same(answerFrames(server, framesBeforeRestart).map((f) => [f.itemId, f.response]), [['q-tf', true]], 'one frame sent for it');
  await banner.waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');
  t.match(await page.getByRole('timer').textContent(), /^(09|10):\d\d$/, `the countdown goes on (${timerBefore})`);

  server.dropSocket();
  await server.waitForFrame((f) => f.type === 'join' && f.join === 3);
  await goTo(page, 5);
  await card(page, 5).getByLabel('Câu trả lời').fill('3,14');
  await page.keyboard.press('Tab');
  await until(server, () => server.answers['q-num'] === '3,14', 'answers flow after the second reconnect');
  t.same(s.problems.errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(e)), [], 'nothing but the refused connections while the server was down');
});

t.test('the countdown follows time messages and locks the page at zero; time_up ends the exam', async (t) => {
  const s = await setup(t, { durationMs: 60_000 });
  const { page, server } = s;
  await openExam(s);
  server.endsAtMs += 20 * 60_000;
  server.send({ type: 'time', endsAt: new Date(server.endsAtMs).toISOString(), serverNow: new Date(server.now()).toISOString() });
  await page.waitForFunction(() => /^2[01]:\d\d$/.test(document.querySelector('[role=timer]')?.textContent ?? ''));
  t.pass('an extension moves the countdown');

  server.endsAtMs = server.now() + 1500;
  server.send({ type: 'time', endsAt: new Date(server.endsAtMs).toISOString(), serverNow: new Date(server.now()).toISOString() });
  await page.waitForFunction(() => document.querySelector('[role=timer]')?.textContent === '00:00');
  await page.locator('.banner', { hasText: 'Hết giờ làm bài' }).waitFor();
  t.ok(await page.isDisabled('#q-0-option-0'), 'answers are locked at zero');
  t.ok(await page.isDisabled('.submit-button'));

  server.send({ type: 'ended', reason: 'time_up' });
  await page.getByRole('heading', { name: 'Hết giờ làm bài' }).waitFor();
  t.match(await page.locator('.end-body').textContent(), 'nộp tự động');
  await page.getByRole('button', { name: 'Về danh sách bài thi' }).click();
  await page.getByRole('heading', { name: 'Bài thi của bạn' }).waitFor();
  t.same(s.problems.errors, []);
});

t.test('a time_up nack ends the exam', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);
  server.nackFor = () => ({ code: 'time_up', message: 'Time is up' });
  await page.click('#q-0-option-0');
  await page.getByRole('heading', { name: 'Hết giờ làm bài' }).waitFor();
  t.pass('end screen shown');
  t.same(s.problems.errors, []);
});

t.test('opening the exam in another tab replaces this one; "continue here" takes it back', async (t) => {
  const s = await setup(t);
  const { page, server, context } = s;
  await openExam(s);
  const other = await context.newPage();
  await other.goto(`${server.url}/exam/${EXAM_ID}`);
  await other.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  await page.getByRole('heading', { name: 'Bài thi đang được mở ở nơi khác' }).waitFor();
  t.match(await page.locator('.end-body').textContent(), 'thẻ hoặc thiết bị khác');
  await screenshot(page, 'end-replaced');
  await page.getByRole('button', { name: 'Làm bài tại đây' }).click();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  await other.getByRole('heading', { name: 'Bài thi đang được mở ở nơi khác' }).waitFor();
  t.equal(server.joins, 3);
  t.same(s.problems.errors, []);
});

t.test('submit asks for confirmation, then shows the end screen', async (t) => {
  const s = await setup(t);
  const { page, server } = s;
  await openExam(s);
  await page.check('#q-0-option-0');
  await goTo(page, 2);
  await card(page, 2).getByRole('button', { name: '⚑ Đánh dấu xem lại' }).click();

  await page.getByRole('button', { name: 'Nộp bài' }).click();
  const dialog = page.getByRole('dialog', { name: 'Nộp bài?' });
  await dialog.waitFor();
  t.match(await dialog.textContent(), 'Bạn đã trả lời 1/10 câu.');
  t.match(await dialog.textContent(), 'Còn 9 câu chưa trả lời.');
  t.match(await dialog.textContent(), '1 câu đang được đánh dấu xem lại.');
  t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Quay lại làm bài', 'the safe choice has focus');
  await screenshot(page, 'submit-confirm');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  t.notOk(server.submitted, 'Escape cancels');

  await page.getByRole('button', { name: 'Nộp bài' }).click();
  await dialog.getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  t.ok(server.submitted);
  t.match(await page.locator('.end').textContent(), 'Thời điểm nộp:');
  t.same(server.answers, { 'q-single': 'B' });
  t.same(await page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? '{}').frames, OUTBOX_KEY), []);
  await screenshot(page, 'end-submitted');

  await page.reload();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  t.pass('coming back later shows the end screen again');
  t.same(s.problems.errors, []);
});

t.test('integrity events: blur, focus, paste, offline', async (t) => {
  const s = await setup(t);
  const { page, server, context } = s;
  await openExam(s);
  const from = server.frames.length;
  await page.evaluate(() => window.dispatchEvent(new Event('blur')));
  await server.waitForFrame((f) => f.type === 'event' && f.kind === 'blur', from);
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await server.waitForFrame((f) => f.type === 'event' && f.kind === 'focus', from);
  await goTo(page, 10);
  await page.getByLabel('Bài làm').focus();
  await page.evaluate(() => document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { bubbles: true })));
  await server.waitForFrame((f) => f.type === 'event' && f.kind === 'paste', from);
  await context.setOffline(true);
  await context.setOffline(false);
  await server.waitForFrame((f) => f.type === 'event' && f.kind === 'offline', from);
  await until(server, () => ['blur', 'focus', 'paste', 'offline'].every((k) => server.events.includes(k)), 'every event is stored');
  t.pass('blur, focus, paste and offline reach the server');
});

t.test('phone-sized screen: no sideways scrolling, English on request', async (t) => {
  const s = await setup(t, { context: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } });
  const { page } = s;
  await openExam(s);
  await page.check('#q-0-option-0');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.equal(overflow, 0, 'nothing wider than the screen');
  await screenshot(page, 'exam-phone');
  await goTo(page, 7);
  t.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, 'matching fits');
  await screenshot(page, 'exam-phone-matching');

  await page.getByRole('button', { name: 'Switch to English' }).click();
  await page.getByRole('heading', { name: 'Question 7', exact: true }).waitFor();
  t.equal(await page.locator('html').getAttribute('lang'), 'en');
  t.equal(await page.locator('.timer-label').textContent(), 'Time left');
  t.equal(await page.locator('.form-code').textContent(), 'Form 101');
  await goTo(page, 1);
  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Saved');
  await screenshot(page, 'exam-phone-en');
  await page.getByRole('button', { name: 'Chuyển sang tiếng Việt' }).click();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  t.same(s.problems.errors, []);
});
