/**
 * Renders the app's OpenAPI document as docs/api.md: routes grouped by tag,
 * each with its method and path, the roles it requires (`x-roles`, from the
 * route's `config.roles`), parameters, body and response fields, and the
 * error codes of the API. Pure apart from {@link sourceFiles}; used by
 * `npm run docs:api` (src/cli/api-docs.ts) and by the test that fails when
 * docs/api.md is out of date.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../infra/paths.js';

type Json = Record<string, unknown>;
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  description?: string;
  default?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  $ref?: string;
  title?: string;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
  description?: string;
}
interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, unknown>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  'x-roles'?: string[];
}
export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface ErrorCode {
  status: number;
  code: string;
  /** Source folders that raise it (src/bank, src/app.ts for the top level), relative to the repository. */
  files: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Status and code of the error classes of src/errors.ts whose code is fixed. */
const FIXED: Record<string, [number, string]> = {
  ValidationFailed: [400, 'validation_failed'],
  BadRequest: [400, 'bad_request'],
  Unauthenticated: [401, 'unauthenticated'],
  InvalidCredentials: [401, 'invalid_credentials'],
  Forbidden: [403, 'forbidden'],
  NotFound: [404, 'not_found'],
  RateLimited: [429, 'rate_limited'],
};
/** Error classes whose first argument is the code. */
const CODED: Record<string, number> = { Conflict: 409, Unprocessable: 422, ServiceUnavailable: 503 };

/** The server's TypeScript sources (the browser code under src/web excluded), in a stable order. */
export function sourceFiles(root = path.join(projectRoot(), 'src')): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'web') walk(full);
      } else if (entry.name.endsWith('.ts')) out.push({ path: path.relative(projectRoot(), full).split(path.sep).join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  walk(root);
  return out;
}

/** Every error code the sources raise through the error classes, and the app-level ones of app.ts. */
export function errorCodesIn(files: { path: string; text: string }[]): ErrorCode[] {
  const found = new Map<string, ErrorCode>();
  const add = (status: number, code: string, source: string) => {
    const parts = source.split('/');
    const file = parts.length > 2 ? parts.slice(0, 2).join('/') : source;
    const key = `${status} ${code}`;
    const entry = found.get(key) ?? { status, code, files: [] };
    if (!entry.files.includes(file)) entry.files.push(file);
    found.set(key, entry);
  };
  for (const { path: file, text } of files) {
    if (file === 'src/errors.ts') continue; // defines the classes, raises nothing
    for (const m of text.matchAll(/new (\w+)\(/g)) {
      const status = CODED[m[1]!];
      if (status) for (const code of literalCodes(firstArgument(text, m.index + m[0].length))) add(status, code, file);
      const fixed = FIXED[m[1]!];
      if (fixed) add(fixed[0], fixed[1], file);
    }
    // Subclasses with a code of their own: a class extending Conflict, Unprocessable or ServiceUnavailable that
    // passes a literal code to super, or one extending AppError that passes a status and a code.
    for (const m of text.matchAll(/class \w+ extends (\w+) \{(?:(?!class )[\s\S])*?super\(\s*(?:(\d{3}),\s*)?'([a-z_]+)'/g)) {
      const status = m[1] === 'AppError' ? Number(m[2]) : CODED[m[1]!];
      if (status) add(status, m[3]!, file);
    }
    // app.ts maps what Fastify itself refuses to a status and a code (its CLIENT_ERRORS table) and answers 404 and 500 directly.
    for (const m of text.matchAll(/status: (\d{3}), code: '([a-z_]+)'/g)) add(Number(m[1]), m[2]!, file);
    for (const m of text.matchAll(/reply\.code\((\d{3})\)\.send\(\{ error: \{ code: '([a-z_]+)'/g)) add(Number(m[1]), m[2]!, file);
  }
  return [...found.values()].sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
}

/** The source text of a call's first argument, from just after its opening parenthesis. */
function firstArgument(text: string, start: number): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return text.slice(start, i);
      depth--;
    } else if (c === ',' && depth === 0) return text.slice(start, i);
  }
  return text.slice(start);
}

/** The codes an argument can evaluate to: a literal, or the literal branches of a conditional (not the literals it compares with). */
function literalCodes(arg: string): string[] {
  return [...arg.matchAll(/(^|[?:])\s*'([a-z_]+)'/g)].map((m) => m[2]!);
}

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) s = doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')];
  return s;
}

function typeOf(doc: OpenApiDocument, schema: Schema | undefined): string {
  const s = resolve(doc, schema);
  if (!s) return 'any';
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return variants.map((v) => typeOf(doc, v)).join(' \\| ');
  let type = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? (s.properties ? 'object' : 'any'));
  if (type === 'array') type = `${typeOf(doc, s.items)}[]`;
  if (s.nullable) type += ' \\| null';
  return type;
}

function constraints(s: Schema): string {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  if (s.format) out.push(s.format);
  if (s.pattern) out.push(`pattern \`${s.pattern.replace(/\|/g, '\\|')}\``);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined || s.maxLength !== undefined) out.push(`length ${s.minLength ?? 0}–${s.maxLength ?? '∞'}`);
  if (s.minItems !== undefined || s.maxItems !== undefined) out.push(`${s.minItems ?? 0}–${s.maxItems ?? '∞'} items`);
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  if (s.description) out.push(s.description.replace(/\s+/g, ' ').replace(/\|/g, '\\|'));
  return out.join('; ');
}

