import { ROLES } from './user-model.js';

/** JSON Schemas of users as the routes send and take them. */
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
