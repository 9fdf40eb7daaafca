/** Schema fragments the route files share. */

/** Path parameters of routes on one thing by id (`/:id`). */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
