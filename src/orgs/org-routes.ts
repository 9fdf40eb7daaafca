import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import { NotFound } from '../errors.js';
import { idParams, type IdParams } from '../route-schemas.js';
import { ORG_KINDS } from './org-model.js';
import { orgView } from './org-service.js';

const orgSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: ORG_KINDS },
    parentId: { type: ['string', 'null'] },
    path: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const newOrgBody = {
  type: 'object',
  required: ['code', 'name', 'kind', 'parentId'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    name: { type: 'string', minLength: 1, maxLength: 300 },
    kind: { type: 'string', enum: ORG_KINDS },
    parentId: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const childrenQuery = { type: 'object', additionalProperties: false, properties: { parentId: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export default async function orgRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.post<{ Body: FromSchema<typeof newOrgBody> }>('/api/orgs', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['orgs'],
      summary: 'Add an organisation below a parent (admin of the parent or above)',
      security: [{ bearer: [] }],
      body: newOrgBody,
      response: { 201: orgSchema },
    },
  }, async (request, reply) => {
    const org = await app.orgs.create(request.principal, app.access, { ...request.body, name: request.body.name.normalize('NFC') });
    await app.audit.record(auditContext(request, ['admin']), {
      orgId: org._id,
      action: 'org.create',
      target: `org:${org._id}`,
      summary: { code: org.code, name: org.name, kind: org.kind, parentId: org.parentId },
    });
    return reply.code(201).send(orgView(org));
  });

  app.get<{ Params: IdParams }>('/api/orgs/:id', {
    schema: { tags: ['orgs'], summary: 'An organisation (candidates: only those of their own branch)', security: [{ bearer: [] }], params: idParams, response: { 200: orgSchema } },
  }, async (request) => {
    const visible = await app.access.visibleOrgs(request.principal);
    if (visible && !visible.has(request.params.id)) throw new NotFound('Organisation');
    return orgView(await app.orgs.get(request.params.id));
  });

  app.get<{ Querystring: FromSchema<typeof childrenQuery> }>('/api/orgs', {
    schema: {
      tags: ['orgs'],
      summary: 'Children of an organisation (the root when parentId is absent); candidates see only their own branch',
      security: [{ bearer: [] }],
      querystring: childrenQuery,
      response: { 200: { type: 'object', properties: { orgs: { type: 'array', items: orgSchema } } } },
    },
  }, async (request) => {
    const parentId = request.query.parentId ?? null;
    const visible = await app.access.visibleOrgs(request.principal);
    if (visible && parentId !== null && !visible.has(parentId)) throw new NotFound('Organisation');
    const orgs = await app.orgs.children(parentId);
    return { orgs: (visible ? orgs.filter((o) => visible.has(o._id)) : orgs).map(orgView) };
  });
}
