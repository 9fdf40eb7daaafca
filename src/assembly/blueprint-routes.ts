import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import { ITEM_TYPES, type CognitiveLevel } from '../bank/item-types.js';
import type { CellAvailability } from '../contracts/exams.js';
import { NotFound, ValidationFailed } from '../errors.js';
import { blueprintView, resolveManagerOrg, standing } from './blueprint-service.js';
import { idParams, type IdParams } from '../route-schemas.js';

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

const listQueryProperties = {
  subject: { type: 'string', minLength: 1, maxLength: 64 },
  grade: { type: 'integer', minimum: 1, maximum: 20 },
  q: { type: 'string', minLength: 1, maxLength: 200, description: 'Part of the title, ignoring case' },
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' },
} as const;

const listQuery = { type: 'object', properties: listQueryProperties, propertyNames: { enum: Object.keys(listQueryProperties) } } as const;

const TOPIC = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const MAX_TOPICS = 50;
const LEVELS: CognitiveLevel[] = [1, 2, 3, 4];

const availabilityQueryProperties = {
  subject: { type: 'string', minLength: 1, maxLength: 64 },
  grade: { type: 'integer', minimum: 1, maximum: 20 },
  topics: { type: 'string', minLength: 1, maxLength: 5100, description: 'Topic slugs separated by commas (at most 50)' },
  type: { type: 'string', enum: ITEM_TYPES, description: "The section's item type; absent: any type" },
  orgId: { type: 'string', minLength: 1, maxLength: 64, description: 'The organisation that will own the exam; needed only from exam managers at several' },
} as const;

const availabilityQuery = {
  type: 'object',
  required: ['subject', 'grade', 'topics'],
  properties: availabilityQueryProperties,
  propertyNames: { enum: Object.keys(availabilityQueryProperties) },
} as const;

async function routes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.post<{ Body: FromSchema<typeof newBlueprintSchema> }>('/api/blueprints', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'Create a blueprint ("ma trận đề") (exam_manager)',
      security: [{ bearer: [] }],
      body: newBlueprintSchema,
      response: { 201: blueprintSchema },
    },
  }, async (request, reply) => {
    const blueprint = await app.blueprints.create(request.principal, request.body);
    await app.audit.record(auditContext(request, ['exam_manager']), {
      orgId: blueprint.ownerOrgId,
      action: 'blueprint.create',
      target: `blueprint:${blueprint._id}`,
      summary: { title: blueprint.title, subject: blueprint.subject, grade: blueprint.grade, items: blueprint.sections.reduce((n, s) => n + s.cells.reduce((m, c) => m + c.count, 0), 0) },
    });
    return reply.code(201).send(blueprintView(blueprint));
  });

  app.get<{ Querystring: FromSchema<typeof listQuery> }>('/api/blueprints', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'The blueprints the caller may use (exam_manager): of their organisations, above and below them; cursor pagination in creation order',
      security: [{ bearer: [] }],
      querystring: listQuery,
      response: { 200: { type: 'object', properties: { blueprints: { type: 'array', items: blueprintSchema }, nextCursor: { type: ['string', 'null'] } } } },
    },
  }, async (request) => {
    const { blueprints, nextCursor } = await app.blueprints.list(request.principal, request.query);
    return { blueprints: blueprints.map(blueprintView), nextCursor };
  });

  app.get<{ Querystring: FromSchema<typeof availabilityQuery> }>('/api/blueprints/availability', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'How many approved items each matrix cell (topic × cognitive level, of one item type or any) can draw from, as organisation orgId may use the bank (exam_manager)',
      description:
        'The same pool form assembly draws from: approved items of orgId shared `org` or wider, `subtree` items of its ancestors, `national` items; never `private` ones. ' +
        'Counts every topic of `topics` at the four cognitive levels.',
      security: [{ bearer: [] }],
      querystring: availabilityQuery,
      response: {
        200: {
          type: 'object',
          required: ['orgId', 'subject', 'grade', 'cells'],
          properties: {
            orgId: { type: 'string' },
            subject: { type: 'string' },
            grade: { type: 'integer' },
            type: { type: 'string' },
            cells: {
              type: 'array',
              items: {
                type: 'object',
                required: ['topic', 'cognitiveLevel', 'available'],
                properties: { topic: { type: 'string' }, cognitiveLevel: { type: 'integer' }, available: { type: 'integer' } },
              },
            },
          },
        },
      },
    },
  }, async (request) => {
    const q = request.query;
    const topics = [...new Set(q.topics.split(',').map((x) => x.trim()).filter(Boolean))];
    const bad = topics.findIndex((x) => !TOPIC.test(x));
    if (bad >= 0 || topics.length === 0 || topics.length > MAX_TOPICS) {
      throw new ValidationFailed('topics must be 1 to 50 topic slugs separated by commas', [
        { instancePath: '/topics', keyword: 'pattern', message: bad >= 0 ? `"${topics[bad]}" is not a topic slug (a-z, 0-9 and single hyphens)` : `must name 1 to ${MAX_TOPICS} topics`, in: 'querystring' },
      ]);
    }
    // The caller must manage orgId (or its ancestor); without orgId, their one exam_manager organisation.
    // An organisation the caller has nothing to do with is answered as if it did not exist.
    if (q.orgId !== undefined) {
      const path = await app.orgs.pathOf(q.orgId);
      if (!path || standing(app.access, request.principal, path) === 'none') throw new NotFound('Organisation');
    }
    const owner = await resolveManagerOrg(app.orgs, app.access, request.principal, q.orgId);
    const subject = q.subject.normalize('NFC');
    const cells = topics.flatMap((topic) => LEVELS.map((cognitiveLevel) => ({ topic, cognitiveLevel, ...(q.type ? { type: q.type } : {}) })));
    const pools = await app.bank.pools.approvedPools(owner.orgId, subject, q.grade, cells);
    return {
      orgId: owner.orgId,
      subject,
      grade: q.grade,
      ...(q.type ? { type: q.type } : {}),
      cells: cells.map((c, i): CellAvailability => ({ topic: c.topic, cognitiveLevel: c.cognitiveLevel, available: pools[i]?.length ?? 0 })),
    };
  });

  app.get<{ Params: IdParams }>('/api/blueprints/:id', {
    config: { roles: ['exam_manager'] },
    schema: { tags: ['exams'], summary: 'A blueprint', security: [{ bearer: [] }], params: idParams, response: { 200: blueprintSchema } },
  }, async (request) => blueprintView(await app.blueprints.get(request.principal, request.params.id)));
}

/** Serves /api/blueprints (the service is `app.blueprints`, from the composition root). */
export default fp(
  async (app) => {
    await app.register(routes);
  },
  { name: 'blueprints', dependencies: ['mongo', 'auth', 'bank'] },
);
