import { ValidationFailed } from '../errors.js';

// The page sizes are part of the list queries' contract (src/contracts/list-queries.ts).
export { DEFAULT_PAGE, MAX_PAGE } from '../contracts/list-queries.js';

/** The cursor of a list ordered by `_id`: the last `_id` served, opaque to clients. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The `_id` inside a cursor from {@link encodeCursor}; anything else is a 400. */
export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{24}$/.test(id)) {
    throw new ValidationFailed('The cursor is not one this list handed out', [
      { instancePath: '/cursor', keyword: 'cursor', message: 'must be a nextCursor value from an earlier page', in: 'querystring' },
    ]);
  }
  return id;
}
