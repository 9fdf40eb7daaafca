/**
 * The shared item renderer (src/web/items/render.ts) in a real browser: all
 * ten types, responses read and written in the shapes of docs/item-types.md, maths
 * typeset by KaTeX under the production CSP, and hostile item HTML inert.
 */
import t from 'tap';
import { ITEM_TYPES as SERVER_ITEM_TYPES } from '../../src/bank/item-types.js';
import { ITEM_TYPES as WEB_ITEM_TYPES } from '../../src/web/items/types.js';
import { RESPONSE_LIMITS } from '../../src/grading/responses.js';
import { CONTENT_SECURITY_POLICY } from '../../src/plugins/web.js';
import { buildWebClient, launchBrowser, screenshot, watchProblems } from '../support/browser.js';
import { FakeLiveServer } from '../support/fake-live.js';
import { EXPECTED_RESPONSES, ITEMS, XSS_STEM } from '../fixtures/web-items.js';

import type { CandidateItem, ItemResponse } from '../../src/web/items/types.js';

type RenderModule = typeof import('../../src/web/items/render.js');

/** Loads the renderer module into the page (served by the web plugin) as `window.renderModule`. */
const LOAD_RENDERER = async () => {
  const specifier: string = '/items/render.js';
  (window as unknown as { renderModule: RenderModule }).renderModule = (await import(specifier)) as RenderModule;
};

t.test('the browser item types are exactly the server item types', async (t) => {
  t.same([...WEB_ITEM_TYPES], [...SERVER_ITEM_TYPES]);
  t.same(ITEMS.map((i) => i.type).sort(), [...SERVER_ITEM_TYPES].sort(), 'the fixture has one item of each type');
});

