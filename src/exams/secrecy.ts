/**
 * Exam secrecy. Forms, answer keys and printable papers are read only by exam
 * managers of the exam's organisation or above (ExamService.managed: others
 * who know the exam get 403, everyone else 404), before and after the exam
 * opens. Before it opens, every such read is also written to the audit trail,
 * so a leaked paper can be traced to the reads that could have leaked it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContext } from '../audit/audit-routes.js';
import type { Exam } from './exam-model.js';

/** True until the exam's window opens. */
export function beforeOpening(exam: Pick<Exam, 'opensAt'>, now = new Date()): boolean {
  return now.getTime() < new Date(exam.opensAt).getTime();
}

/** Records a read of a form or the answer key when it happens before the exam opens. */
export async function auditSecretRead(
  app: FastifyInstance,
  request: FastifyRequest,
  exam: Pick<Exam, '_id' | 'ownerOrgId' | 'opensAt'>,
  read: { action: 'exam.form_read' | 'exam.key_read'; formCodes: string[]; format: string },
): Promise<void> {
  if (!beforeOpening(exam)) return;
  await app.audit.record(auditContext(request, ['exam_manager']), {
    orgId: exam.ownerOrgId,
    action: read.action,
    target: `exam:${exam._id}`,
    summary: { forms: read.formCodes, format: read.format, opensAt: new Date(exam.opensAt).toISOString() },
  });
}
