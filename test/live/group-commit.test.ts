// The group-commit batcher on its own: what it writes together, and what each caller learns.
import t from 'tap';
import { GroupCommitter, type CommitOutcome } from '../../src/attempts/group-commit.js';

interface Doc {
  _id: string;
  parts: string[];
}

function recorder(outcome: (doc: Doc) => CommitOutcome = () => 'ok', delayMs = 0) {
  const writes: Doc[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = async (docs: Doc[]) => {
    writes.push(docs.map((d) => ({ ...d, parts: [...d.parts] })));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight--;
    return docs.map(outcome);
  };
  return { writes, write, maxInFlight: () => maxInFlight };
}

t.test('documents queued within the window go out in one write, each caller gets its own outcome', async (t) => {
  const r = recorder((d) => (d._id === 'd3' ? 'duplicate' : d._id === 'd5' ? 'failed' : 'ok'));
  const gc = new GroupCommitter<Doc>(r.write, { windowMs: 20 });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => gc.commit(() => ({ _id: `d${i}`, parts: [] }))));
  t.equal(r.writes.length, 1, 'one write');
  t.equal(r.writes[0]!.length, 8);
  t.same(results.map((x) => x?.outcome), ['ok', 'ok', 'ok', 'duplicate', 'ok', 'failed', 'ok', 'ok']);
  t.same(gc.stats, { batches: 1, docs: 8, failedBatches: 1 });
});

t.test('a document is built when the batch forms, so it carries what arrived meanwhile', async (t) => {
  const r = recorder();
  const gc = new GroupCommitter<Doc>(r.write, { windowMs: 20 });
  const parts = ['first'];
  const done = gc.commit(() => ({ _id: 'a', parts: parts.splice(0) }));
  parts.push('second', 'third');
  const result = await done;
  t.same(result?.doc.parts, ['first', 'second', 'third']);
  t.equal(await gc.commit(() => null), null, 'nothing to write: resolves with null, no write');
  t.equal(r.writes.length, 1);
});

t.test('a writer that throws fails every document of its batch; a large queue is split', async (t) => {
  const gc = new GroupCommitter<Doc>(async () => {
    throw new Error('database away');
  }, { windowMs: 1 });
  t.same((await gc.commit(() => ({ _id: 'x', parts: [] })))?.outcome, 'failed');

  const r = recorder(() => 'ok', 20);
  const big = new GroupCommitter<Doc>(r.write, { windowMs: 1, maxBatch: 10, maxInFlight: 2 });
  await Promise.all(Array.from({ length: 45 }, (_, i) => big.commit(() => ({ _id: `b${i}`, parts: [] }))));
  t.same(r.writes.map((w) => w.length), [10, 10, 10, 10, 5], 'batches of at most maxBatch, in order');
  t.equal(r.maxInFlight(), 2, 'never more writes in flight than allowed');
  await big.drain();
});

t.test('with one write in flight, everything that arrives while it runs goes out in the next single write', async (t) => {
  const r = recorder(() => 'ok', 300);
  const gc = new GroupCommitter<Doc>(r.write, { windowMs: 1, maxInFlight: 1 });
  const first = gc.commit(() => ({ _id: 'first', parts: [] }));
  // Wait until the first write is running, then queue more than one window's worth behind it.
  while (r.writes.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const rest: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    rest.push(gc.commit(() => ({ _id: `later${i}`, parts: [] })));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all([first, ...rest]);
  t.same(r.writes.map((w) => w.length), [1, 20], 'the batch grew while the write ran: two writes in all');
  t.equal(r.maxInFlight(), 1);
});
