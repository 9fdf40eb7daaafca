import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { unzipSync } from 'fflate';
import t from 'tap';
import type { ItemType } from '../../src/bank/item-types.js';
import type { ExportItem, ItemSource } from '../../src/interop/model.js';
import * as qti from '../../src/interop/qti.js';
import * as xlsx from '../../src/interop/xlsx.js';

/**
 * The writers hold one item at a time: 70,000 generated items as a QTI
 * package (more entries than a zip without ZIP64 records can hold) and
 * 10,000 as an xlsx sheet, with the live heap watched while they stream.
 */

// A collection before each sample measures what is held, not garbage not yet collected.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const dir = await mkdtemp(path.join(tmpdir(), 'interop-stream-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

function generated(count: number): ItemSource {
  const filler = 'Một đoạn văn để mỗi câu hỏi có kích thước thật. '.repeat(4);
  async function* items(): AsyncGenerator<ExportItem> {
    for (let i = 0; i < count; i++) {
      yield {
        id: i.toString(16).padStart(24, '0'),
        type: 'single_choice',
        stem: `<p>Câu ${i}: ${filler}</p>`,
        subject: 'toan',
        grade: 12,
        topic: 'tong-hop',
        cognitiveLevel: 1,
        options: [
          { id: 'A', text: `${i}` },
          { id: 'B', text: `${i + 1}` },
        ],
        correct: ['A'],
      };
    }
  }
  return { all: items, ofType: (type: ItemType) => (type === 'single_choice' ? items() : (async function* () {})()) };
}

/** Highest live heap seen while the source is read (sampled every 2,000 items, after a collection). */
function watched(source: ItemSource): { source: ItemSource; peak: () => number } {
  let peak = 0;
  const wrap = (it: AsyncIterable<ExportItem>) =>
    (async function* () {
      let n = 0;
      for await (const item of it) {
        if (n++ % 2000 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
        yield item;
      }
    })();
  return { source: { all: () => wrap(source.all()), ofType: (type) => wrap(source.ofType(type)) }, peak: () => peak };
}

t.test('70,000 items as a QTI package: ZIP64 records, bounded memory', async (t) => {
  const count = 70_000;
  const file = path.join(dir, 'big.qti.zip');
  const out = createWriteStream(file);
  gc();
  const before = process.memoryUsage().heapUsed;
  const { source, peak } = watched(generated(count));
  await qti.write(source, out);
  out.end();
  await finished(out);
  const growth = (peak() - before) / 1024 / 1024;
  // Holding the items would take well over 100 MiB (objects, arrays and ~1 KiB of strings each);
  // the central directory, a few dozen bytes per entry, is all that may grow.
  t.ok(growth < 32, `heap grew by ${growth.toFixed(1)} MiB while writing`);
  let entries = 0;
  const files = unzipSync(new Uint8Array(await readFile(file)), {
    filter: (f) => {
      entries++;
      return f.name === 'imsmanifest.xml' || f.name === `items/item-${(count - 1).toString(16).padStart(24, '0')}.xml`;
    },
  });
  const manifest = files['imsmanifest.xml'];
  t.equal(entries, count + 1, 'every item and the manifest are in the central directory (ZIP64 end record)');
  t.equal(Buffer.from(manifest!).toString('utf8').match(/<resource /g)?.length, count);
  const last = qti.parse(Buffer.from(files[`items/item-${(count - 1).toString(16).padStart(24, '0')}.xml`]!));
  t.match(last.items[0]!.item, { type: 'single_choice', options: [{ id: 'A', text: String(count - 1) }, { id: 'B' }], correct: ['A'] });
});

t.test('10,000 items as an xlsx sheet stream out with bounded memory and read back', async (t) => {
  const count = 10_000;
  const file = path.join(dir, 'big.xlsx');
  const out = createWriteStream(file);
  gc();
  const before = process.memoryUsage().heapUsed;
  const { source, peak } = watched(generated(count));
  await xlsx.write(source, out);
  await finished(out);
  const growth = (peak() - before) / 1024 / 1024;
  t.ok(growth < 32, `heap grew by ${growth.toFixed(1)} MiB while writing`);
  const { items } = await xlsx.parse(await readFile(file));
  t.equal(items.length, count);
  t.match(items[count - 1]!.item, { type: 'single_choice', options: [{ id: 'A', text: String(count - 1) }, { id: 'B' }], correct: ['A'] });
});
