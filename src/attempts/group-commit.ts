/**
 * Group commit: documents from many sockets are collected for a few
 * milliseconds and written with ONE unordered insert, so the number of
 * database round trips (and, on FerretDB/SQLite, of transactions) grows with
 * time, not with the number of candidates. Each caller learns the outcome of
 * its own document: written, duplicate key (someone else holds that `_id`),
 * or failed (unknown: the caller must not report it as stored).
 */
import mongoose from 'mongoose';

export type CommitOutcome = 'ok' | 'duplicate' | 'failed';

/** Writes documents in one round trip and reports the outcome of each, in order. */
export type BatchWriter<D> = (docs: D[]) => Promise<CommitOutcome[]>;

export interface GroupCommitOptions {
  /** How long documents are collected before a write starts, in ms. @defaultValue 5 */
  windowMs?: number;
  /** Largest number of documents in one write. @defaultValue 1000 */
  maxBatch?: number;
  /** Largest total size of one write, in bytes (approximate). @defaultValue 8 MiB */
  maxBatchBytes?: number;
  /** Writes in flight at once; the next batch collects meanwhile. @defaultValue 4 */
  maxInFlight?: number;
  /** Called after each write with its size and duration (metrics). */
  onBatch?: (docs: number, seconds: number) => void;
}

interface Waiting<D> {
  /** Called when the batch is formed, so the document carries everything that arrived until then. */
  build: () => D | null;
  resolve: (result: { outcome: CommitOutcome; doc: D } | null) => void;
}

export class GroupCommitter<D> {
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxInFlight: number;
  private readonly onBatch: ((docs: number, seconds: number) => void) | undefined;
  private queue: Waiting<D>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  /** Documents waited for a free write slot: write them as soon as one frees. */
  private blocked = false;
  private readonly idle: (() => void)[] = [];
  /** Sizes of the batches written, for tests and the load report. */
  readonly stats = { batches: 0, docs: 0, failedBatches: 0 };

  constructor(
    private readonly write: BatchWriter<D>,
    options: GroupCommitOptions = {},
    private readonly sizeOf: (doc: D) => number = () => 1024,
  ) {
    this.windowMs = options.windowMs ?? 5;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.onBatch = options.onBatch;
  }

  /**
   * Queues one document for the next batch. `build` runs when the batch is
   * formed and may return null when there is nothing left to write.
   */
  commit(build: () => D | null): Promise<{ outcome: CommitOutcome; doc: D } | null> {
    return new Promise((resolve) => {
      this.queue.push({ build, resolve });
      if (this.queue.length >= this.maxBatch) this.flushSoon(0);
      else this.flushSoon(this.windowMs);
    });
  }

  private flushSoon(delay: number): void {
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delay);
  }

  private flush(): void {
    this.blocked = false;
    while (this.queue.length > 0) {
      if (this.inFlight >= this.maxInFlight) {
        this.blocked = true;
        return;
      }
      const taken: Waiting<D>[] = [];
      const docs: D[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && docs.length < this.maxBatch && bytes < this.maxBatchBytes) {
        const w = this.queue.shift()!;
        const doc = w.build();
        if (doc === null) {
          w.resolve(null);
          continue;
        }
        taken.push(w);
        docs.push(doc);
        bytes += this.sizeOf(doc);
      }
      if (docs.length === 0) continue;
      this.inFlight++;
      this.stats.batches++;
      this.stats.docs += docs.length;
      void this.run(taken, docs);
    }
  }

  private async run(taken: Waiting<D>[], docs: D[]): Promise<void> {
    let outcomes: CommitOutcome[];
    const started = performance.now();
    try {
      outcomes = await this.write(docs);
    } catch {
      outcomes = docs.map(() => 'failed');
    }
    this.onBatch?.(docs.length, (performance.now() - started) / 1000);
    if (outcomes.some((o) => o === 'failed')) this.stats.failedBatches++;
    this.inFlight--;
    taken.forEach((w, i) => w.resolve({ outcome: outcomes[i] ?? 'failed', doc: docs[i]! }));
    if (this.queue.length > 0) this.flushSoon(this.blocked || this.queue.length >= this.maxBatch ? 0 : this.windowMs);
    else if (this.inFlight === 0) for (const done of this.idle.splice(0)) done();
  }

  /** Writes whatever is queued and resolves when nothing is in flight. */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flush();
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}

/**
 * A {@link BatchWriter} for a MongoDB collection: one unordered insertMany.
 * With an unordered insert every document that did not fail is stored, so a
 * duplicate key on one document says nothing about the others.
 */
export function insertManyWriter<D extends { _id: string }>(collection: {
  insertMany(docs: D[], options: { ordered: boolean }): Promise<unknown>;
}): BatchWriter<D> {
  return async (docs) => {
    try {
      await collection.insertMany(docs, { ordered: false });
      return docs.map(() => 'ok');
    } catch (err) {
      if (err instanceof mongoose.mongo.MongoBulkWriteError && !err.err) {
        const outcomes: CommitOutcome[] = docs.map(() => 'ok');
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        if (errors.length === 0) return docs.map(() => 'failed');
        for (const we of errors) outcomes[we.index] = we.code === 11000 ? 'duplicate' : 'failed';
        return outcomes;
      }
      return docs.map(() => 'failed');
    }
  };
}
