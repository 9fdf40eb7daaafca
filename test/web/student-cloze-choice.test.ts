/**
 * A cloze item with dropdown blanks in a real browser against the REAL app
 * and grading worker: the candidate sees each choice blank as a labelled
 * <select> inside the text (options in authored order, no key in the page),
 * picks, the answers are saved over the live socket, kept after a reload,
 * and scored per blank once handed in.
 */
import t from 'tap';
import { build } from '../helper.js';
import { buildWebClient, launchBrowser, logInAsCandidate, watchProblems } from '../support/browser.js';
import { publishedExam } from '../support/exam-fixture.js';
import { WORLD_PASSWORD } from '../support/fixtures/world.js';
import { frontServer, listenApp } from '../support/front-server.js';
import { inProcessWorkers } from '../support/grading.js';

const CLOZE = {
  type: 'cloze',
  stem: '<p>Điền vào chỗ trống.</p>',
  subject: 'math',
  grade: 12,
  text: '<p>Hà Nội {{b1}} thủ đô; các số nguyên tố: {{b2}}; sông {{b3}}.</p>',
  blanks: [
    { id: 'b1', options: [{ id: 'A', text: 'là' }, { id: 'B', text: 'không là' }], correct: ['A'] },
    { id: 'b2', options: [{ id: 'A', text: '2' }, { id: 'B', text: '4' }, { id: 'C', text: '7' }], correct: ['A', 'C'], multiple: true },
    { id: 'b3', accepted: ['Hồng'] },
  ],
};

t.test('a candidate answers dropdown blanks, finds them after a reload, and is scored per blank', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const built = await build(t);
  const fx = await publishedExam(built.app, { candidates: 1, prefix: 'czc', bodies: [CLOZE] });
  const appUrl = await listenApp(built.app);
  const url = await frontServer(t, appUrl, webRoot);
  await inProcessWorkers(t, built.config);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInAsCandidate(page, url, 'czc_cand0', WORLD_PASSWORD);
  await page.getByRole('link', { name: 'Vào thi' }).click();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();

  const first = page.getByRole('combobox', { name: 'Chỗ trống 1' });
  const second = page.getByRole('listbox', { name: 'Chỗ trống 2' });
  const third = page.getByRole('textbox', { name: 'Chỗ trống 3' });
  t.same(await first.locator('option').allTextContents(), ['— Chọn —', 'là', 'không là'], 'a dropdown: a "choose" entry, then the options in authored order');
  t.same(await second.locator('option').allTextContents(), ['2', '4', '7'], 'a pick-several blank lists its options');
  t.equal(await second.evaluate((el) => (el as HTMLSelectElement).multiple), true);
  t.equal(await first.evaluate((el) => el.closest('p')?.textContent?.startsWith('Hà Nội')), true, 'the select sits inside the text where its marker was');
  const values = await first.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
  for (const v of values.slice(1)) t.match(v, /^~[a-z2-7]{10}$/, 'an option value is an opaque token, not the authored id');
  t.notMatch(await page.content(), /"correct"|data-correct/, 'nothing in the page says which option is right');

  await first.selectOption({ label: 'là' });
  await second.selectOption([{ label: '2' }, { label: '7' }]);
  await third.fill('Đà');
  await third.press('Tab');
  await page.waitForFunction(() => document.querySelector('.question-card:not([hidden]) .save-state')?.textContent === 'Đã lưu');

  await page.reload();
  await page.getByRole('heading', { name: 'Câu 1', exact: true }).waitFor();
  await page.getByRole('combobox', { name: 'Chỗ trống 1' }).locator('option:checked', { hasText: 'là' }).waitFor({ state: 'attached' });
  t.equal(await page.getByRole('combobox', { name: 'Chỗ trống 1' }).evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent), 'là', 'the dropdown pick is kept after a reload');
  t.same(
    await page.getByRole('listbox', { name: 'Chỗ trống 2' }).evaluate((el) => [...(el as HTMLSelectElement).selectedOptions].map((o) => o.textContent)),
    ['2', '7'],
    'the picks of the pick-several blank are kept',
  );
  t.equal(await page.getByRole('textbox', { name: 'Chỗ trống 3' }).inputValue(), 'Đà', 'the text blank is kept');

  await page.getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('dialog', { name: 'Nộp bài?' }).getByRole('button', { name: 'Nộp bài' }).click();
  await page.getByRole('heading', { name: 'Đã nộp bài' }).waitFor();
  const result = page.getByRole('region', { name: 'Kết quả' });
  await result.getByText(/^Điểm: [\d,]+\/10$/).waitFor({ timeout: 60_000 });
  t.match(await result.locator('.result-score').textContent(), /6,67/, 'two blanks of three right: 2/3 of the item, 6.67 of 10');
  t.same(problems.errors.filter((e) => !/403.*\/result$|status of 403/.test(e)), [], 'no page errors');
  t.ok(fx.examId);
});
