import type { Connection } from 'mongoose';
import { isFerret } from './infra/store.js';
import { createAuditModel } from './audit/audit-model.js';
import { createOrgModel } from './orgs/org-model.js';
import { createBlueprintModel } from './assembly/blueprint-model.js';
import { createExamModel, createFormModel } from './exams/exam-model.js';
import { createUserModel } from './users/user-model.js';
import { createBankModels } from './bank/item-model.js';
import { createAttemptModel } from './attempts/attempt-model.js';
import { createAttemptLogModel } from './attempts/log-model.js';
import { createRepinModel, createResultModel } from './grading/result-model.js';
import { createSectorMarkModel } from './grading/mark-model.js';
import { createAnalysisModel } from './analysis/analysis-model.js';
import { createScoreChangeModel } from './grading/score-changes.js';
import { createMediaModels } from './media/media-model.js';

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
    ScoreChange: createScoreChangeModel(conn),
    ...createMediaModels(conn),
  };
}

export type Models = ReturnType<typeof createModels>;

/**
 * Builds the indexes each model declares (idempotent; safe on every start).
 * On FerretDB the item heads get none of their secondary indexes: they exist
 * for MongoDB's query planner (the database search index of search and
 * assembly: BANK_SEARCH=database, and the fallback while the Redis index is
 * missing), FerretDB 1.24 never reads a secondary
 * index, and on SQLite each one costs every head insert a JSON parse (25-35 %
 * of a head's insert, BENCHMARKS.md). Nor do exams get their roster index:
 * FerretDB's PostgreSQL backend makes it a B-tree over the whole
 * `candidateIds` array, one entry per exam, and PostgreSQL refuses an entry
 * above 8,191 bytes even compressed: a roster of 2,000 candidates needed
 * 8,984, and the exam could not be stored. None of these is unique, so no
 * rule is lost.
 */
export async function ensureIndexes(models: Models): Promise<void> {
  const ferret = await isFerret(models.Item.db.db!);
  for (const model of Object.values(models)) {
    if (ferret && (model === models.Item || model === models.Exam)) continue;
    await model.createIndexes();
  }
}
