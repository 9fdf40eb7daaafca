import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { itemSearchQuery, stimulusSearchQuery } from '../contracts/list-queries.js';
import { NotFound } from '../errors.js';
import { idParams, type IdParams } from '../route-schemas.js';
import { BANK_ROLES } from './bank-access.js';
import { KEY_CHANGE_OVERRIDE } from './edit-guard.js';
import { MAX_BULK } from './item-service.js';
import { ItemAudit } from './item-audit.js';
import { questionSchemas } from './item-schemas.js';
import { ITEM_STATUSES, ITEM_TYPES, SHARING } from './item-types.js';

const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object', additionalProperties: true } } },
    },
  },
} as const;

const statusEvent = {
  type: 'object',
  properties: {
    from: { type: 'string', enum: ITEM_STATUSES },
    to: { type: 'string', enum: ITEM_STATUSES },
    at: { type: 'string', format: 'date-time' },
    by: { type: 'string', description: 'User who took the step' },
    comment: { type: 'string' },
  },
} as const;

/** Content fields differ per type (question-schemas/), so the answer schema lists the common ones and lets the rest through. */
const itemView = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    revision: { type: 'integer' },
    status: { type: 'string', enum: ITEM_STATUSES },
    ownerOrgId: { type: 'string' },
    authorId: { type: 'string', description: 'Author of this revision' },
    createdAt: { type: 'string', format: 'date-time', description: 'When this revision was written' },
    createdBy: { type: 'string', description: 'Creator of the item' },
    latestRevision: { type: 'integer' },
    approvedRevision: { type: ['integer', 'null'] },
    keyIncluded: { type: 'boolean', description: 'False when the caller may read but not author or review the item: key and scoring data are left out' },
    stats: {
      type: 'object',
      additionalProperties: true,
      description: 'Item-analysis figures, put here by POST /api/exams/:id/analysis/write-back: examId and examTitle name the exam they came from, updatedAt when',
    },
    type: { type: 'string', enum: ITEM_TYPES },
    sharing: { type: 'string', enum: SHARING },
    statusLog: {
      type: 'array',
      description: 'Workflow steps of this revision, oldest first, with their comments (authors and reviewers only)',
      items: statusEvent,
    },
    lastReview: {
      ...statusEvent,
      description: 'The newest review decision on any revision of the item, with its comment (authors and reviewers only)',
      properties: { ...statusEvent.properties, revision: { type: 'integer' } },
    },
    people: {
      type: 'object',
      description: 'Names of the people this view names by id (authorId, createdBy, statusLog and lastReview `by`), keyed by id; only people of the caller\'s branch of the organisation tree (others stay ids)',
      additionalProperties: {
        type: 'object',
        required: ['displayName', 'username'],
        properties: { displayName: { type: 'string' }, username: { type: 'string' } },
      },
    },
  },
} as const;

/** The ids an item view names people by. */
function peopleIds(view: { authorId?: string; createdBy?: string; statusLog?: { by: string }[]; lastReview?: { by: string } }): (string | undefined)[] {
  return [view.authorId, view.createdBy, ...(view.statusLog ?? []).map((e) => e.by), view.lastReview?.by];
}

const itemBody = {
  type: 'object',
  description: 'An item: exactly one of the schemas of GET /api/question-schemas (by its `type`).',
} as const;

const stimulusView = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    content: { type: 'string' },
    subject: { type: 'string' },
    sharing: { type: 'string', enum: SHARING },
    ownerOrgId: { type: 'string' },
    authorId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    revision: { type: 'integer', description: 'Bumped by every PUT; send it back with the next PUT' },
    updatedAt: { type: 'string', format: 'date-time' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, revision: { type: 'integer' }, status: { type: 'string' }, type: { type: 'string' }, stimulusOrder: { type: 'integer' } },
      },
    },
  },
} as const;

