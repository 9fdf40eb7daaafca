import type { mongo } from 'mongoose';
import type { ExamModel } from '../exams/exam-model.js';
import type { AttemptSource, GradableAttempt } from '../grading/grading-service.js';
import { attemptIdFor, type Attempt, type AttemptModel } from './attempt-model.js';
import { mapLimit, nativeOf } from '../infra/store.js';

/**
 * Attempts as grading reads them. Submitted attempts carry their final
 * `answers` (itemId → response) and `formCode`; an attempt whose hand-in a
 * crash interrupted is finished by its deadline job (AttemptService.autoSubmit).
 *
 * Reads are point reads by `_id` (attempt ids are derived from exam and
 * candidate), the one query FerretDB serves from an index.
 */
export function liveAttemptSource(Attempt: AttemptModel, Exam: ExamModel, concurrency = 16): AttemptSource {
  let attempts: mongo.Collection<Attempt> | null = null;
  const collection = () => (attempts ??= nativeOf<Attempt>(Attempt));
  const read = async (ids: readonly string[]): Promise<GradableAttempt[]> => {
    const docs = await mapLimit([...new Set(ids)], concurrency, (id) =>
      collection().findOne({ _id: id }, { projection: { _id: 1, examId: 1, candidateId: 1, status: 1, formCode: 1, answers: 1 } }),
    );
    return docs.filter((d): d is NonNullable<typeof d> => d !== null).map((d) => ({
      _id: d._id,
      examId: d.examId,
      candidateId: d.candidateId,
      status: d.status,
      formCode: d.formCode,
      answers: d.answers,
    }));
  };
  return {
    byIds: read,
    async submittedIds(examId) {
      const exam = await Exam.findById(examId, { candidateIds: 1 }).lean();
      if (!exam) return [];
      const found = await read(exam.candidateIds.map((c) => attemptIdFor(examId, c)));
      return found.filter((a) => a.status === 'submitted').map((a) => a._id).sort();
    },
  };
}
