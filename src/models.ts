import type { Connection } from 'mongoose';
import { createAuditModel } from './audit/audit-model.js';
import { createOrgModel } from './orgs/org-model.js';
import { createBlueprintModel } from './assembly/blueprint-model.js';
import { createExamModel, createFormModel } from './exams/exam-model.js';
import { createUserModel } from './users/user-model.js';
import { createBankModels } from './bank/item-model.js';
import { createAttemptModel } from './live/attempt-model.js';
import { createAttemptLogModel } from './live/log-model.js';
import { createRepinModel, createResultModel } from './grading/result-model.js';
import { createSectorMarkModel } from './sector/mark-model.js';
import { createAnalysisModel } from './analysis/analysis-model.js';

/**
 * Every model of the main database, bound to one connection. The API and the
 * workers each build this from their own connection and hand it to services.
 */
export function createModels(conn: Connection) {
  return {
    Audit: createAuditModel(conn),
    Org: createOrgModel(conn),
    User: createUserModel(conn),
    ...createBankModels(conn),
    Blueprint: createBlueprintModel(conn),
    Exam: createExamModel(conn),
    Form: createFormModel(conn),
    Attempt: createAttemptModel(conn),
    AttemptLog: createAttemptLogModel(conn),
    Result: createResultModel(conn),
    Repin: createRepinModel(conn),
    SectorMark: createSectorMarkModel(conn),
    Analysis: createAnalysisModel(conn),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Builds the indexes each model declares (idempotent; safe on every start). */
export async function ensureIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) await model.createIndexes();
}
