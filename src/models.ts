import type { Connection } from 'mongoose';
import { createAuditModel } from './audit/audit-model.js';
import { createOrgModel } from './orgs/org-model.js';
import { createUserModel } from './users/user-model.js';

/**
 * Every model of the main database, bound to one connection. The API and the
 * workers each build this from their own connection and hand it to services.
 */
export function createModels(conn: Connection) {
  return {
    Audit: createAuditModel(conn),
    Org: createOrgModel(conn),
    User: createUserModel(conn),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Builds the indexes each model declares (idempotent; safe on every start). */
export async function ensureIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models)) await model.createIndexes();
}
