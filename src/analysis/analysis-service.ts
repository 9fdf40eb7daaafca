/**
 * Item analysis of a graded exam, wired to the database: streams the exam's
 * graded results (and, for choice items, the options each candidate chose)
 * into an {@link ExamAnalyzer} and caches the report in `analyses`. Reading
 * an analysis never touches the bank: writing each item's figures back onto
 * the bank item (so the next assembly balances forms on measured
 * difficulties) is its own, audited action, {@link AnalysisService.writeBack}.
 * No HTTP in here: the API routes and the `analyse-exam` bulk job share it.
 *
 * Caching rule: the report is stored with a fingerprint of the exam's grades
 * (see {@link GradeFingerprint}). Versions of a result only ever rise and
 * every change of a result bumps its version and its gradedAt, so the
 * fingerprint moves whenever any grade moves, and only then; a request whose
 * fingerprint matches the stored one is answered from the cache.
 *
 * Everything is computed here in TypeScript: FerretDB 1.24 aggregates with
 * `$group`/`$sum` only, which is all the fingerprint needs.
 */
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { BankReader, ItemRevision, ItemStatistics } from '../bank/item-types.js';
import { examKeyReader, examReleasesKeys } from '../bank/key-access.js';
import { textOfSafeHtml } from '../bank/sanitize.js';
import type { Exam, ExamModel, Form, FormModel } from '../exams/exam-model.js';
import { formId, pinKey } from '../exams/exam-service.js';
import type { AttemptSource } from '../grading/grading-service.js';
import { Conflict } from '../errors.js';
import { BULK_JOB_OPTIONS } from '../grading/job-options.js';
import type { Result, ResultModel } from '../grading/result-model.js';
import type { Principal } from '../orgs/access.js';
import type { QueuePayloads } from '../queues/queues.js';
import type { AnalysisReport, ReportItem, WriteBackOutcome, WrittenStatistics } from '../contracts/analysis.js';
import type { AnalysisModel, StoredAnalysis } from './analysis-model.js';
import { AnalysisInputError, ExamAnalyzer } from './index.js';
import type { AnalysisItem, ChoiceResponse, ItemAnalysis } from './types.js';

/** Bump when a change to the analysis changes its numbers or the report's shape: every cached report is recomputed. */
export const ANALYSIS_ALGORITHM = 2;
/** @defaultValue 20000 */
export const DEFAULT_INLINE_LIMIT = 20_000;
/** @defaultValue 20 */
export const DEFAULT_BANK_MIN_RESPONSES = 20;
/** Results per read of the matching attempts (their chosen options). */
const ATTEMPT_BATCH = 500;
/** A job reports progress this often (attempts). */
const PROGRESS_EVERY = 2000;
/** Characters of an item's stem shown to tell items apart in reports. */
const EXCERPT_LENGTH = 120;

/** Item types whose responses name options, and so get option (distractor) statistics. */
type ChoiceKind = 'single' | 'multiple' | 'true_false';

export type { AnalysisReport, ReportItem, WriteBackOutcome, WrittenStatistics } from '../contracts/analysis.js';

/** What the route answers: a report, or the bulk job computing it. */
export type AnalysisAnswer = { state: 'ready'; report: AnalysisReport; cached: boolean } | { state: 'queued'; jobId: string };

/**
 * What the cache is keyed on. Counts and version sums per status catch new,
 * regraded and manually graded results (versions only rise); the newest
 * gradedAt catches a result replaced by another with the same version; the
 * assembly id catches a re-pin of the exam's items.
 */
export interface GradeFingerprint {
  graded: number;
  pendingManual: number;
  gradedVersions: number;
  pendingVersions: number;
  lastGradedAt: string | null;
  assemblyId: string | null;
  /** All of the above in one string. */
  key: string;
}

