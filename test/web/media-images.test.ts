/**
 * Pictures of the media library in the staff app, in real Chromium against
 * the real server: an item written with a `data:` picture is stored with a
 * library address, and the editor's preview shows the picture (fetched with
 * the session's token under the production CSP).
 */
import t from 'tap';
import { as, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, watchProblems } from '../support/browser.js';
import { STAFF_PASSWORD, staffWorld } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

// A 2×1 PNG: one red and one blue pixel.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAADUlEQVR4nGP4zwAE/wEHAAH/4iOeWQAAAABJRU5ErkJggg==', 'base64');

t.test('the staff editor shows a library picture of an item', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t);
  const { app } = await build(t);
  const appUrl = await listenApp(app);
  const url = await frontServer(t, appUrl, webRoot);
  const world = await staffWorld(app, url, 0);
  const author = as(app, world.author.token);

  const created = await author({
    method: 'POST',
    url: '/api/items',
    payload: {
      type: 'true_false',
      stem: `<p>Hình bên có hai điểm ảnh.<img src="data:image/png;base64,${PNG.toString('base64')}" alt="hai điểm ảnh" width="120" height="60"></p>`,
      value: true,
      subject: 'math',
      grade: 12,
      topic: 'hinh-anh',
      cognitiveLevel: 1,
    },
  });
  t.equal(created.statusCode, 201, created.body);
  const item = created.json();
  t.match(item.stem, /src="\/api\/media\/[0-9a-f]{64}"/, 'stored with the library address');

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, world.author.username, STAFF_PASSWORD);

  await page.goto(`${url}/staff/items/${item.id}`);
  const picture = page.locator('.preview img[alt="hai điểm ảnh"]');
  await picture.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('.preview img[alt="hai điểm ảnh"]');
    return !!img && img.complete && img.naturalWidth > 0;
  });
  const shown = await picture.evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, height: img.naturalHeight, src: img.src, media: img.dataset.media }));
  t.same({ width: shown.width, height: shown.height }, { width: 2, height: 1 }, 'the picture is drawn');
  t.match(shown.src, /^blob:/, 'from the bytes fetched with the token');
  t.match(shown.media, /^\/api\/media\/[0-9a-f]{64}$/);
  t.same(problems.errors, [], 'no page errors, nothing blocked by the CSP');
});