t.test('renderer in a real browser', async (t) => {
  const webRoot = await buildWebClient(t);
  const server = new FakeLiveServer({ webRoot, items: ITEMS });
  await server.start();
  t.teardown(() => server.stop());
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  const problems = watchProblems(page);

  const response = await page.goto(`${server.url}/login`);
  t.equal(response?.headers()['content-security-policy'], CONTENT_SECURITY_POLICY, 'the HTML carries the CSP');
  await page.evaluate(LOAD_RENDERER);

  await t.test('every type reads back the response it was given, in its documented shape', async (t) => {
    const results = await page.evaluate(
      ({ items, expected }) => {
        const m = (window as unknown as { renderModule: RenderModule }).renderModule;
        const box = document.createElement('div');
        document.body.append(box);
        return items.map((item) => {
          const empty = m.renderItem(item, { idPrefix: `empty-${item.itemId}` });
          const given = expected[item.itemId!] as ItemResponse;
          const filled = m.renderItem(item, { idPrefix: `filled-${item.itemId}`, initial: given });
          const later = m.renderItem(item, { idPrefix: `later-${item.itemId}` });
          box.append(empty.element, filled.element, later.element);
          later.setResponse(given);
          const afterSet = later.getResponse();
          later.setResponse(null);
          return { id: item.itemId!, empty: empty.getResponse(), filled: filled.getResponse(), afterSet, cleared: later.getResponse() };
        });
      },
      { items: ITEMS as CandidateItem[], expected: EXPECTED_RESPONSES },
    );
    for (const r of results) {
      t.equal(r.empty, null, `${r.id}: unanswered reads as null`);
      t.same(r.filled, EXPECTED_RESPONSES[r.id], `${r.id}: initial response reads back unchanged`);
      t.strictSame(r.afterSet, EXPECTED_RESPONSES[r.id], `${r.id}: setResponse reads back unchanged`);
      t.equal(r.cleared, null, `${r.id}: setResponse(null) clears`);
    }
  });

  await t.test("the essay box stops at the server's cap on an essay response", async (t) => {
    const essay = ITEMS.find((i) => i.type === 'essay') as CandidateItem;
    const maxLength = await page.evaluate((item) => {
      const m = (window as unknown as { renderModule: RenderModule }).renderModule;
      const rendered = m.renderItem(item, { idPrefix: 'cap' });
      document.body.append(rendered.element);
      return rendered.element.querySelector('textarea')!.maxLength;
    }, essay);
    t.equal(maxLength, RESPONSE_LIMITS.essay);
  });

  await t.test('maths is typeset by KaTeX; code stays literal', async (t) => {
    const found = await page.evaluate((item) => {
      const m = (window as unknown as { renderModule: RenderModule }).renderModule;
      const rendered = m.renderItem(item, { idPrefix: 'math' });
      document.body.append(rendered.element);
      return {
        inline: rendered.element.querySelectorAll('.item-stem .katex').length,
        display: rendered.element.querySelectorAll('.item-stem .katex-display').length,
        mathml: rendered.element.querySelectorAll('math').length,
        text: rendered.element.querySelector('.item-stem')!.textContent,
      };
    }, ITEMS[4] as CandidateItem);
    t.equal(found.display, 1, 'display maths \\[ \\] rendered in display mode');
    t.ok(found.mathml >= 1, 'MathML for screen readers');
    t.notMatch(found.text, /\\\[/, 'no raw delimiters left');
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    t.ok(await page.evaluate(() => document.fonts.check('16px KaTeX_Main')), 'KaTeX fonts load under the CSP');
  });

  await t.test('hostile item HTML is inert and only the allowed subset survives', async (t) => {
    const report = await page.evaluate((stem) => {
      const m = (window as unknown as { renderModule: RenderModule }).renderModule;
      const rendered = m.renderItem(
        { itemId: 'xss', type: 'single_choice', stem, options: [{ id: 'A', text: stem }, { id: 'B', text: '<img src="javascript:alert(1)" onerror="window.__xss=\'opt\'">B' }] },
        { idPrefix: 'xss' },
      );
      document.body.append(rendered.element);
      const all = Array.from(rendered.element.querySelectorAll('*'));
      const stemEl = rendered.element.querySelector('.item-stem')!;
      return {
        tags: [...new Set(Array.from(stemEl.querySelectorAll('*')).map((e) => e.localName))].sort(),
        handlers: all.flatMap((e) => Array.from(e.attributes).map((a) => a.name)).filter((n) => n.startsWith('on') || n === 'style' || n === 'href' || n === 'srcdoc' || n === 'action'),
        images: Array.from(stemEl.querySelectorAll('img')).map((i) => ({ src: i.getAttribute('src')!.slice(0, 22), alt: i.alt, width: i.getAttribute('width') })),
        colspan: stemEl.querySelector('td')?.getAttribute('colspan'),
        code: stemEl.querySelector('code')?.textContent,
        text: stemEl.textContent,
      };
    }, XSS_STEM);
    t.same(report.tags, ['b', 'code', 'i', 'img', 'p', 'sub', 'sup', 'table', 'td', 'tr', 'u'], 'only allowed tags');
    t.same(report.handlers, [], 'no event handler, style, href, srcdoc or action attribute anywhere');
    t.same(report.images, [{ src: 'data:image/png;base64,', alt: 'hình', width: '20' }], 'the data: image stays, the external one is gone');
    t.equal(report.colspan, '2');
    t.equal(report.code, '\\(không phải toán\\)', 'no maths inside code');
    t.match(report.text, /bấm vào đây/, 'the text of a removed link stays');
    t.notMatch(report.text, /__xss/, 'script text is dropped, not shown');
    await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
    await page.hover('.item-stem td');
    await page.click('.item-stem p');
    t.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined, 'nothing ran');
    t.ok(problems.blockedByCsp.length > 0, 'the CSP would have blocked the handlers even if the sanitiser had not removed them');
  });

  await t.test('ordering is operable with the keyboard and keeps focus on the moved row', async (t) => {
    await page.evaluate((item) => {
      const m = (window as unknown as { renderModule: RenderModule }).renderModule;
      const w = window as unknown as { ordering: ReturnType<RenderModule['renderItem']>; orderChanges: unknown[] };
      w.orderChanges = [];
      w.ordering = m.renderItem(item, { idPrefix: 'kbd', onChange: (r) => w.orderChanges.push(r) });
      document.body.prepend(w.ordering.element);
    }, ITEMS[7] as CandidateItem);
    const moved = page.locator('#kbd-stem + .item-answer').getByRole('button', { name: 'Chuyển xuống: Cách mạng tháng Tám' });
    await moved.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    t.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Chuyển xuống: Cách mạng tháng Tám', 'focus follows the row');
    const changes = await page.evaluate(() => (window as unknown as { orderChanges: unknown[] }).orderChanges);
    t.same(changes, [
      ['e2', 'e1', 'e3', 'e4'],
      ['e2', 'e3', 'e1', 'e4'],
    ]);
    t.equal(await page.locator('#kbd-stem + .item-answer [aria-live="polite"]').textContent(), 'Đã chuyển “Cách mạng tháng Tám” đến vị trí 3/4.');
  });

  await t.test('readOnly shows the response and allows no change', async (t) => {
    const state = await page.evaluate(
      ({ items, expected }) => {
        const m = (window as unknown as { renderModule: RenderModule }).renderModule;
        return items.map((item) => {
          const given = expected[item.itemId!] as ItemResponse;
          const r = m.renderItem(item, { idPrefix: `ro-${item.itemId}`, initial: given, readOnly: true });
          document.body.append(r.element);
          r.setDisabled(false);
          const controls = Array.from(r.element.querySelectorAll('input, select, textarea, button')) as (HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLButtonElement)[];
          const editable = controls.filter((c) => !c.disabled && !('readOnly' in c && c.readOnly && (c.type === 'text' || c.localName === 'textarea')));
          return { id: item.itemId, editable: editable.length, same: JSON.stringify(r.getResponse()) === JSON.stringify(given) };
        });
      },
      { items: ITEMS as CandidateItem[], expected: EXPECTED_RESPONSES },
    );
    for (const s of state) {
      t.equal(s.editable, 0, `${s.id}: no editable control`);
      t.ok(s.same, `${s.id}: shows the response`);
    }
  });

  await screenshot(page, 'render-all-types');
  t.same(problems.errors, [], 'no script error, failed load or other CSP violation');
});