export interface AnalysisServiceDeps {
  Exam: ExamModel;
  Form: FormModel;
  Result: ResultModel;
  Analysis: AnalysisModel;
  /** Reads submitted attempts (their answers) by id. */
  attempts: Pick<AttemptSource, 'byIds'>;
  /** Pinned revisions (keys, options) and the write-back of statistics. */
  bank: Pick<BankReader, 'revisions'> & { setStatistics(itemId: string, stats: Omit<ItemStatistics, 'updatedAt'>): Promise<boolean> };
  /** Where large exams are analysed; without it every exam is analysed inline. */
  bulk?: Queue<QueuePayloads['bulk']>;
  /** Exams with more graded results than this are analysed by a bulk job. @defaultValue 20000 */
  inlineLimit?: number;
  /** Fewest responses to an item before its figures are written to the bank. @defaultValue 20 */
  bankMinResponses?: number;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

export interface ComputeOptions {
  /** Called every few thousand attempts and at the end. */
  onProgress?: (done: number, total: number) => Promise<void> | void;
}

export class ExamNotFoundForAnalysis extends Error {
  override name = 'ExamNotFoundForAnalysis';
}

interface ExamItem {
  item: AnalysisItem;
  revision: ItemRevision | undefined;
  kind: ChoiceKind | null;
  options: ReadonlySet<string>;
}

type GradedResult = Pick<Result, '_id' | 'perItem'>;

export class AnalysisService {
  private readonly inlineLimit: number;
  private readonly bankMinResponses: number;
  private readonly now: () => Date;
  /** Computations running in this process, so simultaneous requests share one. */
  private readonly running = new Map<string, Promise<AnalysisReport>>();

  constructor(private readonly deps: AnalysisServiceDeps) {
    this.inlineLimit = deps.inlineLimit ?? DEFAULT_INLINE_LIMIT;
    this.bankMinResponses = deps.bankMinResponses ?? DEFAULT_BANK_MIN_RESPONSES;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * The analysis of an exam the caller may read: from the cache when the
   * grades have not changed, computed now for ordinary exams, or queued as a
   * bulk job (202) for exams above the inline limit.
   */
  async answer(exam: Exam, requestedBy: string): Promise<AnalysisAnswer> {
    const fingerprint = await this.fingerprint(exam);
    const cached = await this.cached(exam._id, fingerprint.key);
    // The title is not part of the grades: a renamed exam shows its new name on the cached report.
    if (cached) return { state: 'ready', report: { ...cached, examTitle: exam.title }, cached: true };
    if (this.deps.bulk && fingerprint.graded > this.inlineLimit) {
      return { state: 'queued', jobId: await this.enqueue(exam._id, fingerprint, requestedBy) };
    }
    return { state: 'ready', report: await this.computeShared(exam, fingerprint), cached: false };
  }

  /**
   * The report as an exam manager of the exam may read it (key-access.ts):
   * until the exam is published and open, items whose key the reader may not
   * read in the bank show no keyed option and no flag that points at an option.
   */
  async forReader(report: AnalysisReport, exam: Exam, reader: Principal): Promise<AnalysisReport> {
    if (examReleasesKeys(exam)) return report;
    const readsKey = examKeyReader(reader, exam);
    const revisions = await this.deps.bank.revisions(report.items.map((i) => ({ itemId: i.itemId, revision: i.revision })));
    const withheld = new Set(revisions.filter((r) => !readsKey(r)).map((r) => pinKey(r.itemId, r.revision)));
    if (withheld.size === 0) return report;
    const items = report.items.map((item) => {
      if (!withheld.has(pinKey(item.itemId, item.revision))) return item;
      const options = Object.fromEntries(Object.entries(item.options).map(([id, { key: _key, ...rest }]) => [id, rest]));
      return { ...item, options, flags: item.flags.filter((f) => f.optionId === undefined) };
    });
    return { ...report, items };
  }

  /** The bulk job's work: brings the cached analysis up to date (nothing to do when it is). */
  async refresh(examId: string, options: ComputeOptions = {}): Promise<{ report: AnalysisReport; cached: boolean }> {
    const exam = await this.deps.Exam.findById(examId, { candidateIds: 0 }).lean<Exam>();
    if (!exam) throw new ExamNotFoundForAnalysis(`Exam ${examId} does not exist`);
    const fingerprint = await this.fingerprint(exam);
    const cached = await this.cached(examId, fingerprint.key);
    if (cached) return { report: cached, cached: true };
    return { report: await this.computeShared(exam, fingerprint, options), cached: false };
  }

  /** See {@link GradeFingerprint}: two small server-side passes over the exam's results. */
  async fingerprint(exam: Pick<Exam, '_id' | 'assemblyId'>): Promise<GradeFingerprint> {
    const groups = await this.deps.Result.aggregate<{ _id: string; n: number; versions: number }>([
      { $match: { examId: exam._id } },
      { $group: { _id: '$status', n: { $sum: 1 }, versions: { $sum: '$version' } } },
    ]);
    const last = await this.deps.Result.findOne({ examId: exam._id }, { gradedAt: 1 }).sort({ gradedAt: -1 }).lean<Pick<Result, '_id' | 'gradedAt'>>();
    const of = (status: string) => groups.find((g) => g._id === status) ?? { n: 0, versions: 0 };
    const graded = of('graded');
    const pending = of('pending_manual');
    const lastGradedAt = last ? new Date(last.gradedAt).toISOString() : null;
    const assemblyId = exam.assemblyId ?? null;
    const key = [`a${ANALYSIS_ALGORITHM}`, assemblyId ?? '-', `g${graded.n}/${graded.versions}`, `p${pending.n}/${pending.versions}`, lastGradedAt ?? '-'].join('|');
    return { graded: graded.n, pendingManual: pending.n, gradedVersions: graded.versions, pendingVersions: pending.versions, lastGradedAt, assemblyId, key };
  }

  /** The stored report, when it was computed from grades with this fingerprint. */
  async cached(examId: string, fingerprintKey: string): Promise<AnalysisReport | null> {
    const stored = await this.deps.Analysis.findById(examId).lean<StoredAnalysis>();
    if (!stored || stored.fingerprint !== fingerprintKey) return null;
    return JSON.parse(stored.report) as AnalysisReport;
  }

  /** The bulk job id for these grades: requests during the run find the same job instead of queueing another. */
  static jobId(examId: string, fingerprint: Pick<GradeFingerprint, 'key'>): string {
    return `analyse-${examId}-${createHash('sha256').update(fingerprint.key).digest('hex').slice(0, 16)}`;
  }

  private async enqueue(examId: string, fingerprint: GradeFingerprint, requestedBy: string): Promise<string> {
    const bulk = this.deps.bulk!;
    const jobId = AnalysisService.jobId(examId, fingerprint);
    const existing = await bulk.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return jobId;
      // Finished, yet the cache does not hold its report (it failed, or the cache was cleared): run it again.
      await existing.remove();
    }
    await bulk.add('analyse-exam', { kind: 'analyse-exam', examId, requestedBy }, { ...BULK_JOB_OPTIONS, jobId });
    return jobId;
  }

