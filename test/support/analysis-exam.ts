/**
 * A published exam with graded attempts for the analysis tests. The exam,
 * its forms and the approved items are made through the public API
 * (exam-fixture.ts); the sittings are simulated — abilities and item
 * difficulties from a seeded Rasch-like model — and stored as submitted
 * attempts and graded results through the real models, as the live exam and
 * grading would leave them.
 *
 * Item types: single_choice (key A; the first one is miskeyed in practice:
 * strong candidates pick B), multiple_choice (key A+C, partial credit),
 * true_false (key true) and numeric; `perSection` of each, on two forms.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import seedrandom from 'seedrandom';
import type { AnalysisItem, AttemptScores, ChoiceResponse } from '../../src/analysis/index.js';
import { ExamAnalyzer } from '../../src/analysis/index.js';
import type { ItemRevision } from '../../src/bank/item-types.js';
import type { Exam, Form } from '../../src/exams/exam-model.js';
import { formId, pinKey } from '../../src/exams/exam-service.js';
import type { PerItemResult, Result, ResultModel } from '../../src/grading/result-model.js';
import { attemptIdFor, emptyCheckpoint, type Attempt } from '../../src/attempts/attempt-model.js';
import { publishedExam, type PublishedExam } from './exam-fixture.js';

export interface SimulatedAttempt {
  attemptId: string;
  formCode: string;
  perItem: PerItemResult[];
  answers: Record<string, unknown>;
}

export interface GradedExam {
  fx: PublishedExam;
  exam: Exam;
  forms: Form[];
  revisions: Map<string, ItemRevision>;
  Result: ResultModel;
  attempts: SimulatedAttempt[];
  /** The single_choice item strong candidates answer B on. */
  miskeyedItemId: string;
}

export interface GradedExamOptions {
  /** Graded attempts. @defaultValue 40 */
  candidates?: number;
  /** Items of each type. @defaultValue 2 */
  perSection?: number;
  /** Extra results waiting for an essay grade (excluded from the analysis). @defaultValue 0 */
  pendingManual?: number;
  /** @defaultValue 'analysis' */
  seed?: string;
}

export async function gradedExam(app: FastifyInstance, options: GradedExamOptions = {}): Promise<GradedExam> {
  const fx = await publishedExam(app, {
    types: ['single_choice', 'multiple_choice', 'true_false', 'numeric'],
    perSection: options.perSection ?? 2,
    formCount: 2,
    candidates: 1,
    prefix: 'an',
  });
  const exam = (await app.models.Exam.findById(fx.examId).lean<Exam>())!;
  const forms = (await Promise.all(exam.formCodes.map((code) => app.models.Form.findById(formId(exam._id, exam.assemblyId!, code)).lean<Form>()))).filter(
    (f): f is Form => f !== null,
  );
  const pins = forms[0]!.items.map((p) => ({ itemId: p.itemId, revision: p.revision }));
  const revisions = new Map((await app.bank.pools.revisions(pins)).map((r) => [pinKey(r.itemId, r.revision), r]));
  const rng = seedrandom(options.seed ?? 'analysis');
  const difficulty = new Map(pins.map((p, i) => [p.itemId, -1.5 + (3 * i) / Math.max(1, pins.length - 1)]));
  const miskeyed = [...revisions.values()].filter((r) => r.type === 'single_choice').map((r) => r.itemId).sort()[0]!;

  const attempts: SimulatedAttempt[] = [];
  const n = options.candidates ?? 40;
  for (let c = 0; c < n; c++) {
    const theta = (rng() + rng() + rng() - 1.5) * 2.5;
    const form = forms[c % forms.length]!;
    const answers: Record<string, unknown> = {};
    const perItem: PerItemResult[] = form.items.map((pin) => {
      const item = revisions.get(pinKey(pin.itemId, pin.revision))!;
      const knows = rng() < 1 / (1 + Math.exp(-(theta - difficulty.get(pin.itemId)!)));
      let share = knows ? 1 : 0;
      switch (item.type) {
        case 'single_choice': {
          if (pin.itemId === miskeyed) {
            const pick = theta > 0.3 ? 'B' : 'ABCD'[Math.floor(rng() * 4)]!;
            answers[pin.itemId] = pick;
            share = pick === 'A' ? 1 : 0;
          } else if (!knows && rng() < 0.15) {
            share = 0; // omitted
          } else {
            answers[pin.itemId] = knows ? 'A' : 'BCD'[Math.floor(rng() * 3)]!;
          }
          break;
        }
        case 'multiple_choice': {
          const picks = knows ? ['A', 'C'] : ['A', 'B', 'C'].filter(() => rng() < 0.5);
          if (picks.length) answers[pin.itemId] = picks;
          const right = picks.filter((p) => p === 'A' || p === 'C').length;
          share = Math.max(0, (right - (picks.length - right)) / 2);
          break;
        }
        case 'true_false':
          answers[pin.itemId] = knows;
          break;
        default:
          answers[pin.itemId] = knows ? '-1.5' : '2';
      }
      return { itemId: pin.itemId, revision: pin.revision, points: share * pin.points, maxPoints: pin.points, status: 'scored' };
    });
    attempts.push({ attemptId: attemptIdFor(exam._id, `sim-${c}`), formCode: form.code, perItem, answers });
  }

  const Result = app.models.Result;
  const now = new Date();
  const attemptDocs: Attempt[] = attempts.map((a, c) => ({
    _id: a.attemptId,
    examId: exam._id,
    candidateId: `sim-${c}`,
    orgPath: exam.orgPath,
    formCode: a.formCode,
    status: 'submitted',
    startedAt: now,
    durationMinutes: exam.durationMinutes,
    closesAt: exam.closesAt,
    endsAt: now,
    extraMinutes: 0,
    cp: emptyCheckpoint(),
    answers: a.answers,
    flags: [],
    lastSeq: 0,
    eventCounts: {},
    submittedAt: now,
    submitReason: 'candidate',
    createdAt: now,
  }));
  await app.models.Attempt.insertMany(attemptDocs);
  const resultDocs = attempts.map((a, c) => resultDoc(exam, `sim-${c}`, a.attemptId, a.formCode, a.perItem, now));
  for (let p = 0; p < (options.pendingManual ?? 0); p++) {
    const form = forms[0]!;
    const perItem: PerItemResult[] = form.items.map((pin) => ({ itemId: pin.itemId, revision: pin.revision, points: 0, maxPoints: pin.points, status: 'pending' }));
    resultDocs.push({ ...resultDoc(exam, `pending-${p}`, attemptIdFor(exam._id, `pending-${p}`), form.code, perItem, now), status: 'pending_manual' });
  }
  await Result.insertMany(resultDocs);
  return { fx, exam, forms, revisions, Result, attempts, miskeyedItemId: miskeyed };
}

