import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { Forbidden, NotFound } from '../errors.js';
import type { AuditRecord } from './audit-model.js';
import { auditContext } from './audit-context.js';

function recordView(r: AuditRecord) {
  return {
    id: r._id,
    chain: r.chain,
    seq: r.seq,
    at: r.at.toISOString(),
    actorId: r.actorId,
    actorRole: r.actorRole,
    actorOrgId: r.actorOrgId,
    action: r.action,
    target: r.target,
    summary: r.summary ?? {},
    requestId: r.requestId,
    ip: r.ip,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

const recordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, chain: { type: 'string' }, seq: { type: 'integer' }, at: { type: 'string' },
    actorId: { type: ['string', 'null'] }, actorRole: { type: 'string' }, actorOrgId: { type: 'string' },
    action: { type: 'string' }, target: { type: 'string' }, summary: { type: 'object', additionalProperties: true },
    requestId: { type: 'string' }, ip: { type: 'string' }, prevHash: { type: 'string' }, hash: { type: 'string' },
  },
} as const;

const AUDIT_READERS = ['admin', 'exam_manager'] as const;

const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    target: { type: 'string', maxLength: 200 },
    actor: { type: 'string', maxLength: 64 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    cursor: { type: 'string', maxLength: 500 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  },
} as const;

/** The organisation whose chain is checked (query) or anchored (body). */
const chainField = {
  type: 'object',
  required: ['chain'],
  additionalProperties: false,
  properties: { chain: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export default async function auditRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.get<{ Querystring: FromSchema<typeof auditQuery> }>('/api/audit', {
    config: { roles: AUDIT_READERS },
    schema: {
      tags: ['audit'],
      summary: 'Audit records of the organisations where the caller is admin or exam manager (and below), newest first',
      security: [{ bearer: [] }],
      querystring: auditQuery,
      response: { 200: { type: 'object', properties: { records: { type: 'array', items: recordSchema }, nextCursor: { type: ['string', 'null'] } } } },
    },
  }, async (request) => {
    const orgIds = app.access.grantOrgs(request.principal, AUDIT_READERS);
    if (orgIds.length === 0) throw new Forbidden('Only administrators and exam managers read the audit trail');
    const q = request.query;
    const page = await app.audit.search({
      orgIds,
      limit: q.limit ?? 100,
      ...(q.target ? { target: q.target } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return { records: page.records.map(recordView), nextCursor: page.nextCursor };
  });

  const chainCheck = {
    type: 'object',
    properties: {
      ok: { type: 'boolean' },
      checked: { type: 'integer' },
      firstBrokenAt: { type: 'string' },
      truncated: { type: 'boolean', description: 'The chain ends before its head: its newest records were deleted' },
      missing: { type: 'integer', description: 'How many records are missing at the end' },
      headMissing: { type: 'boolean', description: 'The head is gone (Redis lost it, or the chain predates heads): deletions at the end cannot be ruled out until an administrator anchors the chain' },
      legacy: { type: 'integer', description: 'Unkeyed records at the start of the chain, written before chains were keyed' },
    },
  } as const;

  app.get<{ Querystring: FromSchema<typeof chainField> }>('/api/audit/verify', {
    config: { roles: AUDIT_READERS },
    schema: {
      tags: ['audit'],
      summary: "Checks an organisation's chain (links, HMAC seals, the head kept in Redis) and reports the first broken or missing record",
      security: [{ bearer: [] }],
      querystring: chainField,
      response: { 200: chainCheck },
    },
  }, async (request) => {
    const chain = request.query.chain;
    if (!(await app.orgs.pathOf(chain))) throw new NotFound('Audit chain');
    if (!(await app.access.holds(request.principal, AUDIT_READERS, chain))) throw new Forbidden();
    return app.audit.verify(chain);
  });

  const head = { type: ['object', 'null'], properties: { seq: { type: 'integer' }, hash: { type: 'string' } } } as const;
  app.post<{ Body: FromSchema<typeof chainField> }>('/api/audit/anchor', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['audit'],
      summary: "Anchors an organisation's chain again after its head was lost (admin of the organisation or above): appends an audited audit.anchor record and makes it the head",
      security: [{ bearer: [] }],
      body: chainField,
      response: { 200: { type: 'object', properties: { chain: { type: 'string' }, seq: { type: 'integer' }, hash: { type: 'string' }, replaced: head } } },
    },
  }, async (request) => {
    const chain = request.body.chain;
    if (!(await app.orgs.pathOf(chain))) throw new NotFound('Audit chain');
    if (!(await app.access.holds(request.principal, ['admin'], chain))) throw new Forbidden('Only administrators of the organisation or above anchor its audit chain');
    return app.audit.anchor(auditContext(request, ['admin']), chain);
  });
}
