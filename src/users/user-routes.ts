import type { FastifyInstance } from 'fastify';
import { ajv, detailsOf } from '../validation.js';
import { ROLES } from './user-model.js';
import { userView, type NewUser } from './user-service.js';

export const roleGrantSchema = {
  type: 'object',
  required: ['role', 'orgId'],
  additionalProperties: false,
  properties: { role: { type: 'string', enum: ROLES }, orgId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const userSchema = {
  type: 'object',
  required: ['id', 'username', 'displayName', 'roles'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    displayName: { type: 'string' },
    studentId: { type: 'string' },
    roles: { type: 'array', items: roleGrantSchema },
    active: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const newUserSchema = {
  type: 'object',
  required: ['username', 'password', 'displayName', 'roles'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{3,64}$' },
    password: { type: 'string', minLength: 8, maxLength: 256 },
    displayName: { type: 'string', minLength: 1, maxLength: 200 },
    studentId: { type: 'string', minLength: 1, maxLength: 64 },
    roles: { type: 'array', minItems: 1, maxItems: 50, items: roleGrantSchema },
  },
} as const;

const validateNewUser = ajv.compile<NewUser>(newUserSchema);

export default async function userRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.post<{ Body: NewUser }>('/api/users', {
    schema: { tags: ['users'], summary: 'Create a user (admin of an ancestor organisation)', security: [{ bearer: [] }], body: newUserSchema, response: { 201: userSchema } },
  }, async (request, reply) => reply.code(201).send(userView(await app.users.create(request.principal, request.body))));

  app.post<{ Body: { users: NewUser[] } }>('/api/users/bulk', {
    schema: {
      tags: ['users'],
      summary: 'Create up to 5,000 users (a school roster); per-row errors',
      security: [{ bearer: [] }],
      body: {
        type: 'object',
        required: ['users'],
        additionalProperties: false,
        properties: { users: { type: 'array', minItems: 1, maxItems: 5000, items: { type: 'object' } } },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            created: { type: 'integer' },
            failed: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  index: { type: 'integer' },
                  error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array' } } },
                },
              },
            },
          },
        },
      },
    },
  }, async (request) => {
    // Rows are validated one by one so that one bad row fails alone.
    const good: NewUser[] = [];
    const goodIndex: number[] = [];
    const invalid: { index: number; error: { code: string; message: string; details?: unknown[] } }[] = [];
    request.body.users.forEach((row, index) => {
      if (validateNewUser(row)) {
        good.push(row);
        goodIndex.push(index);
      } else {
        invalid.push({ index, error: { code: 'validation_failed', message: 'Row does not match the user schema', details: detailsOf(validateNewUser.errors) } });
      }
    });
    const { created, failed } = await app.users.bulkCreate(request.principal, good);
    const all = [...invalid, ...failed.map((f) => ({ index: goodIndex[f.index]!, error: f.error }))].sort((a, b) => a.index - b.index);
    return { created, failed: all };
  });

  app.get<{ Params: { id: string } }>('/api/users/:id', {
    schema: { tags: ['users'], summary: 'A user', security: [{ bearer: [] }], params: idParams, response: { 200: userSchema } },
  }, async (request) => userView(await app.users.get(request.principal, request.params.id)));
}

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
