import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One audit record. Records form hash chains, one per organisation (the
 * organisation that owns the changed thing): each stores the hash of the
 * previous record of its chain, so deleting or editing any record breaks the
 * chain at that point. `_id` is `<chain>:<seq>`, so two writers can never
 * append the same position. `hash` is an HMAC under AUDIT_KEY (`alg`), so it
 * cannot be recomputed by someone who can only write the database; records
 * without `alg` are the unkeyed SHA-256 records of earlier versions.
 */
export interface AuditRecord {
  _id: string;
  chain: string;
  seq: number;
  at: Date;
  actorId: string | null;
  /** The role and organisation the actor used for this action. */
  actorRole?: string;
  actorOrgId?: string;
  action: string;
  target: string;
  /** Ancestors of the chain's organisation, for "audit of my subtree" queries. */
  orgPath: string[];
  /** Before/after summary or diff; small. */
  summary?: Record<string, unknown>;
  requestId?: string;
  ip?: string;
  prevHash: string;
  hash: string;
  /** `hmac-sha256`; absent on unkeyed records written before the chains were keyed. */
  alg?: 'hmac-sha256';
}

const auditSchema = new Schema<AuditRecord>(
  {
    _id: { type: String },
    chain: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
    actorId: { type: String, default: null },
    actorRole: String,
    actorOrgId: String,
    action: { type: String, required: true },
    target: { type: String, required: true },
    orgPath: { type: [String], index: true },
    summary: { type: Schema.Types.Mixed },
    requestId: String,
    ip: String,
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
    alg: String,
  },
  { versionKey: false, minimize: false },
);
auditSchema.index({ chain: 1, seq: -1 });
auditSchema.index({ target: 1 });
auditSchema.index({ actorId: 1 });

export type AuditModel = Model<AuditRecord>;

export function createAuditModel(conn: Connection): AuditModel {
  return conn.model<AuditRecord>('AuditRecord', auditSchema, 'audit');
}
