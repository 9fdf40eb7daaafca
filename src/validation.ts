import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ValidationFailed } from './errors.js';

/**
 * The engine's own ajv (draft 2020-12), for what is validated outside route
 * schemas: item documents, bulk rows, imported records. Compiled validators
 * are cached by ajv, so compile once at module load.
 */
export const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

export type Detail = { instancePath: string; message: string; keyword?: string; params?: Record<string, unknown> };

export function detailsOf(errors: ErrorObject[] | null | undefined, prefix = ''): Detail[] {
  return (errors ?? []).map((e) => ({
    instancePath: prefix + e.instancePath,
    keyword: e.keyword,
    message: e.message ?? 'is invalid',
    params: e.params as Record<string, unknown>,
  }));
}

/** Validates or throws `validation_failed` with ajv's details. */
export function assertValid<T>(validate: ValidateFunction<T>, value: unknown, what: string): asserts value is T {
  if (!validate(value)) throw new ValidationFailed(`${what} is not valid`, detailsOf(validate.errors));
}

/**
 * How deep JSON input (request bodies, socket frames) may nest. The deepest
 * document the API takes (a blueprint: sections, cells, their fields) needs
 * fewer than ten levels; recursive code (stringify, sanitisers, the BSON
 * writer) would overflow the stack on thousands.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text opens more than `max` arrays or objects inside each other,
 * found by one pass over the text (brackets inside strings do not count), so
 * that such a document is refused before it is ever parsed.
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
