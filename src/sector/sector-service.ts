/**
 * The push of graded results into the sector database (docs/architecture.md,
 * "Data flow"). Every write is a version-guarded upsert keyed by the attempt id, so
 * a retried, duplicated or late push never adds a second record and never
 * replaces a newer version with an older one. The push state of each result
 * version is kept in the main database (sector_marks), where it can be counted.
 */
import mongoose, { type Connection } from 'mongoose';
import type { ExamModel } from '../exams/exam-model.js';
import { pushItemOf } from '../grading/grading-service.js';
import type { Result, ResultModel } from '../grading/result-model.js';
import { UPDATE_CHUNK, insertNew, nativeOf, readByIds, writeErrorsOf } from '../infra/store.js';
import type { SectorPushItem } from '../queues/queues.js';
import { markLevels, marksOf, pushState, type MarkLevel, type SectorMark, type SectorMarkModel } from '../grading/mark-model.js';
import { SECTOR_SOURCE, createSectorModel, type SectorModel, type SectorRecord } from './sector-model.js';
import type { SectorSync } from '../contracts/results.js';

/** The sector database did not answer; the push is retried later. */
export class SectorUnavailable extends Error {
  override name = 'SectorUnavailable';
}

export interface SectorStoreOptions {
  /** How long one operation waits for the server before failing, in ms. @defaultValue 5000 */
  serverSelectionTimeoutMS?: number;
}

/**
 * A lazily opened connection to the sector database. Nothing waits for it at
 * start-up: a worker starts while the sector database is down, and each push
 * tries to connect again until it answers.
 */
export class SectorStore {
  private conn: Connection | null = null;
  private model: SectorModel | null = null;
  private connecting: Promise<SectorModel> | null = null;
  private closed = false;

  constructor(
    private readonly uri: string,
    private readonly options: SectorStoreOptions = {},
  ) {}

  /** The exam_results model, connecting first when needed; throws SectorUnavailable when the server does not answer. */
  async records(): Promise<SectorModel> {
    if (this.closed) throw new SectorUnavailable('The sector store is closed');
    if (this.model) return this.model;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<SectorModel> {
    const conn = mongoose.createConnection(this.uri, {
      serverSelectionTimeoutMS: this.options.serverSelectionTimeoutMS ?? 5000,
      autoIndex: false,
      autoCreate: false,
      // Fail at once while the server is away instead of queueing commands in memory.
      bufferCommands: false,
      maxPoolSize: 20,
    });
    // The driver reports lost connections here as well as through the failing operation.
    conn.on('error', () => {});
    try {
      await conn.asPromise();
      const model = createSectorModel(conn);
      await model.createIndexes();
      if (this.closed) throw new SectorUnavailable('The sector store was closed while connecting');
      this.conn = conn;
      this.model = model;
      return model;
    } catch (err) {
      await conn.close().catch(() => {});
      if (err instanceof SectorUnavailable) throw err;
      throw new SectorUnavailable(`Sector database unreachable: ${messageOf(err)}`);
    }
  }

  /**
   * Writes the records, each only over an older version (or none). A record
   * whose stored version is the same or newer is left alone and counted in
   * `alreadyNewer`; that includes losing an upsert race to another pusher.
   *
   * New records go in with one insert (the common case, and the cheap one on
   * FerretDB); those already present take the version-guarded upsert
   * `{_id, version: {$lt: v}}`, where a duplicate key means "already newer".
   */
  async upsert(records: readonly SectorRecord[]): Promise<{ written: number; alreadyNewer: number }> {
    if (records.length === 0) return { written: 0, alreadyNewer: 0 };
    const model = await this.records();
    const collection = nativeOf<SectorRecord>(model);
    try {
      const present = await insertNew(collection, records);
      let written = records.length - present.size;
      let alreadyNewer = 0;
      const again = records.filter((r) => present.has(r._id));
      for (let i = 0; i < again.length; i += UPDATE_CHUNK) {
        const chunk = again.slice(i, i + UPDATE_CHUNK);
        const ops = chunk.map(({ _id, ...fields }) => ({
          updateOne: { filter: { _id, version: { $lt: fields.version } }, update: { $set: fields }, upsert: true },
        }));
        try {
          const res = await collection.bulkWrite(ops, { ordered: false });
          written += res.upsertedCount + res.modifiedCount;
          alreadyNewer += chunk.length - res.upsertedCount - res.modifiedCount;
        } catch (err) {
          const errors = writeErrorsOf(err);
          if (!errors || errors.some((e) => e.code !== 11000)) throw err;
          // FerretDB may stop an unordered batch at its first error, so the chunk is done again one
          // statement at a time; statements that already ran now meet their own version ("already newer").
          for (const op of ops) {
            try {
              const res = await collection.updateOne(op.updateOne.filter, op.updateOne.update, { upsert: true });
              if (res.upsertedCount + res.modifiedCount > 0) written += 1;
              else alreadyNewer += 1;
            } catch (one) {
              if (writeErrorsOf(one)?.every((e) => e.code === 11000)) alreadyNewer += 1;
              else throw one;
            }
          }
        }
      }
      return { written, alreadyNewer };
    } catch (err) {
      if (isNetworkError(err)) throw new SectorUnavailable(`Sector database unreachable: ${messageOf(err)}`);
      throw err;
    }
  }

  /** For tests and tools: the stored record of an attempt. */
  async find(attemptId: string): Promise<SectorRecord | null> {
    return (await this.records()).findById(attemptId).lean<SectorRecord>();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => {});
    const conn = this.conn;
    this.conn = null;
    this.model = null;
    await conn?.close();
  }
}