function resultDoc(exam: Exam, candidateId: string, attemptId: string, formCode: string, perItem: PerItemResult[], at: Date): Result {
  const score = Math.round(perItem.reduce((s, p) => s + p.points, 0) * 100) / 100;
  const maxScore = perItem.reduce((s, p) => s + p.maxPoints, 0);
  return {
    _id: attemptId,
    examId: exam._id,
    candidateId,
    studentId: null,
    schoolOrgId: exam.ownerOrgId,
    orgPath: exam.orgPath,
    formCode,
    perItem,
    manualGrades: [],
    score,
    maxScore,
    score10: Math.round((score / maxScore) * 1000) / 100,
    status: 'graded',
    gradedAt: at,
    version: 1,
  };
}

/**
 * What ExamAnalyzer computes from the simulated attempts, with the items in
 * the given order: the expectation the HTTP answers are held to.
 */
export function expectedAnalysis(g: Pick<GradedExam, 'revisions' | 'attempts'>, order: { itemId: string; revision: number; maxPoints: number }[]) {
  const items: AnalysisItem[] = order.map(({ itemId, revision, maxPoints }) => {
    const r = g.revisions.get(pinKey(itemId, revision))!;
    if (r.type === 'single_choice' || r.type === 'multiple_choice') return { itemId, revision, maxPoints, options: r.options.map((o) => o.id), key: r.correct };
    if (r.type === 'true_false') return { itemId, revision, maxPoints, options: ['true', 'false'], key: [String(r.value)] };
    return { itemId, revision, maxPoints };
  });
  const analyzer = new ExamAnalyzer(items);
  for (const a of g.attempts) {
    const row: AttemptScores = { itemScores: items.map(() => null), choices: items.map((): ChoiceResponse => null) };
    for (const p of a.perItem) {
      const i = analyzer.itemIndex(p.itemId, p.revision);
      (row.itemScores as (number | null)[])[i] = p.points;
      const r = a.answers[p.itemId];
      (row.choices as ChoiceResponse[])[i] = typeof r === 'boolean' ? String(r) : typeof r === 'string' || Array.isArray(r) ? (r as ChoiceResponse) : null;
    }
    // Numeric answers are strings too, but the item has no options: the analyzer ignores them.
    analyzer.add(row);
  }
  return analyzer.result();
}

/** Asserts the status, putting the body in the message only when it is not the expected one. */
export function status(t: Test, res: LightMyRequestResponse, code: number): void {
  t.equal(res.statusCode, code, res.statusCode === code ? `status ${code}` : res.body.slice(0, 1000));
}
