import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit/audit-routes.js';
import { ITEM_TYPES } from '../bank/item-types.js';
import { BlueprintService, blueprintView, type NewBlueprint } from './blueprint-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    blueprints: BlueprintService;
  }
}

const cellSchema = {
  type: 'object',
  required: ['topic', 'cognitiveLevel', 'count'],
  additionalProperties: false,
  properties: {
    // The bank's topic slug (question-schemas/defs.json).
    topic: { type: 'string', maxLength: 100, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
    cognitiveLevel: { type: 'integer', enum: [1, 2, 3, 4] },
    count: { type: 'integer', minimum: 0, maximum: 500 },
  },
} as const;

const sectionSchema = {
  type: 'object',
  required: ['title', 'cells'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    type: { type: 'string', enum: ITEM_TYPES },
    pointsPerItem: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    shuffleItems: { type: 'boolean' },
    shuffleOptions: { type: 'boolean' },
    cells: { type: 'array', maxItems: 200, items: cellSchema },
  },
} as const;

const constraintsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxItemOverlap: { type: 'number', minimum: 0, maximum: 1 },
    difficultyTolerance: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

export const newBlueprintSchema = {
  type: 'object',
  required: ['title', 'subject', 'grade', 'sections'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 300 },
    subject: { type: 'string', minLength: 1, maxLength: 64 },
    grade: { type: 'integer', minimum: 1, maximum: 20 },
    durationMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
    sections: { type: 'array', maxItems: 50, items: sectionSchema },
    constraints: constraintsSchema,
    orgId: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

export const blueprintSchema = {
  type: 'object',
  required: ['id', 'title', 'subject', 'grade', 'sections', 'constraints', 'ownerOrgId', 'createdAt'],
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    subject: { type: 'string' },
    grade: { type: 'integer' },
    durationMinutes: { type: 'integer' },
    sections: { type: 'array', items: sectionSchema },
    constraints: constraintsSchema,
    ownerOrgId: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

async function routes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.post<{ Body: NewBlueprint }>('/api/blueprints', {
    schema: {
      tags: ['exams'],
      summary: 'Create a blueprint ("ma trận đề") (exam_manager)',
      security: [{ bearer: [] }],
      body: newBlueprintSchema,
      response: { 201: blueprintSchema },
    },
  }, async (request, reply) => {
    const blueprint = await app.blueprints.create(request.principal, request.body);
    await app.audit.record(auditContext(request), {
      orgId: blueprint.ownerOrgId,
      action: 'blueprint.create',
      target: `blueprint:${blueprint._id}`,
      summary: { title: blueprint.title, subject: blueprint.subject, grade: blueprint.grade, items: blueprint.sections.reduce((n, s) => n + s.cells.reduce((m, c) => m + c.count, 0), 0) },
    });
    return reply.code(201).send(blueprintView(blueprint));
  });

  app.get<{ Params: { id: string } }>('/api/blueprints/:id', {
    schema: { tags: ['exams'], summary: 'A blueprint', security: [{ bearer: [] }], params: idParams, response: { 200: blueprintSchema } },
  }, async (request) => blueprintView(await app.blueprints.get(request.principal, request.params.id)));
}

/** Decorates `app.blueprints` for other plugins and serves /api/blueprints. */
export default fp(
  async (app) => {
    app.decorate('blueprints', new BlueprintService(app.models.Blueprint, app.orgs, app.access));
    await app.register(routes);
  },
  { name: 'blueprints', dependencies: ['mongo', 'auth'] },
);
