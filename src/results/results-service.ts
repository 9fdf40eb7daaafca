/**
 * Results as people read them: an exam's results for its managers (JSON or
 * CSV), and a candidate's own result when the exam's `showResults` allows.
 * Read-only; grading writes results (src/grading).
 */
import { Forbidden, NotFound } from '../errors.js';
import type { Exam, ExamModel } from '../exams/exam-model.js';
import { csvRow } from '../text/export-cells.js';
import type { Result, ResultModel, ResultStatus } from '../grading/result-model.js';
import { roundScore } from '../grading/scoring.js';
import { nativeOf, readByIds } from '../infra/store.js';
import type { AttemptModel } from '../attempts/attempt-model.js';
import type { UserModel } from '../users/user-model.js';
import { ScoreChanges, type ScoreChangeModel } from '../grading/score-changes.js';
import type { ResultRow } from '../contracts/results.js';
import type { BankReader, ItemRevision } from '../bank/item-types.js';

/** One row of GET /api/exams/:id/results. */
export type { ResultRow };

/** GET /api/attempts/:id/result: points per item, never the key. */
export interface AttemptResultView {
  attemptId: string;
  examId: string;
  examTitle: string;
  candidateId: string;
  studentId: string | null;
  formCode: string;
  score: number;
  maxScore: number;
  score10: number;
  status: ResultStatus;
  gradedAt: string;
  version: number;
  /** Adaptive exams: θ, SE, the operational items answered and the stopping rule that ended the test. */
  adaptive?: { theta: number; se: number; length: number; stop: string | null };
  /**
   * Absent for the candidate until the exam closes: per-item right and wrong
   * is the key in small pieces, and others may still be sitting.
   */
  perItem?: { number: number; itemId: string; points: number; maxPoints: number; status: 'scored' | 'pending'; comment?: string; pretest?: boolean; feedback?: ItemResultFeedback }[];
  /** Set when `perItem` is held back: when the exam closes and it is shown. */
  perItemFrom?: string;
  /** True when a regrade or a manual grade changed the score after it was released. */
  scoreChanged: boolean;
  /** Each such change, oldest first. */
  scoreChanges: { at: string; cause: 'regrade' | 'manual_grade'; before: { score: number; score10: number }; after: { score: number; score10: number } }[];
}

/**
 * An item's feedback as a result shows it (src/contracts/items.ts
 * ItemFeedback): `outcome` is the correct, partial or incorrect text that
 * fits the points got; `options` the feedback of the options picked, by
 * their text (a candidate knows options by their text, not by ids).
 */
export interface ItemResultFeedback {
  general?: string;
  outcome?: string;
  options?: { text: string; feedback: string }[];
  hints?: string[];
}

