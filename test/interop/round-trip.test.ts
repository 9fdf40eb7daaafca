import t from 'tap';
import { ITEM_TYPES } from '../../src/bank/item-types.js';
import { FORMAT_MODULES } from '../../src/interop/formats.js';
import { FORMATS } from '../../src/interop/model.js';
import { htmlToText } from '../../src/interop/plain-text.js';
import { build } from '../helper.js';
import { interopWorld } from '../support/fixtures/index.js';
import { CARRIES, comparable, SAMPLE_ITEMS } from '../support/interop.js';

/**
 * Export then import, through the real routes: for every format, the items
 * it carries come back equal — type, stem, options, key, points and the
 * metadata the format can hold — and the ones it cannot carry are named.
 */

const { app } = await build(t);
const world = await interopWorld(app);
const author = world.users.authorA;

// The originals are moved to review, so each export (status=in_review) reads them and not earlier imports.
const originals = new Map<string, Record<string, unknown>>();
for (const item of SAMPLE_ITEMS) {
  const res = await author({ method: 'POST', url: '/api/items', payload: item as unknown as Record<string, unknown> });
  if (res.statusCode !== 201) throw new Error(`sample ${item.type}: ${res.body}`);
  const stored = res.json();
  const moved = await author({ method: 'POST', url: `/api/items/${stored.id}/status`, payload: { status: 'in_review' } });
  if (moved.statusCode !== 200) throw new Error(moved.body);
  originals.set(`${stored.type}|${stored.stem}`, stored);
}

// Formats that are only read (no writer) have nothing to round-trip.
for (const format of FORMATS.filter((f) => FORMAT_MODULES[f].write)) {
  t.test(`${format}: export then import gives back equal items`, async (t) => {
    const exported = await author({ method: 'GET', url: `/api/items/export?format=${format}&status=in_review` });
    t.equal(exported.statusCode, 200, exported.statusCode === 200 ? 'exported' : exported.body);
    const carried = SAMPLE_ITEMS.filter((i) => CARRIES[format].includes(i.type));
    const notCarried = [...new Set(SAMPLE_ITEMS.filter((i) => !CARRIES[format].includes(i.type)).map((i) => i.type))];
    t.equal(exported.headers['x-export-skipped-types'], notCarried.length ? ITEM_TYPES.filter((x) => notCarried.includes(x)).join(',') : undefined, 'types the format cannot carry are named');
    t.equal(exported.trailers['x-export-items'], String(carried.length), 'the trailer counts the items written');
    t.match(exported.headers['content-disposition'], /^attachment; filename="items\./);

    // Aiken has no classification: the import request supplies it.
    const defaults = format === 'aiken' ? '&subject=toan&grade=12&topic=ham-so&cognitiveLevel=2' : '';
    const imported = await author({
      method: 'POST',
      url: `/api/items/import?format=${format}${defaults}`,
      payload: exported.rawPayload,
      headers: { 'content-type': 'application/octet-stream' },
    });
    t.equal(imported.statusCode, 200, imported.body.slice(0, 500));
    const report = imported.json();
    t.same(report.failed, [], 'nothing failed');
    t.equal(report.imported, carried.length);
    t.equal(report.ids.length, carried.length);

    const drafts = (await author({ method: 'GET', url: '/api/items?status=draft&limit=200' })).json().items as Record<string, unknown>[];
    const byId = new Map(drafts.map((d) => [d.id as string, d]));
    for (const id of report.ids as string[]) {
      const got = byId.get(id);
      if (!got) {
        t.fail(`imported item ${id} is not listed`);
        continue;
      }
      t.equal(got.status, 'draft', 'imported items are drafts');
      t.equal(got.ownerOrgId, world.orgs.schoolA, "…of the caller's organisation");
      // Aiken brings back the text of the stem, not its markup.
      const original =
        originals.get(`${String(got.type)}|${String(got.stem)}`) ??
        (format === 'aiken' ? [...originals.values()].find((o) => o.type === got.type && htmlToText(String(o.stem)) === htmlToText(String(got.stem))) : undefined);
      if (!original) {
        t.fail(`no original with type ${String(got.type)} and stem ${String(got.stem)}`);
        continue;
      }
      t.same(comparable(got, format), comparable(original, format), `${format} ${String(got.type)}`);
    }
  });
}

