/**
 * Feedback, hints and provenance in the staff item editor, in real Chromium
 * against the real server: a teacher opens an item imported from Moodle XML,
 * sees where it came from, writes general and outcome feedback, an option's
 * feedback and two hints, saves, and finds them all again after a reload.
 */
import t from 'tap';
import { as, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, watchProblems } from '../support/browser.js';
import { STAFF_PASSWORD, staffWorld } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.test('a teacher enters feedback and hints and sees them after a reload', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const { app } = await build(t);
  const appUrl = await listenApp(app);
  const url = await frontServer(t, appUrl, webRoot);
  const world = await staffWorld(app, url, 0);
  const author = as(app, world.author.token);

  const file = `<?xml version="1.0"?><quiz>
<question type="category"><category><text>$course$/top/Số học/Số nguyên tố</text></category></question>
<question type="multichoice"><name><text>Số nguyên tố chẵn</text></name><idnumber>SNT-1</idnumber>
 <questiontext format="html"><text>Số nguyên tố chẵn duy nhất là</text></questiontext>
 <single>true</single>
 <answer fraction="100"><text>2</text></answer><answer fraction="0"><text>4</text></answer><answer fraction="0"><text>6</text></answer>
 <tags><tag><text>subject:math</text></tag><tag><text>grade:6</text></tag><tag><text>level:1</text></tag></tags>
</question></quiz>`;
  const imported = await author({ method: 'POST', url: '/api/items/import?format=moodle-xml&fileName=so-hoc.xml', payload: file, headers: { 'content-type': 'application/xml' } });
  t.equal(imported.statusCode, 200, imported.body);
  const [id] = imported.json().ids as string[];

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, world.author.username, STAFF_PASSWORD);

  await page.goto(`${url}/staff/items/${id}`);
  const provenance = page.locator('section.provenance');
  await provenance.waitFor();
  const shown = (await provenance.textContent()) ?? '';
  for (const text of ['Số nguyên tố chẵn', 'SNT-1', 'so-hoc.xml', 'moodle-xml', 'Số học / Số nguyên tố']) t.match(shown, text, `the provenance shows ${text}`);

  await page.getByLabel('Phản hồi chung').fill('Số nguyên tố chỉ có hai ước.');
  await page.getByLabel('Khi trả lời đúng').fill('Chính xác!');
  await page.getByLabel('Khi trả lời sai').fill('Chưa đúng, xem lại định nghĩa.');
  await page.getByLabel('Phản hồi khi chọn phương án này').nth(1).fill('4 chia hết cho 2 và 4.');
  await page.getByLabel('Gợi ý').fill('Số chẵn chia hết cho 2.\nThử số nhỏ nhất.');
  await page.getByRole('button', { name: 'Lưu nháp' }).click();
  await page.getByText('Đã lưu phiên bản 2.').waitFor();

  await page.reload();
  await page.locator('section.provenance').waitFor();
  t.equal(await page.getByLabel('Phản hồi chung').inputValue(), 'Số nguyên tố chỉ có hai ước.');
  t.equal(await page.getByLabel('Khi trả lời đúng').inputValue(), 'Chính xác!');
  t.equal(await page.getByLabel('Khi đúng một phần').inputValue(), '', 'a field left blank stays blank');
  t.equal(await page.getByLabel('Khi trả lời sai').inputValue(), 'Chưa đúng, xem lại định nghĩa.');
  t.equal(await page.getByLabel('Phản hồi khi chọn phương án này').nth(0).inputValue(), '');
  t.equal(await page.getByLabel('Phản hồi khi chọn phương án này').nth(1).inputValue(), '4 chia hết cho 2 và 4.');
  t.equal(await page.getByLabel('Gợi ý').inputValue(), 'Số chẵn chia hết cho 2.\nThử số nhỏ nhất.');

  const stored = (await author({ method: 'GET', url: `/api/items/${id}` })).json();
  t.match(stored, {
    revision: 2,
    feedback: { general: 'Số nguyên tố chỉ có hai ước.', correct: 'Chính xác!', incorrect: 'Chưa đúng, xem lại định nghĩa.' },
    hints: ['Số chẵn chia hết cho 2.', 'Thử số nhỏ nhất.'],
    options: [{ id: 'A', text: '2' }, { id: 'B', text: '4', feedback: '4 chia hết cho 2 và 4.' }, { id: 'C', text: '6' }],
    provenance: { title: 'Số nguyên tố chẵn', externalId: 'SNT-1', source: { file: 'so-hoc.xml', format: 'moodle-xml', categoryPath: ['Số học', 'Số nguyên tố'] } },
  }, 'stored as entered, the provenance kept through the edit');
  t.notOk('partial' in stored.feedback);
  t.same(problems.errors, [], 'no page errors');
});
