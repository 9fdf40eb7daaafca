// Issue 16, item 1, in the browser: the candidate client works with the
// opaque ids a form delivers. A candidate answers in real Chromium against the
// real server, reloads (the answers come back), and continues on another API
// process with a frame still in the outbox from before (its ids translate
// there too); the hand-in grades in full.
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { sectorUri } from '../../src/config.js';
import { attemptIdFor } from '../../src/attempts/attempt-model.js';
import { as, build, uniqueName, type TestLike } from '../helper.js';
import { buildWebClient, launchBrowser, watchProblems } from '../support/browser.js';
import { dropSectorAtEnd, inProcessWorkers, queueEvents, settled } from '../support/grading.js';
import { KEY_ORDER_ITEMS, keyOrderExam } from '../support/key-order-exam.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.setTimeout(600_000);

const name = uniqueName('delivery-ids-browser');
const { app: A, config } = await build(t, {}, name);
const { app: B } = await build(t, {}, name);
dropSectorAtEnd(t, sectorUri(config));
const ko = await keyOrderExam(A, { candidates: 1, formCount: 1, prefix: 'kob' });
const { ctx } = await inProcessWorkers(t, config);
const bulkEvents = await queueEvents(t, config, 'bulk');
const webRoot = await buildWebClient(t);
const browser: Browser = await launchBrowser(t);
const frontA = await frontServer(t, await listenApp(A), webRoot);
const frontB = await frontServer(t, await listenApp(B), webRoot);

const token = ko.tokens[0]!;
const user = (await as(A, token)({ method: 'GET', url: '/api/me' })).json();
const session = { token, user };
const outboxKey = `exam-engine:outbox:${user.id}:${ko.examId}`;
const attemptId = attemptIdFor(ko.examId, user.id);

/**
 * A page of the candidate client on `front`, signed in, with `storage` put
 * into localStorage before the client starts. While `line.up` is false the
 * page's frames no longer reach the server (a connection gone silent).
 */
async function openExam(t: TestLike, front: string, options: { storage?: Record<string, string>; line?: { up: boolean } } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  await context.addInitScript((entries) => {
    for (const [key, value] of Object.entries(entries)) if (localStorage.getItem(key) === null) localStorage.setItem(key, value);
  }, { 'exam-engine:session': JSON.stringify(session), ...options.storage });
  const page = await context.newPage();
  const line = options.line;
  if (line) {
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        if (line.up) server.send(message);
      });
    });
  }
  const problems = watchProblems(page);
  await page.goto(`${front}/exam/${ko.examId}`);
  await ready(page);
  return { page, errors: problems.errors };
}

/** The exam is on screen (at the question the candidate last looked at). */
const ready = (page: Page) => page.locator('.question-card:not([hidden])').waitFor();
const card = (page: Page, n: number) => page.locator('.question-card').filter({ has: page.getByRole('heading', { name: `Câu ${n}`, exact: true }) });
const show = (page: Page, n: number) => page.locator(`.nav-button[data-index="${n - 1}"]`).click();
const saved = (page: Page) => page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');
const orderTexts = (page: Page) => card(page, 1).locator('.order-row .order-text').allTextContents();
const readOutbox = (page: Page) => page.evaluate((key) => localStorage.getItem(key) ?? 'null', outboxKey);

const ELEMENTS = KEY_ORDER_ITEMS.ordering.elements.map((e) => e.text);
const { matching } = KEY_ORDER_ITEMS;
/** Matching as "premise text → choice text". */
const PAIRS = matching.premises.map((p) => [p.text, matching.choices.find((c) => c.id === matching.pairs[p.id])!.text] as const);

async function matchAll(page: Page): Promise<void> {
  for (const [premise, choice] of PAIRS) {
    const select = card(page, 2).locator('.match-row', { hasText: premise }).locator('select');
    const value = await select.locator('option', { hasText: choice }).getAttribute('value');
    await select.selectOption(value!);
  }
}

