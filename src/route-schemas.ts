/** Schema fragments the route files share, with the request types derived from them. */
import type { FromSchema } from 'json-schema-to-ts';

/** Path parameters of routes on one thing by id (`/:id`). */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
export type IdParams = FromSchema<typeof idParams>;
