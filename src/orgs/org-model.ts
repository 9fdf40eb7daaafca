import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../ids.js';

import { ORG_KINDS, type OrgKind } from '../contracts/people.js';

export { ORG_KINDS, type OrgKind } from '../contracts/people.js';

export interface Org {
  _id: string;
  code: string;
  name: string;
  kind: OrgKind;
  parentId: string | null;
  /** Ancestors from the root down to and including this organisation. */
  path: string[];
  createdAt: Date;
}

const orgSchema = new Schema<Org>(
  {
    _id: { type: String, default: newId },
    code: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    kind: { type: String, enum: ORG_KINDS, required: true },
    parentId: { type: String, default: null, index: true },
    path: { type: [String], required: true, index: true },
    createdAt: { type: Date, default: () => new Date() },
  },
  { versionKey: false },
);

export type OrgModel = Model<Org>;

export function createOrgModel(conn: Connection): OrgModel {
  return conn.model<Org>('Org', orgSchema, 'orgs');
}
