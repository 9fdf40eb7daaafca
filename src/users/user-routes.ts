import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { ValidationFailed } from '../errors.js';
import { ajv, detailsOf } from '../validation.js';
import { auditContext } from '../audit/audit-context.js';
import { idParams, type IdParams } from '../route-schemas.js';
import { newUserSchema, userSchema } from './user-schemas.js';
import { userView, type NewUser } from './user-service.js';
import { revocationChannel } from './revocations.js';

const validateNewUser = ajv.compile<NewUser>(newUserSchema);

/** Usernames one lookup takes (a class list pasted at once). */
const MAX_LOOKUP = 1000;

/** A roster: each row is checked against the user schema on its own, so one bad row fails alone. */
const bulkBody = {
  type: 'object',
  required: ['users'],
  additionalProperties: false,
  properties: { users: { type: 'array', minItems: 1, maxItems: 5000, items: { type: 'object' } } },
} as const;

const lookupQuery = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: { username: { type: 'string', minLength: 1, maxLength: 20000, description: `Usernames separated by commas, at most ${MAX_LOOKUP}` } },
} as const;

const userPatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    displayName: newUserSchema.properties.displayName,
    studentId: newUserSchema.properties.studentId,
    roles: newUserSchema.properties.roles,
    password: newUserSchema.properties.password,
    currentPassword: { type: 'string', minLength: 1, maxLength: 256 },
    active: { type: 'boolean' },
  },
} as const;

export default async function userRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.post<{ Body: FromSchema<typeof newUserSchema> }>('/api/users', {
    config: { roles: ['admin'] },
    schema: { tags: ['users'], summary: 'Create a user (admin of an ancestor organisation)', security: [{ bearer: [] }], body: newUserSchema, response: { 201: userSchema } },
  }, async (request, reply) => {
    const user = await app.users.create(request.principal, request.body);
    await app.audit.record(auditContext(request, ['admin']), {
      orgId: user.roles[0]!.orgId,
      action: 'user.create',
      target: `user:${user._id}`,
      summary: { username: user.username, roles: user.roles },
    });
    return reply.code(201).send(userView(user));
  });

  app.post<{ Body: FromSchema<typeof bulkBody> }>('/api/users/bulk', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['users'],
      summary: 'Create up to 5,000 users (a school roster); per-row errors',
      security: [{ bearer: [] }],
      body: bulkBody,
      response: {
        200: {
          type: 'object',
          properties: {
            created: { type: 'integer' },
            users: {
              type: 'array',
              description: 'The users created, with the index of their row: their ids go straight into an exam\'s candidateIds',
              items: { type: 'object', properties: { index: { type: 'integer' }, id: { type: 'string' }, username: { type: 'string' } } },
            },
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
    const { created, users, failed } = await app.users.bulkCreate(request.principal, good);
    const orgIds = [...new Set(good.flatMap((u) => u.roles.map((g) => g.orgId)))];
    await app.audit.record(auditContext(request, ['admin']), {
      orgId: orgIds.length === 1 ? orgIds[0]! : request.principal.roles[0]!.orgId,
      action: 'user.bulk_create',
      target: `roster:${request.id}`,
      summary: { created, failed: failed.length + invalid.length, orgIds },
    });
    const all = [...invalid, ...failed.map((f) => ({ index: goodIndex[f.index]!, error: f.error }))].sort((a, b) => a.index - b.index);
    return { created, users: users.map((u) => ({ ...u, index: goodIndex[u.index]! })), failed: all };
  });

  app.get<{ Querystring: FromSchema<typeof lookupQuery> }>('/api/users', {
    config: { roles: ['exam_manager', 'admin'] },
    schema: {
      tags: ['users'],
      summary: "Look users up by username (exam_manager, admin): a pasted candidate list becomes ids",
      description: "Only users with a role at one of the caller's organisations or below are found; other and unknown usernames are simply absent. Case does not matter.",
      security: [{ bearer: [] }],
      querystring: lookupQuery,
      response: {
        200: {
          type: 'object',
          properties: {
            users: {
              type: 'array',
              items: { type: 'object', required: ['id', 'username', 'displayName'], properties: { id: { type: 'string' }, username: { type: 'string' }, displayName: { type: 'string' }, studentId: { type: 'string' } } },
            },
          },
        },
      },
    },
  }, async (request) => {
    const names = request.query.username.split(',').map((x) => x.trim()).filter(Boolean);
    if (names.length === 0 || names.length > MAX_LOOKUP) {
      throw new ValidationFailed(`Give 1 to ${MAX_LOOKUP} usernames`, [{ instancePath: '/username', keyword: 'maxItems', message: `must list 1 to ${MAX_LOOKUP} usernames separated by commas`, in: 'querystring' }]);
    }
    const users = await app.users.lookup(request.principal, names);
    return { users: users.map((u) => ({ id: u._id, username: u.username, displayName: u.displayName, ...(u.studentId ? { studentId: u.studentId } : {}) })) };
  });

  app.patch<{ Params: IdParams; Body: FromSchema<typeof userPatch> }>('/api/users/:id', {
    schema: {
      tags: ['users'],
      summary: 'Change a user; password change, deactivation and role removal end their sessions at once',
      security: [{ bearer: [] }],
      params: idParams,
      body: userPatch,
      response: { 200: userSchema },
    },
  }, async (request) => {
    const { user, before, revoked, changed } = await app.users.update(request.principal, request.params.id, request.body);
    if (revoked || changed.includes('active')) {
      // Socket joins read the status from this cache; a failure here leaves it at most USER_STATUS_TTL_S old.
      await app.auth.userChanged(user._id).catch((err: unknown) => request.log.warn({ err }, 'auth: could not empty the status cache'));
    }
    if (revoked) await app.redis.publish(revocationChannel(app.config.REDIS_KEY_PREFIX), JSON.stringify({ userId: user._id, at: user.tokensValidAfter?.getTime() ?? Date.now() }));
    await app.audit.record(auditContext(request, ['admin']), {
      orgId: user.roles[0]?.orgId ?? request.principal.roles[0]!.orgId,
      action: 'user.update',
      target: `user:${user._id}`,
      summary: {
        changed,
        revoked,
        ...(request.body.roles ? { roles: request.body.roles, before: { roles: before.roles } } : {}),
        ...(request.body.active !== undefined ? { active: request.body.active, wasActive: before.active } : {}),
      },
    });
    return userView(user);
  });

  app.get<{ Params: IdParams }>('/api/users/:id', {
    schema: { tags: ['users'], summary: 'A user', security: [{ bearer: [] }], params: idParams, response: { 200: userSchema } },
  }, async (request) => userView(await app.users.get(request.principal, request.params.id)));
}