const stimulusSummary = {
  type: 'object',
  properties: {
    ...stimulusView.properties,
    grade: { type: 'integer' },
    topic: { type: 'string' },
    language: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    revision: { type: 'integer', description: 'Bumped by every PUT; send it back with the next PUT' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** `?revision=N` of an item or a passage. */
const revisionQuery = { type: 'object', additionalProperties: false, properties: { revision: { type: 'integer', minimum: 1 } } } as const;

const bulkBody = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: { items: { type: 'array', minItems: 1, maxItems: MAX_BULK, items: {} } },
} as const;

/** The whole item again (checked by the item schemas, not here) and the revision it was based on. */
const itemRevisionBody = { ...itemBody, required: ['revision'], properties: { revision: { type: 'integer', minimum: 1 } } } as const;

const overrideQuery = { type: 'object', additionalProperties: false, properties: { override: { type: 'string', enum: [KEY_CHANGE_OVERRIDE] } } } as const;

const statusBody = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ITEM_STATUSES },
    revision: { type: 'integer', minimum: 1, description: 'The revision to move; the latest when absent' },
    comment: { type: 'string', maxLength: 4000, description: "Why: a reviewer's reason for sending back or note on approving; kept with the step in the item's history" },
  },
} as const;

const stimulusRevisionBody = { type: 'object', required: ['revision'], description: 'question-schemas/stimulus.json plus `revision`', properties: { revision: { type: 'integer', minimum: 1 } } } as const;

const schemaNameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z_]{1,40}$' } } } as const;

const secured = [{ bearer: [] }];

