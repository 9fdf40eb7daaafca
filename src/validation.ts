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
