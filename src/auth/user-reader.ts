import type { User, UserModel } from '../users/user-model.js';

export interface UserReaderOptions {
  /** Reads of single users in flight before further ids wait for a batched read. @defaultValue 8 */
  parallel?: number;
  /** Largest number of ids in one batched read. @defaultValue 5000 */
  maxBatch?: number;
}

interface Waiter {
  resolve: (user: User | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Reads users by id for token checks, batching under load. On MongoDB a read
 * by `_id` is an index lookup; on FerretDB 1.24 (SQLite) each one costs a
 * scan of the users table (~20 ms with 5,000 users on the test machine),
 * while one `$in` read costs one scan whatever the number of ids. A join
 * storm makes thousands of token checks within a second, so: while fewer than
 * `parallel` reads are in flight an id is read on its own (no added latency);
 * beyond that, ids wait and go together in one `$in` read (one at a time).
 */
export class UserReader {
  private readonly parallel: number;
  private readonly maxBatch: number;
  private readonly waiting = new Map<string, Waiter[]>();
  private singles = 0;
  private batching = false;
  /** Batched reads done, and the ids they carried (tests, metrics). */
  readonly stats = { batches: 0, batchedIds: 0, singles: 0 };

  constructor(
    private readonly User: UserModel,
    options: UserReaderOptions = {},
  ) {
    this.parallel = options.parallel ?? 8;
    this.maxBatch = options.maxBatch ?? 5000;
  }

  read(id: string): Promise<User | null> {
    if (this.singles < this.parallel && this.waiting.size === 0) {
      this.singles++;
      this.stats.singles++;
      return Promise.resolve(this.User.findById(id).lean<User>().exec()).finally(() => {
        this.singles--;
        this.pump();
      });
    }
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(id);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      this.pump();
    });
  }

  private pump(): void {
    if (this.batching || this.waiting.size === 0) return;
    // A lone waiting id is read on its own once a slot is free.
    if (this.waiting.size === 1 && this.singles >= this.parallel) return;
    const ids = [...this.waiting.keys()].slice(0, this.maxBatch);
    const waiters = ids.map((id) => {
      const w = this.waiting.get(id)!;
      this.waiting.delete(id);
      return w;
    });
    this.batching = true;
    this.stats.batches++;
    this.stats.batchedIds += ids.length;
    const read = ids.length === 1 ? this.User.findById(ids[0]).lean<User>().exec().then((u) => (u ? [u] : [])) : this.User.find({ _id: { $in: ids } }).lean<User[]>().exec();
    read.then(
      (users) => {
        const byId = new Map(users.map((u) => [u._id, u]));
        ids.forEach((id, i) => waiters[i]!.forEach((w) => w.resolve(byId.get(id) ?? null)));
      },
      (err: unknown) => waiters.forEach((list) => list.forEach((w) => w.reject(err))),
    ).finally(() => {
      this.batching = false;
      this.pump();
    });
  }
}
