import type { mongo } from 'mongoose';
import { nativeOf } from '../infra/store.js';
import { GroupCommitter, insertManyWriter, type CommitOutcome, type GroupCommitOptions } from './group-commit.js';
import { logEntryId, type AttemptLogModel, type LogEntry } from './log-model.js';

/** Rough BSON size of an entry, to keep one group commit under the wire limits. */
function entrySize(entry: LogEntry): number {
  let bytes = 200;
  for (const f of entry.frames) {
    bytes += 80;
    if (f.type === 'answer') bytes += typeof f.response === 'string' ? f.response.length * 3 : JSON.stringify(f.response ?? null).length;
  }
  return bytes;
}

/**
 * Reads and appends entries of attempt logs (see log-model.ts). Every read is
 * by `_id`; every append goes through one group committer per process.
 */
export class AttemptLogStore {
  readonly committer: GroupCommitter<LogEntry>;
  private readonly collection: mongo.Collection<LogEntry>;

  constructor(model: AttemptLogModel, options: GroupCommitOptions = {}) {
    this.collection = nativeOf(model);
    this.committer = new GroupCommitter<LogEntry>(insertManyWriter(this.collection), options, entrySize);
  }

  /**
   * The entries after position `afterN`, in order, up to the first missing
   * one. Reads in growing windows of point lookups issued together.
   */
  async readAfter(attemptId: string, afterN: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    let next = afterN + 1;
    // A fresh attempt has no entries: one read says so. Longer tails are read 4, 16, 32 at a time.
    let window = 1;
    for (;;) {
      const ids = Array.from({ length: window }, (_, i) => logEntryId(attemptId, next + i));
      const found = await Promise.all(ids.map((_id) => this.collection.findOne({ _id })));
      for (const entry of found) {
        if (!entry) return out;
        out.push(entry);
        next++;
      }
      window = Math.min(window * 4, 32);
    }
  }

  /** One entry by position, or null. */
  async at(attemptId: string, n: number): Promise<LogEntry | null> {
    return this.collection.findOne({ _id: logEntryId(attemptId, n) });
  }

  /** Appends a ready entry through the group commit. */
  async append(entry: LogEntry): Promise<CommitOutcome> {
    const result = await this.committer.commit(() => entry);
    return result?.outcome ?? 'failed';
  }

  drain(): Promise<void> {
    return this.committer.drain();
  }
}