/** The feedback one scored item shows, or undefined when it has none. */
export function resultFeedback(item: ItemRevision, response: unknown, points: number, maxPoints: number, status: 'scored' | 'pending'): ItemResultFeedback | undefined {
  const out: ItemResultFeedback = {};
  if (item.feedback?.general) out.general = item.feedback.general;
  if (status === 'scored') {
    const outcome = points >= maxPoints ? item.feedback?.correct : points > 0 ? item.feedback?.partial : item.feedback?.incorrect;
    if (outcome) out.outcome = outcome;
  }
  if (item.type === 'single_choice' || item.type === 'multiple_choice') {
    const picked = new Set(Array.isArray(response) ? response.map(String) : typeof response === 'string' ? [response] : []);
    const options = item.options.filter((o) => picked.has(o.id) && o.feedback).map((o) => ({ text: o.text, feedback: o.feedback! }));
    if (options.length) out.options = options;
  }
  if (item.hints?.length) out.hints = item.hints;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Why a candidate gets 403 for their own result (`error.details[0].reason`):
 * `not_shown` — the exam's showResults is `never`; `after_close` — shown once
 * the exam closes (`availableAt`); `not_graded` — grading has not finished
 * yet; `pending_manual` — waiting for a teacher to mark an essay.
 */
export type ResultRefusal = 'not_shown' | 'after_close' | 'not_graded' | 'pending_manual';

export interface ResultsDeps {
  Result: ResultModel;
  User: UserModel;
  Attempt: AttemptModel;
  Exam: ExamModel;
  /** Changes of released scores (src/grading/score-changes.ts). */
  ScoreChange: ScoreChangeModel;
  /** The pinned revisions, for their feedback. */
  bank: Pick<BankReader, 'revisions'>;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

type ResultHead = Omit<Result, 'perItem' | 'manualGrades'>;

const collator = new Intl.Collator('vi', { sensitivity: 'base', numeric: true });

export class ResultsService {
  private readonly now: () => Date;
  private readonly scoreChanges: ScoreChanges;

  constructor(private readonly deps: ResultsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.scoreChanges = new ScoreChanges(deps.ScoreChange);
  }

  /** Every result of the exam with the candidate's name, by student id then name (Vietnamese collation). */
  async examResults(exam: Pick<Exam, '_id'>): Promise<ResultRow[]> {
    const results = await this.deps.Result.find({ examId: exam._id }, { perItem: 0, manualGrades: 0 }).lean<ResultHead[]>();
    const users = await readByIds(nativeOf<{ _id: string; displayName: string; studentId?: string }>(this.deps.User), results.map((r) => r.candidateId), { displayName: 1, studentId: 1 });
    const rows = results.map((r) => ({
      candidateId: r.candidateId,
      studentId: r.studentId ?? users.get(r.candidateId)?.studentId ?? null,
      displayName: users.get(r.candidateId)?.displayName ?? '',
      attemptId: r._id,
      formCode: r.formCode,
      score: r.score,
      maxScore: r.maxScore,
      score10: r.score10,
      status: r.status,
      gradedAt: new Date(r.gradedAt).toISOString(),
      version: r.version,
      ...(r.adaptive ? { theta: r.adaptive.theta, se: r.adaptive.se } : {}),
    }));
    return rows.sort((a, b) => collator.compare(a.studentId ?? '', b.studentId ?? '') || collator.compare(a.displayName, b.displayName) || (a.attemptId < b.attemptId ? -1 : 1));
  }

  /**
   * The attempt's result for its candidate, as `showResults` allows:
   * `never` — never; `after_submit` — once graded, the total only until the
   * exam closes, then with points per item; `after_close` — once graded and
   * the exam has closed. Staff (`staff: true`, checked by the caller) always,
   * in full.
   */
  async attemptResult(attemptId: string, viewer: { id: string; staff: (exam: Exam) => Promise<boolean> }): Promise<AttemptResultView> {
    const attempt = await nativeOf<{ _id: string; examId: string; candidateId: string }>(this.deps.Attempt).findOne({ _id: attemptId }, { projection: { examId: 1, candidateId: 1 } });
    if (!attempt) throw new NotFound('Attempt');
    const exam = await this.deps.Exam.findById(attempt.examId, { candidateIds: 0 }).lean<Exam>();
    if (!exam) throw new NotFound('Attempt');
    const own = attempt.candidateId === viewer.id;
    // The staff check throws 403/404 for callers with no business here.
    if (!own && !(await viewer.staff(exam))) throw new NotFound('Attempt');
    const result = await nativeOf<Result>(this.deps.Result).findOne({ _id: attemptId });
    if (own) {
      // details[0].reason tells the candidate's client what to show instead of a score (see ResultRefusal).
      if (exam.showResults === 'never') throw new Forbidden('The results of this exam are not shown to candidates', [{ reason: 'not_shown' }]);
      if (exam.showResults === 'after_close' && this.now().getTime() < new Date(exam.closesAt).getTime()) {
        const availableAt = new Date(exam.closesAt).toISOString();
        throw new Forbidden(`Results are shown after the exam closes (${availableAt})`, [{ reason: 'after_close', availableAt }]);
      }
      if (result?.status !== 'graded') {
        const reason: ResultRefusal = result?.status === 'pending_manual' ? 'pending_manual' : 'not_graded';
        throw new Forbidden('The result is not ready yet: the attempt is not fully graded', [{ reason }]);
      }
    } else if (!result) {
      throw new NotFound('Result');
    }
    const changes = await this.scoreChanges.forAttempt(attemptId, result.version);
    const closesAt = new Date(exam.closesAt);
    const detail = !own || this.now().getTime() >= closesAt.getTime();
    // Feedback tells the key: never before the per-item detail, and not at all to a candidate when the exam says never.
    const feedback = detail && (!own || exam.showFeedback !== 'never') ? await this.feedbackOf(attemptId, result.perItem) : undefined;
    return {
      attemptId,
      examId: exam._id,
      examTitle: exam.title,
      candidateId: result.candidateId,
      studentId: result.studentId ?? null,
      formCode: result.formCode,
      score: result.score,
      maxScore: result.maxScore,
      score10: result.score10,
      status: result.status,
      gradedAt: new Date(result.gradedAt).toISOString(),
      version: result.version,
      ...(result.adaptive ? { adaptive: result.adaptive } : {}),
      ...(detail
        ? {
            perItem: result.perItem
              .map((p, i) => ({
                number: i + 1,
                itemId: p.itemId,
                points: roundScore(p.points),
                maxPoints: roundScore(p.maxPoints),
                status: p.status,
                ...(p.comment ? { comment: p.comment } : {}),
                ...(p.pretest ? { pretest: true } : {}),
                ...(feedback?.[i] ? { feedback: feedback[i] } : {}),
              }))
              // Which items of an adaptive test were unscored pretest items is not told to candidates
              // (it would tell later candidates which positions count for nothing); staff see them marked.
              .filter((row) => !(own && row.pretest))
              .map((row, i) => (own ? { ...row, number: i + 1 } : row)),
          }
        : { perItemFrom: closesAt.toISOString() }),
      scoreChanged: changes.length > 0,
      scoreChanges: changes.map((c) => ({
        at: new Date(c.at).toISOString(),
        cause: c.cause,
        before: { score: c.before.score, score10: c.before.score10 },
        after: { score: c.after.score, score10: c.after.score10 },
      })),
    };
  }

  /** Feedback of each item of a result, from its pinned revision and the attempt's response. */
  private async feedbackOf(attemptId: string, perItem: Result['perItem']): Promise<(ItemResultFeedback | undefined)[]> {
    const revisions = await this.deps.bank.revisions(perItem.map((p) => ({ itemId: p.itemId, revision: p.revision })));
    const byPin = new Map(revisions.map((r) => [`${r.itemId}:${r.revision}`, r]));
    if (!revisions.some((r) => r.feedback || r.hints?.length || ('options' in r && r.options.some((o) => o.feedback)))) return [];
    const attempt = await nativeOf<{ _id: string; answers?: Record<string, unknown> }>(this.deps.Attempt).findOne({ _id: attemptId }, { projection: { answers: 1 } });
    const answers = attempt?.answers ?? {};
    return perItem.map((p) => {
      const item = byPin.get(`${p.itemId}:${p.revision}`);
      return item ? resultFeedback(item, Object.hasOwn(answers, p.itemId) ? answers[p.itemId] : undefined, p.points, p.maxPoints, p.status) : undefined;
    });
  }
}

/** UTF-8 with a BOM, so spreadsheet programs show Vietnamese names as written; CRLF rows (RFC 4180). */
export function resultsCsv(rows: readonly ResultRow[]): string {
  // An adaptive exam's rows carry θ and its SE: two more columns, at the end so fixed-form readers are unaffected.
  const adaptive = rows.some((r) => r.theta !== undefined);
  const header = ['student_id', 'display_name', 'candidate_id', 'attempt_id', 'form_code', 'score', 'max_score', 'score10', 'status', 'graded_at', ...(adaptive ? ['theta', 'se'] : [])];
  const lines = rows.map((r) =>
    csvRow([r.studentId ?? '', r.displayName.normalize('NFC'), r.candidateId, r.attemptId, r.formCode, r.score, r.maxScore, r.score10, r.status, r.gradedAt, ...(adaptive ? [r.theta ?? '', r.se ?? ''] : [])]),
  );
  return `\uFEFF${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
