import type { FormDelivery } from '../exams/candidate-form.js';
import type { Exam, ExamModel } from '../exams/exam-model.js';
import type { ExamService } from '../exams/exam-service.js';
import type { LiveExam, LiveExamSource } from './live-service.js';

export interface ExamSourceOptions {
  /** How long an exam read is reused, in ms (a join storm reads the same exam thousands of times). @defaultValue 2000 */
  examTtlMs?: number;
  /** Forms and exams kept per process. @defaultValue 256 */
  maxEntries?: number;
}

/** A small map that forgets its oldest entry when full. */
class Bounded<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: string, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}

/**
 * The live path's view of exams and forms, on top of the exams module
 * (`app.exams`). Exams are cached for a couple of seconds with one read in
 * flight per exam; forms of published exams never change, so they are kept.
 */
export function examSource(deps: { exams: ExamService; Exam: ExamModel }, options: ExamSourceOptions = {}): LiveExamSource {
  const ttl = options.examTtlMs ?? 2000;
  const max = options.maxEntries ?? 256;
  const examCache = new Bounded<{ at: number; value: Promise<LiveExam | null> }>(max);
  const deliveryCache = new Bounded<Promise<FormDelivery>>(max);

  const readExam = async (examId: string): Promise<LiveExam | null> => {
    const exam = await deps.exams.byId(examId);
    if (!exam) return null;
    // Frozen, so form assignment can remember the roster's fingerprint instead of hashing it on every join.
    Object.freeze(exam.candidateIds);
    return { exam, candidates: new Set(exam.candidateIds) };
  };

  return {
    exam(examId) {
      const hit = examCache.get(examId);
      if (hit && performance.now() - hit.at < ttl) return hit.value;
      const value = readExam(examId);
      examCache.set(examId, { at: performance.now(), value });
      value.catch(() => examCache.delete(examId));
      return value;
    },

    async publishedFor(candidateId) {
      return deps.Exam.find({ candidateIds: candidateId, status: 'published' }, { candidateIds: 0 }).lean<Exam[]>();
    },

    formCodeFor(exam, candidateId) {
      return deps.exams.formCodeFor(exam, candidateId);
    },

    delivery(exam, formCode): Promise<FormDelivery> {
      // One build per form and process, even when a join storm asks for it a thousand times at once.
      const key = `${exam._id}:${exam.assemblyId}:${formCode}`;
      let value = deliveryCache.get(key);
      if (!value) {
        value = deps.exams.delivery(exam, formCode);
        if (exam.status === 'published') {
          deliveryCache.set(key, value);
          value.catch(() => deliveryCache.delete(key));
        }
      }
      return value;
    },
  };
}

/** For processes that never serve a join (workers): exams by id, nothing else. */
export function modelExamSource(Exam: ExamModel): LiveExamSource {
  const unsupported = (): never => {
    throw new Error('forms are not available in this process');
  };
  return {
    async exam(examId) {
      const exam = await Exam.findById(examId).lean<Exam>();
      return exam ? { exam, candidates: new Set(exam.candidateIds) } : null;
    },
    async publishedFor() {
      return [];
    },
    formCodeFor: unsupported,
    delivery: unsupported,
  };
}