  private computeShared(exam: Exam, fingerprint: GradeFingerprint, options: ComputeOptions = {}): Promise<AnalysisReport> {
    const key = `${exam._id}\u0000${fingerprint.key}`;
    let pending = this.running.get(key);
    if (!pending) {
      pending = this.compute(exam, fingerprint, options).finally(() => this.running.delete(key));
      this.running.set(key, pending);
    }
    return pending;
  }

  /**
   * Streams the graded results into the analyzer, then stores the report
   * under the fingerprint read before the stream began: grades that change
   * during the stream move the fingerprint, so the next request recomputes
   * rather than trusting this. The cache is written last, so a failure
   * part-way leaves it stale and the next request or job retry does the
   * whole computation again.
   */
  async compute(exam: Exam, fingerprint: GradeFingerprint, options: ComputeOptions = {}): Promise<AnalysisReport> {
    const started = performance.now();
    const examItems = await this.examItems(exam);
    const items = examItems.map((e) => e.item);
    const analyzer = new ExamAnalyzer(items, { expectedAttempts: Math.max(16, fingerprint.graded) });
    const index = new Map(items.map((item, i) => [pinKey(item.itemId, item.revision), i]));
    const choiceItems = examItems.some((e) => e.kind !== null);
    const excluded = { pendingManual: fingerprint.pendingManual, otherRevision: 0, invalid: 0 };

    const K = items.length;
    const scores = new Array<number | null>(K);
    const choices = new Array<ChoiceResponse>(K);
    let done = 0;
    const addBatch = async (batch: GradedResult[]) => {
      const answers = choiceItems ? await this.answersOf(batch.map((r) => r._id)) : new Map<string, Record<string, unknown>>();
      for (const result of batch) {
        scores.fill(null);
        choices.fill(null);
        const attemptAnswers = answers.get(result._id);
        if (result.perItem.length === 0) {
          excluded.invalid++;
          continue;
        }
        let usable = true;
        for (const p of result.perItem) {
          const i = index.get(pinKey(p.itemId, p.revision));
          if (i === undefined) {
            usable = false;
            break;
          }
          const e = examItems[i]!;
          // Points on the exam's scale of the item, should a form have weighted it differently.
          scores[i] = p.maxPoints > 0 && p.maxPoints !== e.item.maxPoints ? (p.points * e.item.maxPoints) / p.maxPoints : p.points;
          if (e.kind && attemptAnswers) choices[i] = chosenOptions(e, attemptAnswers[p.itemId]);
        }
        if (!usable) {
          excluded.otherRevision++;
          continue;
        }
        try {
          analyzer.add({ itemScores: scores, choices });
        } catch (err) {
          if (!(err instanceof AnalysisInputError)) throw err;
          excluded.invalid++;
        }
      }
      const before = done;
      done += batch.length;
      if (options.onProgress && Math.floor(done / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) {
        await options.onProgress(done, fingerprint.graded);
      }
    };

    let batch: GradedResult[] = [];
    const cursor = this.deps.Result.find({ examId: exam._id, status: 'graded' }, { perItem: 1 }).lean<GradedResult[]>().cursor({ batchSize: ATTEMPT_BATCH });
    for await (const result of cursor) {
      batch.push(result as GradedResult);
      if (batch.length === ATTEMPT_BATCH) {
        await addBatch(batch);
        batch = [];
      }
    }
    if (batch.length) await addBatch(batch);
    await options.onProgress?.(done, Math.max(done, fingerprint.graded));

    const analysis = analyzer.result();
    const reportItems: ReportItem[] = analysis.items.map((a, i) => {
      const rev = examItems[i]!.revision;
      return {
        ...a,
        number: i + 1,
        type: rev?.type ?? null,
        topic: rev?.topic ?? null,
        cognitiveLevel: rev?.cognitiveLevel ?? null,
        excerpt: rev ? excerptOf(rev.stem) : '',
      };
    });
    const computedAt = this.now();
    const report: AnalysisReport = {
      examId: exam._id,
      examTitle: exam.title,
      subject: exam.subject,
      grade: exam.grade,
      computedAt: computedAt.toISOString(),
      fingerprint: fingerprint.key,
      excluded,
      bank: { eligible: reportItems.filter((a) => this.statisticsOf(a) !== null).length, minResponses: this.bankMinResponses },
      ...analysis,
      items: reportItems,
    };
    const stored: StoredAnalysis = {
      _id: exam._id,
      fingerprint: fingerprint.key,
      computedAt,
      durationMs: Math.round(performance.now() - started),
      report: JSON.stringify(report),
    };
    await this.deps.Analysis.replaceOne({ _id: exam._id }, stored, { upsert: true });
    return report;
  }

  /**
   * The items of the exam's current forms as the analysis sees them, in the
   * first form's delivery order (then items only the other forms carry),
   * with options and keys of choice items from their pinned revisions.
   */
  private async examItems(exam: Exam): Promise<ExamItem[]> {
    const forms: Form[] = [];
    if (exam.assemblyId) {
      for (const code of [...exam.formCodes].sort()) {
        const form = await this.deps.Form.findById(formId(exam._id, exam.assemblyId, code)).lean<Form>();
        if (form) forms.push(form);
      }
    }
    const pins = new Map<string, { itemId: string; revision: number; points: number }>();
    for (const form of forms) {
      for (const p of form.items) {
        const key = pinKey(p.itemId, p.revision);
        const seen = pins.get(key);
        if (!seen) pins.set(key, { itemId: p.itemId, revision: p.revision, points: p.points });
        else seen.points = Math.max(seen.points, p.points);
      }
    }
    const revisions = new Map((await this.deps.bank.revisions([...pins.values()])).map((r) => [pinKey(r.itemId, r.revision), r]));
    return [...pins.values()].map((pin) => {
      const revision = revisions.get(pinKey(pin.itemId, pin.revision));
      const item: AnalysisItem = { itemId: pin.itemId, revision: pin.revision, maxPoints: pin.points };
      const choice = revision ? choiceShape(revision) : null;
      if (!choice) return { item, revision, kind: null, options: new Set<string>() };
      return { item: { ...item, options: choice.options, key: choice.key }, revision, kind: choice.kind, options: new Set(choice.options) };
    });
  }

  /** Final answers of the attempts behind these results (a result's id is its attempt's id). */
  private async answersOf(attemptIds: string[]): Promise<Map<string, Record<string, unknown>>> {
    const attempts = await this.deps.attempts.byIds(attemptIds);
    const out = new Map<string, Record<string, unknown>>();
    for (const a of attempts) if (a.answers) out.set(a._id, a.answers);
    return out;
  }

  /**
   * The figures written to the bank for one analysed item: classical
   * difficulty, discrimination, point-biserial and Rasch difficulty, or null
   * below `bankMinResponses` responses (too noisy to steer the next assembly).
   */
  private statisticsOf(a: ItemAnalysis): Omit<ItemStatistics, 'updatedAt' | 'examId' | 'examTitle'> | null {
    if (a.n < this.bankMinResponses || a.pValue === null) return null;
    return {
      difficulty: Math.min(1, Math.max(0, a.pValue)),
      n: a.n,
      revision: a.revision,
      ...(a.discrimination === null ? {} : { discrimination: a.discrimination }),
      ...(a.pointBiserial === null ? {} : { pointBiserial: a.pointBiserial }),
      ...(a.rasch ? { raschDifficulty: a.rasch.difficulty, raschSE: a.rasch.se } : {}),
    };
  }

  /**
   * POST /api/exams/:id/analysis/write-back: records the figures of the
   * exam's current analysis on its bank items (not a new revision), each
   * with the exam it came from, for items with enough responses. The caller
   * has checked that the actor manages the exam and records the action in
   * the audit trail. An exam above the inline limit whose analysis is still
   * being computed is `409 analysis_pending` (with the job to follow).
   */
  async writeBack(exam: Exam, requestedBy: string): Promise<WriteBackOutcome> {
    const answer = await this.answer(exam, requestedBy);
    if (answer.state === 'queued') {
      throw new Conflict('analysis_pending', 'The analysis of this exam is still being computed; write its statistics back once it is ready', [{ jobId: answer.jobId }]);
    }
    const { report } = answer;
    const writtenAt = this.now();
    const items: WrittenStatistics[] = [];
    for (const a of report.items) {
      const stats = this.statisticsOf(a);
      if (!stats) continue;
      if (await this.deps.bank.setStatistics(a.itemId, { ...stats, examId: exam._id, examTitle: exam.title })) items.push({ itemId: a.itemId, ...stats });
    }
    return {
      examId: exam._id,
      examTitle: exam.title,
      fingerprint: report.fingerprint,
      writtenAt: writtenAt.toISOString(),
      minResponses: this.bankMinResponses,
      updated: items.length,
      skipped: report.items.length - items.length,
      items,
    };
  }
}

/** Keyed choice shape of an item, or null for types whose responses do not name options. */
function choiceShape(revision: ItemRevision): { kind: ChoiceKind; options: string[]; key: string[] } | null {
  switch (revision.type) {
    case 'single_choice':
      return { kind: 'single', options: revision.options.map((o) => o.id), key: [...revision.correct] };
    case 'multiple_choice':
      return { kind: 'multiple', options: revision.options.map((o) => o.id), key: [...revision.correct] };
    case 'true_false':
      // The two answers are the options; their shares show how candidates split.
      return { kind: 'true_false', options: ['true', 'false'], key: [String(revision.value)] };
    default:
      return null;
  }
}

/** The option ids a response names; ids the item does not have (a stale client) count as no choice. */
function chosenOptions(e: ExamItem, response: unknown): ChoiceResponse {
  switch (e.kind) {
    case 'single':
      return typeof response === 'string' && e.options.has(response) ? response : null;
    case 'multiple': {
      if (!Array.isArray(response)) return null;
      const picked = [...new Set(response.filter((r): r is string => typeof r === 'string' && e.options.has(r)))];
      return picked.length ? picked : null;
    }
    case 'true_false':
      return typeof response === 'boolean' ? String(response) : null;
    default:
      return null;
  }
}

function excerptOf(stem: string): string {
  const text = textOfSafeHtml(stem).replace(/\s+/g, ' ').trim();
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 1)}…` : text;
}
