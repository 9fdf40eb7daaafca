/**
 * Exam secrecy. Forms, answer keys and printable papers are read only by exam
 * managers of the exam's organisation or above (ExamService.managed: others
 * who know the exam get 403, everyone else 404), before and after the exam
 * opens. Every such read is also written to the audit trail, with the phase
 * the exam was in (a paper read while candidates sit it is as much a leak as
 * one read the night before), so a leaked paper can be traced to the reads
 * that could have leaked it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContext } from '../audit/audit-context.js';
import type { Exam } from './exam-model.js';

/** True until the exam's window opens. */
export function beforeOpening(exam: Pick<Exam, 'opensAt'>, now = new Date()): boolean {
  return now.getTime() < new Date(exam.opensAt).getTime();
}

/** Where the exam stands in its window. */
export function examPhase(exam: Pick<Exam, 'opensAt' | 'closesAt'>, now = new Date()): 'before_opening' | 'open' | 'closed' {
  if (beforeOpening(exam, now)) return 'before_opening';
  return now.getTime() < new Date(exam.closesAt).getTime() ? 'open' : 'closed';
}

/** Records a read of a form, a printable paper or the answer key. */
export async function auditSecretRead(
  app: FastifyInstance,
  request: FastifyRequest,
  exam: Pick<Exam, '_id' | 'ownerOrgId' | 'opensAt' | 'closesAt'>,
  read: { action: 'exam.form_read' | 'exam.key_read'; formCodes: string[]; format: string },
): Promise<void> {
  await app.audit.record(auditContext(request, ['exam_manager']), {
    orgId: exam.ownerOrgId,
    action: read.action,
    target: `exam:${exam._id}`,
    summary: { forms: read.formCodes, format: read.format, phase: examPhase(exam), opensAt: new Date(exam.opensAt).toISOString() },
  });
}
