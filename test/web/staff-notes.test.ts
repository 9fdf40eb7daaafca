/**
 * Staff notes in the staff item editor, in real Chromium against the real
 * server: a QTI item whose rubric block is for tutors is imported, the
 * teacher finds the block under "Ghi chú cho giáo viên", rewrites it, saves,
 * and reads the new notes again after a reload.
 */
import t from 'tap';
import { as, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, watchProblems } from '../support/browser.js';
import { STAFF_PASSWORD, staffWorld } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

t.test('a teacher reads and edits the staff notes of an imported QTI item, and sees them after a reload', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const { app } = await build(t);
  const appUrl = await listenApp(app);
  const url = await frontServer(t, appUrl, webRoot);
  const world = await staffWorld(app, url, 0);
  const author = as(app, world.author.token);

  const file = `<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="snt-2" title="Số nguyên tố chẵn" adaptive="false" time-dependent="false" xml:lang="vi">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"><qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Số nguyên tố chẵn duy nhất là</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-simple-choice identifier="A">2</qti-simple-choice><qti-simple-choice identifier="B">4</qti-simple-choice><qti-simple-choice identifier="C">6</qti-simple-choice>
    </qti-choice-interaction>
    <qti-rubric-block view="tutor" use="instructions"><qti-content-body><p>Nhắc học sinh: 1 không phải số nguyên tố.</p></qti-content-body></qti-rubric-block>
  </qti-item-body>
  <qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
</qti-assessment-item>`;
  const imported = await author({
    method: 'POST',
    url: '/api/items/import?format=qti&subject=math&grade=6&topic=so-hoc&cognitiveLevel=1',
    payload: file,
    headers: { 'content-type': 'application/xml' },
  });
  t.equal(imported.statusCode, 200, imported.body);
  t.same(imported.json().warnings ?? [], [], 'the rubric block is no warning');
  const [id] = imported.json().ids as string[];

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, world.author.username, STAFF_PASSWORD);

  await page.goto(`${url}/staff/items/${id}`);
  const notes = page.getByLabel('Ghi chú cho giáo viên');
  await notes.waitFor();
  t.equal(await notes.inputValue(), '<p>Nhắc học sinh: 1 không phải số nguyên tố.</p>', 'the tutor rubric block is the staff notes');
  t.match((await page.locator('.staff-notes-panel').textContent()) ?? '', /thí sinh không bao giờ thấy/, 'the field says who reads it');

  await notes.fill('Nhắc học sinh: số 2 là số nguyên tố chẵn duy nhất.');
  await page.getByRole('button', { name: 'Lưu nháp' }).click();
  await page.getByText('Đã lưu phiên bản 2.').waitFor();

  await page.reload();
  await page.getByLabel('Ghi chú cho giáo viên').waitFor();
  t.equal(await page.getByLabel('Ghi chú cho giáo viên').inputValue(), 'Nhắc học sinh: số 2 là số nguyên tố chẵn duy nhất.', 'shown after a reload');

  const stored = (await author({ method: 'GET', url: `/api/items/${id}` })).json();
  t.match(stored, { revision: 2, staffNotes: 'Nhắc học sinh: số 2 là số nguyên tố chẵn duy nhất.', provenance: { title: 'Số nguyên tố chẵn', externalId: 'snt-2', source: { format: 'qti' } } });
  t.same(problems.errors, [], 'no page errors');
});
