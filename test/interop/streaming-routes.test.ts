import http from 'node:http';
import type { AddressInfo } from 'node:net';
import ExcelJS from 'exceljs';
import { unzipSync } from 'fflate';
import t from 'tap';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';

/**
 * GET /api/items/export streams: it reads the bank's search a page at a time
 * with its cursor, so an export bigger than any page has every item, and a
 * client that hangs up ends its export without harming anything else.
 */

t.test('an export larger than a search page has every item, in every streamed format', async (t) => {
  const { app } = await build(t);
  const world = await interopWorld(app);
  const items = Array.from({ length: 250 }, (_, i) => ({
    type: i % 3 === 0 ? 'numeric' : 'single_choice',
    stem: `Câu số ${i + 1}`,
    subject: 'toan',
    grade: 12,
    topic: 'tong-hop',
    cognitiveLevel: 1,
    ...(i % 3 === 0 ? { value: i, tolerance: 0 } : { options: [{ id: 'A', text: 'Đúng' }, { id: 'B', text: 'Sai' }], correct: ['A'] }),
  }));
  const made = await world.users.authorA({ method: 'POST', url: '/api/items/bulk', payload: { items } });
  t.equal(made.statusCode, 200);

  const csv = await world.users.authorA({ method: 'GET', url: '/api/items/export?format=csv' });
  const rows = csv.body.trim().split('\n');
  t.equal(rows.length, 251, 'a header and 250 rows, read over two pages of 200');
  t.equal(csv.trailers['x-export-items'], '250');

  const book = await world.users.authorA({ method: 'GET', url: '/api/items/export?format=xlsx' });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(book.rawPayload as unknown as ExcelJS.Buffer);
  t.same(wb.worksheets.map((w) => [w.name, w.actualRowCount]), [['single_choice', 167], ['numeric', 85]], 'one sheet per type present');

  const pkg = await world.users.authorA({ method: 'GET', url: '/api/items/export?format=qti' });
  const files = unzipSync(new Uint8Array(pkg.rawPayload));
  t.equal(Object.keys(files).filter((f) => f.startsWith('items/')).length, 250);
  const manifest = Buffer.from(files['imsmanifest.xml']!).toString('utf8');
  t.equal(manifest.match(/type="imsqti_item_xmlv3p0"/g)?.length, 250);

  // A client that hangs up mid-export ends that export, and only that.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  for (const format of ['xlsx', 'qti', 'gift']) {
    const got = await new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/api/items/export?format=${format}`, headers: { authorization: `Bearer ${world.tokens.authorA}` } }, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.length);
        });
      });
      req.on('error', (err) => ((err as { code?: string }).code === 'ECONNRESET' ? undefined : reject(err)));
    });
    t.ok(got > 0, `${format}: the first bytes arrived before hanging up`);
  }
  const after = await world.users.authorA({ method: 'GET', url: '/api/items/export?format=csv&type=numeric' });
  t.equal(after.statusCode, 200, 'the server goes on serving');
  t.equal(after.body.trim().split('\n').length, 85);
});

