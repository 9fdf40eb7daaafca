/**
 * Pictures and recordings in the staff item editor, in real Chromium (a fake
 * microphone) against the real server: a picture pasted into the stem, one
 * dropped on an option and one chosen with "Chèn ảnh" go to the media
 * library and into the text as library addresses; refused files are said in
 * Vietnamese; an audio file is uploaded with a limit of plays, then replaced
 * by a recording from the microphone; everything is there after a reload and
 * the stored item holds no `data:` URL.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../../src/infra/paths.js';
import { as, build } from '../helper.js';
import { buildWebClient, launchBrowser, logInToStaff, watchProblems } from '../support/browser.js';
import { STAFF_PASSWORD, staffWorld } from '../support/fixtures/index.js';
import { frontServer, listenApp } from '../support/front-server.js';

// 1×1 PNGs, made different by a trailing chunk of text so that each is its own file of the library.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const png = (label: string) => Buffer.concat([PNG, Buffer.from(label)]);
const hashOf = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const TONE = readFileSync(path.join(projectRoot(), 'test/fixtures/media/tone.m4a'));

t.test('an author pastes, drops and picks pictures, uploads and records audio', async (t) => {
  const webRoot = await buildWebClient(t);
  const browser = await launchBrowser(t, ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
  // A small picture limit, so that "too large" is quick to reach.
  const { app } = await build(t, { MEDIA_MAX_IMAGE_BYTES: '4096' });
  const appUrl = await listenApp(app);
  const url = await frontServer(t, appUrl, webRoot);
  const world = await staffWorld(app, url, 0);
  const author = as(app, world.author.token);

  const created = await author({
    method: 'POST',
    url: '/api/items',
    payload: {
      type: 'single_choice',
      stem: '<p>Nghe và nhìn hình: hình nào là hình vuông?</p>',
      options: [{ id: 'A', text: 'Hình 1' }, { id: 'B', text: 'Hình 2' }],
      correct: ['A'],
      subject: 'math',
      grade: 6,
      topic: 'hinh-hoc',
      cognitiveLevel: 1,
    },
  });
  t.equal(created.statusCode, 201, created.body);
  const id = created.json().id as string;

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN', permissions: ['microphone'] });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const problems = watchProblems(page);
  await logInToStaff(page, url, world.author.username, STAFF_PASSWORD);
  await page.goto(`${url}/staff/items/${id}`);
  const stem = page.locator('#ed-stem');
  await stem.waitFor();

  /** Sends a synthetic clipboard paste or drop of one file to a field, as the browser would. */
  const send = (selector: string, kind: 'paste' | 'drop', file: { name: string; type: string; bytes: Buffer }) =>
    page.evaluate(
      ({ selector, kind, name, type, b64 }) => {
        const area = document.querySelector<HTMLTextAreaElement>(selector)!;
        area.focus();
        area.setSelectionRange(area.value.length, area.value.length);
        const data = new DataTransfer();
        data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
        const event = kind === 'paste' ? new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }) : new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
        area.dispatchEvent(event);
      },
      { selector, kind, name: file.name, type: file.type, b64: file.bytes.toString('base64') },
    );
  const statusOf = (selector: string) => page.locator(`${selector} ~ .media-tools .media-status`);

  // Paste into the stem: the picture lands at the caret, as a library address.
  const pasted = png('pasted');
  await send('#ed-stem', 'paste', { name: 'image.png', type: 'image/png', bytes: pasted });
  await statusOf('#ed-stem').getByText('Đã chèn ảnh.').waitFor();
  t.equal(await stem.inputValue(), `<p>Nghe và nhìn hình: hình nào là hình vuông?</p><img src="/api/media/${hashOf(pasted)}" alt="">`, 'inserted at the caret');

  // Drop on option A.
  const dropped = png('dropped');
  await send('#ed-options-0-text', 'drop', { name: 'hinh-1.png', type: 'image/png', bytes: dropped });
  await statusOf('#ed-options-0-text').getByText('Đã chèn ảnh.').waitFor();
  t.match(await page.locator('#ed-options-0-text').inputValue(), `Hình 1<img src="/api/media/${hashOf(dropped)}" alt="">`);

  // "Chèn ảnh" on option B.
  const picked = png('picked');
  t.equal(await page.getByRole('button', { name: 'Chèn ảnh' }).count(), await page.locator('textarea.rich-input').count(), 'every rich text field has the button');
  await page.locator('#ed-options-1-text ~ .media-tools input[type="file"]').setInputFiles({ name: 'hinh-2.png', mimeType: 'image/png', buffer: picked });
  await statusOf('#ed-options-1-text').getByText('Đã chèn ảnh.').waitFor();
  t.match(await page.locator('#ed-options-1-text').inputValue(), `<img src="/api/media/${hashOf(picked)}" alt="">`);

  // Refused files, said in Vietnamese; the text is left alone.
  const before = await stem.inputValue();
  await send('#ed-stem', 'drop', { name: 'ghi-chu.txt', type: 'text/plain', bytes: Buffer.from('không phải ảnh') });
  await statusOf('#ed-stem').getByText('Tệp không phải ảnh PNG, JPEG, GIF, WebP hoặc SVG.').waitFor();
  await send('#ed-stem', 'paste', { name: 'big.png', type: 'image/png', bytes: Buffer.concat([PNG, Buffer.alloc(6000, 1)]) });
  await statusOf('#ed-stem').getByText('Tệp quá lớn (6 KB); tối đa 4 KB.').waitFor();
  await send('#ed-stem', 'paste', { name: 'tone.m4a', type: 'audio/mp4', bytes: TONE });
  await statusOf('#ed-stem').getByText('Tệp không phải ảnh PNG, JPEG, GIF, WebP hoặc SVG.').waitFor();
  t.equal(await stem.inputValue(), before, 'nothing inserted for a refused file');

  // Audio: an uploaded file, played at most twice.
  const audioPanel = page.getByRole('region', { name: 'Âm thanh (phần nghe)' });
  t.equal(await audioPanel.getByText('Chưa có âm thanh.').count(), 1);
  await page.locator('#ed-audio-file').setInputFiles({ name: 'hoi-thoai.m4a', mimeType: 'audio/mp4', buffer: TONE });
  await audioPanel.locator('.media-status').getByText('Đã gắn âm thanh.').waitFor();
  await audioPanel.getByLabel('Số lần nghe tối đa').fill('2');
  await page.waitForFunction(() => document.querySelector<HTMLAudioElement>('.audio-preview')?.src.startsWith('blob:'));
  await page.locator('#ed-audio-file').setInputFiles({ name: 'anh.png', mimeType: 'image/png', buffer: png('not audio') });
  await audioPanel.getByText('Tệp không phải âm thanh MP3, Ogg hoặc M4A.').waitFor();

  await page.getByRole('button', { name: 'Lưu nháp' }).click();
  await page.getByText('Đã lưu phiên bản 2.').waitFor();
  await page.reload();
  await stem.waitFor();
  t.match(await stem.inputValue(), `/api/media/${hashOf(pasted)}`, 'the stem keeps its picture after a reload');
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('.preview img')];
    return imgs.length === 3 && imgs.every((img) => img.complete && img.naturalWidth > 0);
  });
  t.pass('the preview draws the three pictures from the library');
  t.equal(await page.getByLabel('Số lần nghe tối đa').inputValue(), '2');
  await page.waitForFunction(() => document.querySelector<HTMLAudioElement>('.audio-preview')?.src.startsWith('blob:'));

  const stored = (await author({ method: 'GET', url: `/api/items/${id}` })).json();
  t.notMatch(JSON.stringify(stored), /data:/, 'no data: URL in the stored item');
  t.match(stored.stem, `<img src="/api/media/${hashOf(pasted)}"`);
  t.match(stored.options[0].text, `/api/media/${hashOf(dropped)}`);
  t.match(stored.options[1].text, `/api/media/${hashOf(picked)}`);
  t.same(stored.audio, { media: hashOf(TONE), maxPlays: 2 }, 'the recording and its limit');

  // Record from the (fake) microphone instead.
  await page.getByRole('button', { name: 'Ghi âm' }).click();
  await page.getByText('Đang ghi âm… Bấm "Dừng ghi âm" để kết thúc.').waitFor();
  await page.waitForTimeout(1200);
  await page.getByRole('button', { name: 'Dừng ghi âm' }).click();
  await page.getByRole('region', { name: 'Âm thanh (phần nghe)' }).locator('.media-status').getByText('Đã gắn âm thanh.').waitFor();
  await page.getByRole('button', { name: 'Lưu nháp' }).click();
  await page.getByText('Đã lưu phiên bản 3.').waitFor();
  const recorded = (await author({ method: 'GET', url: `/api/items/${id}` })).json();
  t.not(recorded.audio.media, hashOf(TONE), 'a new recording');
  t.equal(recorded.audio.maxPlays, 2, 'the limit stays');
  const file = await author({ method: 'GET', url: `/api/media/${recorded.audio.media}` });
  t.equal(file.statusCode, 200);
  t.match(file.headers['content-type'], /^audio\/(mp4|ogg)/, 'the recording is in the library as audio');

  t.same(problems.errors.filter((e) => !/HTTP 41[35]: .*\/api\/media|status of 41[35]/.test(e)), [], 'no page errors besides the refused uploads');
});