async function bankRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);
  const audit = new ItemAudit(app);
  const { keyGuard } = app.services;
  const { items, search, stimuli } = app.bank;
  /** An item view with the names of its people, as the caller may see them. */
  const named = async <V extends Parameters<typeof peopleIds>[0]>(request: FastifyRequest, view: V) => (await app.users.people.attach(request.principal, [view], peopleIds))[0]!;

  app.post('/api/items', {
    config: { roles: ['author'] },
    schema: { tags: ['bank'], summary: 'Write a new item (author): revision 1, draft', security: secured, body: itemBody, response: { 201: itemView, 400: errorBody } },
  }, async (request, reply) => reply.code(201).send(await named(request, await audit.created(request, await items.create(request.principal, request.body)))));

  app.post<{ Body: FromSchema<typeof bulkBody> }>('/api/items/bulk', {
    config: { roles: ['author'] },
    schema: {
      tags: ['bank'],
      summary: `Write up to ${MAX_BULK} items in one call; every item answers with its id or its error`,
      security: secured,
      body: bulkBody,
      response: {
        200: {
          type: 'object',
          properties: {
            results: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  index: { type: 'integer' },
                  id: { type: 'string' },
                  revision: { type: 'integer' },
                  error: errorBody.properties.error,
                },
              },
            },
          },
        },
      },
    },
  }, async (request) => ({ results: await audit.bulk(request, await items.bulkCreate(request.principal, request.body.items)) }));

  app.get<{ Querystring: FromSchema<typeof itemSearchQuery> }>('/api/items', {
    config: { roles: BANK_ROLES },
    schema: {
      tags: ['bank'],
      summary: 'Search the items the caller may see; cursor pagination in creation order',
      security: secured,
      querystring: itemSearchQuery,
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: itemView }, nextCursor: { type: ['string', 'null'] } } } },
    },
  }, async (request) => {
    const page = await search.search(request.principal, request.query);
    return { ...page, items: await app.users.people.attach(request.principal, page.items, peopleIds) };
  });

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof revisionQuery> }>('/api/items/:id', {
    config: { roles: BANK_ROLES },
    schema: {
      tags: ['bank'],
      summary: 'An item: its latest revision, or revision N',
      security: secured,
      params: idParams,
      querystring: revisionQuery,
      response: { 200: itemView },
    },
  }, async (request) => named(request, await items.get(request.principal, request.params.id, request.query.revision)));

  app.put<{ Params: IdParams; Body: FromSchema<typeof itemRevisionBody>; Querystring: FromSchema<typeof overrideQuery> }>('/api/items/:id', {
    config: { roles: ['author'] },
    schema: {
      tags: ['bank'],
      summary: 'Write a new revision (latest + 1, draft) from the full item and the revision it was based on',
      description:
        'An item on the current forms of a published exam that has not closed keeps its key: a revision that changes the key or scoring ' +
        `is \`409 exam_key_locked\` unless an exam manager of every such exam adds \`?override=${KEY_CHANGE_OVERRIDE}\` (audited).`,
      security: secured,
      params: idParams,
      querystring: overrideQuery,
      body: itemRevisionBody,
      response: { 200: itemView },
    },
  }, async (request) => {
    // Only callers who may see the key are told about the lock; the bank answers everyone else (404/403).
    const current = await items.get(request.principal, request.params.id);
    const guard = current.keyIncluded && request.body.revision === current.latestRevision
      ? await keyGuard.check(request.principal, request.params.id, request.body, request.query.override === KEY_CHANGE_OVERRIDE)
      : { keyChanged: false, exams: [] };
    return named(request, await audit.updated(request, await items.update(request.principal, request.params.id, request.body), guard));
  });

  app.post<{ Params: IdParams; Body: FromSchema<typeof statusBody> }>('/api/items/:id/status', {
    config: { roles: ['author', 'reviewer', 'admin'] },
    schema: {
      tags: ['bank'],
      summary: 'Move a revision through draft → in_review → approved → retired (four-eyes: nobody reviews their own revision)',
      security: secured,
      params: idParams,
      body: statusBody,
      response: { 200: itemView },
    },
  }, async (request) =>
    named(request, await audit.status(request, await items.setStatus(request.principal, request.params.id, request.body.status, request.body.revision, request.body.comment), request.body.status, request.body.revision)));

  app.post('/api/stimuli', {
    config: { roles: ['author'] },
    schema: { tags: ['bank'], summary: 'Write a shared passage (author)', security: secured, body: { type: 'object', description: 'question-schemas/stimulus.json' }, response: { 201: stimulusView } },
  }, async (request, reply) => reply.code(201).send(await audit.stimulus(request, await stimuli.create(request.principal, request.body), 'stimulus.create')));

  app.get<{ Querystring: FromSchema<typeof stimulusSearchQuery> }>('/api/stimuli', {
    config: { roles: BANK_ROLES },
    schema: {
      tags: ['bank'],
      summary: 'List the shared passages the caller may see; cursor pagination in creation order',
      security: secured,
      querystring: stimulusSearchQuery,
      response: { 200: { type: 'object', properties: { stimuli: { type: 'array', items: stimulusSummary }, nextCursor: { type: ['string', 'null'] } } } },
    },
  }, async (request) => stimuli.list(request.principal, request.query));

  app.put<{ Params: IdParams; Body: FromSchema<typeof stimulusRevisionBody> }>('/api/stimuli/:id', {
    config: { roles: ['author'] },
    schema: {
      tags: ['bank'],
      summary: 'Write a new revision of a shared passage (author of the owning organisation) from the whole passage and the revision it was based on; 409 stimulus_in_use once an approved item uses it. Forms keep the revision they were assembled with',
      security: secured,
      params: idParams,
      body: stimulusRevisionBody,
      response: { 200: stimulusSummary },
    },
  }, async (request) => audit.stimulus(request, await stimuli.update(request.principal, request.params.id, request.body), 'stimulus.update'));

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof revisionQuery> }>('/api/stimuli/:id', {
    config: { roles: BANK_ROLES },
    schema: {
      tags: ['bank'],
      summary: 'A shared passage (its latest revision, or ?revision=N: earlier revisions stay readable) and the items attached to it',
      security: secured,
      params: idParams,
      querystring: revisionQuery,
      response: { 200: stimulusView },
    },
  }, async (request) => stimuli.get(request.principal, request.params.id, request.query.revision));

  app.get('/api/question-schemas', {
    config: { roles: BANK_ROLES },
    schema: { tags: ['bank'], summary: 'Names of the item JSON Schemas (bank roles)', security: secured, response: { 200: { type: 'object', properties: { schemas: { type: 'array', items: { type: 'string' } } } } } },
  }, async (request) => {
    await app.bank.access.caller(request.principal);
    return { schemas: Object.keys(questionSchemas) };
  });

  app.get<{ Params: FromSchema<typeof schemaNameParams> }>('/api/question-schemas/:name', {
    config: { roles: BANK_ROLES },
    schema: {
      tags: ['bank'],
      summary: 'One item JSON Schema (draft 2020-12), as the server validates with it',
      security: secured,
      params: schemaNameParams,
    },
  }, async (request) => {
    await app.bank.access.caller(request.principal);
    const schema = questionSchemas[request.params.name];
    if (!schema) throw new NotFound('Schema');
    return schema;
  });
}

/**
 * The question bank: decorates `app.bank` (depend on the plugin name 'bank'
 * to use it) and serves the item and stimulus routes.
 */
export default fp(
  async (app) => {
    // Routes live in their own context so their auth hook stays theirs.
    await app.register(bankRoutes);
  },
  { name: 'bank', dependencies: ['services', 'auth'] },
);