/** Field rows (path, type, required, notes) of an object schema, nested objects and arrays of objects flattened with dots. */
function fields(doc: OpenApiDocument, schema: Schema | undefined, prefix = '', depth = 0): string[][] {
  const s = resolve(doc, schema);
  if (!s || depth > 5) return [];
  const rows: string[][] = [];
  const variants = s.oneOf ?? s.anyOf;
  if (variants && !s.properties) {
    variants.forEach((v, i) => {
      const sub = fields(doc, v, prefix, depth + 1);
      if (sub.length) rows.push([`${prefix || '(body)'} — variant ${i + 1}`, typeOf(doc, v), '', ''], ...sub);
    });
    return rows;
  }
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    const p = resolve(doc, raw) ?? {};
    const at = prefix ? `${prefix}.${name}` : name;
    rows.push([`\`${at}\``, typeOf(doc, p), s.required?.includes(name) ? 'yes' : '', constraints(p)]);
    const inner = p.type === 'array' || (Array.isArray(p.type) && p.type.includes('array')) ? resolve(doc, p.items) : p;
    if (inner && (inner.properties || ((inner.oneOf ?? inner.anyOf) && (inner.oneOf ?? inner.anyOf)!.some((v) => resolve(doc, v)?.properties)))) {
      rows.push(...fields(doc, inner, inner === p ? at : `${at}[]`, depth + 1));
    }
  }
  return rows;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map((c) => c || ' ').join(' | ')} |`)];
}

function anchor(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

/** docs/api.md for an OpenAPI document and the error codes of the sources. */
export function renderApiMarkdown(doc: OpenApiDocument, errors: ErrorCode[]): string {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      const list = byTag.get(tag) ?? [];
      list.push({ method: method.toUpperCase(), path: p, op });
      byTag.set(tag, list);
    }
  }
  const tags = [...byTag.keys()].sort();
  const out: string[] = [
    '# HTTP API',
    '',
    '<!-- Generated by `npm run docs:api` from the OpenAPI document the app serves at /docs/json; do not edit by hand. test/docs/api-docs.test.ts fails when this file is out of date. -->',
    '',
    `${doc.info?.title ?? 'API'} ${doc.info?.version ?? ''}: ${doc.info?.description ?? ''}`.trim(),
    '',
    'Every route under /api takes a bearer token (`Authorization: Bearer <token>` from `POST /api/auth/login`) unless it says otherwise.',
    '"Roles" lists the roles that may call a route (held at an organisation; a role at an organisation covers its subtree); routes without it are open to any signed-in user, the service then checks ownership and scope.',
    'Fields marked "required" must be present; bodies refuse unknown fields where the schema says so (`additionalProperties: false`).',
    'The live exam socket (`GET /ws`) and its messages are described in docs/architecture.md.',
    '',
    '## Errors',
    '',
    'Every error has the same body: `{"error": {"code": "<code>", "message": "<text for people>", "details": [...]}}`.',
    'A body, query or path that does not match the route\'s schema is a `400 validation_failed` whose details carry the schema errors (`instancePath`, `message`, `in`).',
    'These are the codes the server raises, with the status they come with and the parts of the server that raise them:',
    '',
    ...table(['Status', 'Code', 'Raised in'], errors.map((e) => [String(e.status), `\`${e.code}\``, e.files.join(', ')])),
    '',
    '## Contents',
    '',
    ...tags.map((t) => `- [${t}](#${anchor(t)}) (${byTag.get(t)!.length})`),
    '',
  ];
  for (const tag of tags) {
    out.push(`## ${tag}`, '');
    const routes = byTag.get(tag)!.sort((a, b) => a.path.localeCompare(b.path) || METHODS.indexOf(a.method.toLowerCase()) - METHODS.indexOf(b.method.toLowerCase()));
    for (const { method, path: p, op } of routes) {
      out.push(`### ${method} ${p}`, '');
      if (op.summary) out.push(op.summary, '');
      if (op.description) out.push(op.description, '');
      const auth = op.security?.length ? 'bearer token' : 'none';
      out.push(`- Authentication: ${auth}`);
      if (op['x-roles']?.length) out.push(`- Roles: ${op['x-roles'].map((r) => `\`${r}\``).join(', ')}`);
      out.push('');
      const params = op.parameters ?? [];
      if (params.length) {
        out.push('Parameters:', '');
        out.push(...table(['Name', 'In', 'Type', 'Required', 'Notes'], params.map((x) => [`\`${x.name}\``, x.in, typeOf(doc, x.schema), x.required ? 'yes' : '', x.schema ? constraints(resolve(doc, x.schema) ?? {}) : ''])));
        out.push('');
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const rows = fields(doc, media.schema);
        out.push(`Body (\`${type}\`)${rows.length ? ':' : `: ${typeOf(doc, media.schema)}`}`, '');
        if (rows.length) out.push(...table(['Field', 'Type', 'Required', 'Notes'], rows), '');
      }
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const content = Object.entries(response.content ?? {});
        if (!content.length) {
          out.push(`Response ${status}${response.description && response.description !== 'Default Response' ? `: ${response.description}` : ''}`, '');
          continue;
        }
        for (const [type, media] of content) {
          const rows = fields(doc, media.schema);
          out.push(`Response ${status} (\`${type}\`)${rows.length ? ':' : `: ${typeOf(doc, media.schema)}`}`, '');
          if (rows.length) out.push(...table(['Field', 'Type', 'Required', 'Notes'], rows), '');
        }
      }
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

export type { Json };
