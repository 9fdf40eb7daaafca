import { standing } from '../assembly/blueprint-service.js';
import { Forbidden, NotFound } from '../errors.js';
import type { Exam, ExamModel } from '../exams/exam-model.js';
import type { Access, Principal } from '../orgs/access.js';
import type { Role } from '../users/user-model.js';

/**
 * Who runs an exam's grades: grading and regrading, results, analysis and the
 * sector push. Its exam managers, and the exam board of its organisation or above.
 */
export const GRADE_MANAGERS: readonly Role[] = ['exam_manager', 'exam_board'];
/** Essays are graded by authors and reviewers of the exam's organisation. */
export const GRADERS: readonly Role[] = ['author', 'reviewer'];

/**
 * The exam, when the caller holds one of `roles` at its organisation or
 * above. Others who may know the exam exists (a role there, or a candidate
 * on it) get 403; everyone else 404, as if it did not exist.
 */
export async function examFor(Exam: ExamModel, access: Access, actor: Principal, examId: string, roles: readonly Role[]): Promise<Exam> {
  const exam = await Exam.findById(examId, { candidateIds: 0 }).lean<Exam>();
  if (!exam) throw new NotFound('Exam');
  return checkExam(access, actor, exam, roles, () => Exam.exists({ _id: examId, candidateIds: actor.id }).then(Boolean));
}

export async function checkExam(access: Access, actor: Principal, exam: Exam, roles: readonly Role[], isCandidate: () => Promise<boolean>): Promise<Exam> {
  if (access.grantOrgs(actor, roles).some((g) => exam.orgPath.includes(g))) return exam;
  if (standing(access, actor, exam.orgPath) !== 'none' || (await isCandidate())) {
    throw new Forbidden(`Only ${roles.join(' or ')} of the exam's organisation may do this`);
  }
  throw new NotFound('Exam');
}