function isNetworkError(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return typeof name === 'string' && /MongoServerSelectionError|MongoNetwork|MongoNotConnected|MongoTopologyClosed|PoolClosed/.test(name);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type { SectorSync };

export interface SectorPushDeps {
  Result: ResultModel;
  SectorMark: SectorMarkModel;
  Exam: ExamModel;
  /** Where records go; only `upsert` is used. */
  store: Pick<SectorStore, 'upsert'>;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

type ExamFacts = { _id: string; title: string; subject: string; grade: number };

/** The sector record of a result: exactly the fields of SectorResult (sector-model.ts). */
export function sectorRecord(result: SectorPushItem, exam: ExamFacts): SectorRecord {
  return {
    _id: result._id,
    studentId: result.studentId ?? null,
    schoolOrgId: result.schoolOrgId,
    orgPath: result.orgPath,
    examId: result.examId,
    examTitle: exam.title,
    subject: exam.subject,
    grade: exam.grade,
    formCode: result.formCode,
    score: result.score,
    maxScore: result.maxScore,
    score10: result.score10,
    status: result.status,
    gradedAt: new Date(result.gradedAt),
    version: result.version,
    source: SECTOR_SOURCE,
  };
}

export interface PushOutcome {
  /** Records written (new, or newer than the stored one). */
  written: number;
  /** Records the sector database already held at this version or newer. */
  alreadyNewer: number;
  /** Attempt ids without a result (nothing to push). */
  missing: string[];
  timings: { readMs: number; sectorMs: number; markMs: number };
}

/** Reads results from the main database and pushes them; the sector job's domain logic. */
export class SectorPushService {
  private readonly now: () => Date;

  constructor(private readonly deps: SectorPushDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Pushes the results of these attempts: the copies given (what grading just
   * stored) or, without them, what the main database holds now.
   */
  async push(attemptIds: readonly string[], given?: readonly SectorPushItem[], givenExams?: readonly ExamFacts[]): Promise<PushOutcome> {
    const t0 = performance.now();
    const ids = [...new Set(attemptIds)];
    const items = new Map((given ?? []).map((r) => [r._id, r]));
    const unknown = ids.filter((id) => !items.has(id));
    if (unknown.length) {
      const stored = await readByIds(nativeOf<Result>(this.deps.Result), unknown, { perItem: 0, manualGrades: 0 });
      for (const r of stored.values()) items.set(r._id, pushItemOf(r));
    }
    const exams = new Map((givenExams ?? []).map((e) => [e._id, e]));
    const unread = [...new Set([...items.values()].map((r) => r.examId))].filter((id) => !exams.has(id));
    for (const [id, e] of await readByIds(nativeOf<ExamFacts>(this.deps.Exam), unread, { title: 1, subject: 1, grade: 1 })) exams.set(id, e);
    const missing: string[] = [];
    const records: SectorRecord[] = [];
    for (const id of ids) {
      const r = items.get(id);
      const exam = r ? exams.get(r.examId) : undefined;
      // A result whose exam is gone has nothing to describe it with; it stays unpushed.
      if (r && exam) records.push(sectorRecord(r, exam));
      else missing.push(id);
    }
    const t1 = performance.now();
    const { written, alreadyNewer } = await this.deps.store.upsert(records);
    const t2 = performance.now();
    // One mark document for the whole push (not one per record): see mark-model.ts.
    if (records.length) await insertNew(nativeOf<SectorMark>(this.deps.SectorMark), marksOf('pushed', records, this.now()));
    return { written, alreadyNewer, missing, timings: { readMs: t1 - t0, sectorMs: t2 - t1, markMs: performance.now() - t2 } };
  }

  /** After the last retry: these versions are counted as failed in sector-sync, with the reason. */
  async markFailed(attemptIds: readonly string[], given: readonly SectorPushItem[] | undefined, reason: string): Promise<void> {
    const items = new Map((given ?? []).map((r) => [r._id, { examId: r.examId, version: r.version }]));
    const unknown = attemptIds.filter((id) => !items.has(id));
    if (unknown.length) {
      for (const r of (await readByIds(nativeOf<Result>(this.deps.Result), unknown, { examId: 1, version: 1 })).values()) items.set(r._id, { examId: r.examId, version: r.version });
    }
    if (items.size === 0) return;
    const failed = [...items].map(([attemptId, r]) => ({ _id: attemptId, examId: r.examId, version: r.version }));
    await insertNew(nativeOf<SectorMark>(this.deps.SectorMark), marksOf('failed', failed, this.now(), reason.slice(0, 500)));
  }

  /**
   * Push state of every graded attempt of the exam, from the marks alone (one
   * read of small documents; the API answers while the sector database is down).
   */
  async states(examId: string): Promise<Map<string, 'pushed' | 'pending' | 'failed'>> {
    const out = new Map<string, 'pushed' | 'pending' | 'failed'>();
    for (const [attemptId, level] of await this.levels(examId)) {
      const state = pushState(level);
      if (state) out.set(attemptId, state);
    }
    return out;
  }

  /** The highest graded, pushed and failed version of every marked attempt of the exam. */
  levels(examId: string): Promise<Map<string, MarkLevel>> {
    return markLevels(this.deps.SectorMark, examId);
  }

  async counts(examId: string): Promise<SectorSync> {
    const counts: SectorSync = { pushed: 0, pending: 0, failed: 0 };
    for (const state of (await this.states(examId)).values()) counts[state] += 1;
    return counts;
  }
}
