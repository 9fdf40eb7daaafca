import type { QueryFilter } from 'mongoose';
import { decodeCursor, encodeCursor } from '../bank/paging.js';
import { Forbidden } from '../errors.js';
import type { Access, Principal } from '../orgs/access.js';
import type { ExamAudience } from './exam-service.js';
import type { Exam, ExamModel, ExamStatus } from './exam-model.js';

export interface ExamQuery {
  status?: ExamStatus;
  subject?: string;
  grade?: number;
  /** Part of the title, ignoring case. */
  q?: string;
  /** Only exams whose window ends at or after this instant (ISO-8601). */
  closesAfter?: string;
  /** Only exams whose window opens before this instant (ISO-8601). */
  opensBefore?: string;
  /** @defaultValue 50 */
  limit?: number;
  cursor?: string;
}

/**
 * GET /api/exams: the exams of the organisations (and their subtrees) where
 * the caller is exam_manager, exam_board, proctor or admin, newest last (creation order),
 * each with the audience the caller has on it. Candidates list theirs with
 * GET /api/my/exams.
 */
export async function listExams(
  Exam: ExamModel,
  access: Access,
  actor: Principal,
  query: ExamQuery,
): Promise<{ exams: { exam: Exam; audience: ExamAudience }[]; nextCursor: string | null }> {
  const staffOrgs = access.grantOrgs(actor, ['exam_manager', 'exam_board', 'proctor', 'admin']);
  if (staffOrgs.length === 0) throw new Forbidden('Only exam managers, exam boards, proctors and administrators list exams');
  const managerOrgs = new Set(access.grantOrgs(actor, 'exam_manager'));
  const filter: Record<string, unknown> = { orgPath: { $in: staffOrgs } };
  if (query.status !== undefined) filter.status = query.status;
  if (query.subject !== undefined) filter.subject = query.subject.normalize('NFC');
  if (query.grade !== undefined) filter.grade = query.grade;
  if (query.closesAfter !== undefined) filter.closesAt = { $gte: new Date(query.closesAfter) };
  if (query.opensBefore !== undefined) filter.opensAt = { $lt: new Date(query.opensBefore) };
  if (query.cursor !== undefined) filter._id = { $gt: decodeCursor(query.cursor) };
  const limit = query.limit ?? 50;
  let docs = await Exam.find(filter as QueryFilter<Exam>).sort({ _id: 1 }).limit(query.q ? 0 : limit + 1).lean();
  if (query.q) {
    const q = query.q.normalize('NFC').toLocaleLowerCase('vi');
    docs = docs.filter((e) => e.title.toLocaleLowerCase('vi').includes(q)).slice(0, limit + 1);
  }
  const page = docs.slice(0, limit);
  return {
    exams: page.map((exam) => ({ exam, audience: exam.orgPath.some((o) => managerOrgs.has(o)) ? 'manager' : 'staff' })),
    nextCursor: docs.length > limit ? encodeCursor(page[page.length - 1]!._id) : null,
  };
}
