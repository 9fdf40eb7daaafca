/**
 * The query strings of the staff lists, one schema each for both sides: the
 * server validates GET /api/items, GET /api/stimuli and GET /api/exams with
 * these objects, and the browser's staff client takes the types derived from
 * them. Browser-safe: no Node or server imports (json-schema-to-ts is types only).
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { EXAM_STATUSES } from './exams.js';
import { ITEM_STATUSES, ITEM_TYPES } from './items.js';

/** Page size of bank lists when none is asked for. @defaultValue 50 */
export const DEFAULT_PAGE = 50;
/** Largest page a bank list serves. */
export const MAX_PAGE = 200;

/** The bank's item filters: GET /api/items's, and GET /api/items/export's beside its format. */
export const itemFilterProperties = {
  subject: { type: 'string', minLength: 1, maxLength: 64 },
  grade: { type: 'integer', minimum: 1, maximum: 20 },
  topic: { type: 'string', minLength: 1, maxLength: 100 },
  cognitiveLevel: { type: 'integer', minimum: 1, maximum: 4 },
  type: { type: 'string', enum: ITEM_TYPES },
  status: { type: 'string', enum: ITEM_STATUSES },
  tag: { type: 'string', minLength: 1, maxLength: 100 },
  q: { type: 'string', maxLength: 500, description: 'Words of the stem and options; case, diacritics (đ too) and Unicode normal form do not matter' },
  stimulusId: { type: 'string', minLength: 1, maxLength: 64 },
} as const;

const itemSearchProperties = {
  ...itemFilterProperties,
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
  cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' },
} as const;

/** GET /api/items: the bank's filters and paging. */
export const itemSearchQuery = {
  type: 'object',
  properties: itemSearchProperties,
  // Not additionalProperties: Fastify's ajv would silently drop a misspelt filter and list everything.
  propertyNames: { enum: Object.keys(itemSearchProperties) },
} as const;

const stimulusSearchProperties = {
  subject: { type: 'string', minLength: 1, maxLength: 64 },
  grade: { type: 'integer', minimum: 1, maximum: 20 },
  topic: { type: 'string', minLength: 1, maxLength: 100 },
  tag: { type: 'string', minLength: 1, maxLength: 100 },
  q: { type: 'string', maxLength: 200, description: 'Part of the title; case and diacritics do not matter' },
  limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
  cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' },
} as const;

/** GET /api/stimuli: the passage list's filters and paging. */
export const stimulusSearchQuery = { type: 'object', properties: stimulusSearchProperties, propertyNames: { enum: Object.keys(stimulusSearchProperties) } } as const;

const examSearchProperties = {
  status: { type: 'string', enum: EXAM_STATUSES },
  subject: { type: 'string', minLength: 1, maxLength: 64 },
  grade: { type: 'integer', minimum: 1, maximum: 20 },
  q: { type: 'string', minLength: 1, maxLength: 200, description: 'Part of the title, ignoring case' },
  closesAfter: { type: 'string', format: 'date-time', description: 'Only exams whose window ends at or after this instant' },
  opensBefore: { type: 'string', format: 'date-time', description: 'Only exams whose window opens before this instant' },
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' },
} as const;

/** GET /api/exams: the exam list's filters and paging. */
export const examSearchQuery = { type: 'object', properties: examSearchProperties, propertyNames: { enum: Object.keys(examSearchProperties) } } as const;

/**
 * What a client sends: every field optional (defaults are the server's), and
 * only the schema's own fields. json-schema-to-ts reads no `propertyNames`, so
 * it would allow any other key; the schema refuses them, and so does this type.
 */
type Sent<S extends JSONSchema> = FromSchema<S & { additionalProperties: false }, { keepDefaultedPropertiesOptional: true }>;

/** A query of GET /api/items as a client sends it. */
export type ItemSearch = Sent<typeof itemSearchQuery>;
/** A query of GET /api/stimuli as a client sends it. */
export type StimulusSearch = Sent<typeof stimulusSearchQuery>;
/** A query of GET /api/exams as a client sends it. */
export type ExamSearch = Sent<typeof examSearchQuery>;