/** The outbox of the first page, as it was when that page was closed. */
let leftBehind = '';

t.test('answers given in the client are saved under the delivered ids and come back after a reload', async (t) => {
  const line = { up: true };
  const { page, errors } = await openExam(t, frontA, { line });
  // Sections: 1 ordering, 2 matching, 3 single choice.
  await show(page, 3);
  const radio = card(page, 3).getByRole('radio', { name: /Bốn$/ });
  t.match(await radio.getAttribute('value'), /^~[a-z2-7]{10}$/, 'the option carries an opaque id');
  await radio.check();
  await saved(page);

  await show(page, 1);
  for (const [target, text] of ELEMENTS.entries()) {
    const at = (await orderTexts(page)).indexOf(text);
    for (let i = at; i > target; i--) await card(page, 1).getByRole('button', { name: `Chuyển lên: ${text}`, exact: true }).click();
  }
  t.same(await orderTexts(page), ELEMENTS, 'the elements put in the right order');
  await saved(page);

  await page.reload();
  await ready(page);
  t.equal(await page.locator('.nav-count').textContent(), 'Đã trả lời 2/3', 'both answers known after the reload');
  await show(page, 3);
  t.ok(await card(page, 3).getByRole('radio', { name: /Bốn$/ }).isChecked(), 'the chosen option is checked again');
  await show(page, 1);
  t.same(await orderTexts(page), ELEMENTS, 'the order comes back');

  // The connection goes silent: the matching answers wait in the outbox.
  line.up = false;
  await show(page, 2);
  await matchAll(page);
  await page.waitForFunction(
    ({ key, itemId, n }) => (JSON.parse(localStorage.getItem(key) ?? '{}') as { frames?: { itemId?: string; response?: object }[] }).frames?.some((f) => f.itemId === itemId && Object.keys(f.response ?? {}).length === n),
    { key: outboxKey, itemId: ko.ids.matching, n: PAIRS.length },
  );
  leftBehind = await readOutbox(page);
  t.same(errors, [], 'no errors in the page');
});

t.test('frames left in the outbox are sent on another process, and the hand-in grades in full', async (t) => {
  const { page, errors } = await openExam(t, frontB, { storage: { [outboxKey]: leftBehind } });
  await page.waitForFunction((key) => (JSON.parse(localStorage.getItem(key) ?? '{}') as { frames?: unknown[] }).frames?.length === 0, outboxKey);
  t.pass('the server acknowledged every frame of the outbox');
  t.equal(await page.locator('.nav-count').textContent(), 'Đã trả lời 3/3');
  const logged = (await A.live.log.readAfter(attemptId, 0)).flatMap((e) => e.frames).flatMap((f) => (f.type === 'answer' && f.itemId === ko.ids.matching ? [f.response] : []));
  t.same(logged.at(-1), matching.pairs, 'stored in authored ids');
  await show(page, 2);
  for (const [premise, choice] of PAIRS) {
    const select = card(page, 2).locator('.match-row', { hasText: premise }).locator('select');
    t.match(await select.locator('option:checked').textContent(), choice, `${premise} → ${choice}`);
  }
  await page.getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('dialog', { name: 'Nộp bài?' }).getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  // The end screen asks for the result, which is refused (403) until it is graded and released.
  t.same(errors.filter((e) => !/403.*\/result$|status of 403/.test(e)), [], 'no errors in the page');

  const started = await ko.world.manager({ method: 'POST', url: `/api/exams/${ko.examId}/grading`, payload: { mode: 'all' } });
  t.equal(started.statusCode, 202, started.body);
  await settled(ctx.queues.bulk, bulkEvents, started.json().jobId);
  const results = (await ko.world.manager({ method: 'GET', url: `/api/exams/${ko.examId}/results` })).json().results;
  t.match(results, [{ candidateId: user.id, score: 3, maxScore: 3 }], 'full marks');
});
