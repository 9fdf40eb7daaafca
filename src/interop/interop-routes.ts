import { PassThrough } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { FromSchema } from 'json-schema-to-ts';
import { AppError, BadRequest, ValidationFailed } from '../errors.js';
import { ItemAudit } from '../bank/item-audit.js';
import { BANK_ROLES } from '../bank/bank-access.js';
import type { CognitiveLevel } from '../bank/item-types.js';
import { topicMapProblem, type TopicMap } from './categories.js';
import { itemFilterProperties } from '../contracts/list-queries.js';
import { FORMAT_MODULES } from './formats.js';
import { exportModule } from './export-formats.js';
import type { ExportCounts, ImportDefaults } from './interop-service.js';
import { FORMATS, MAX_IMPORT_ITEMS, TooLarge } from './model.js';
import { templateWorkbook } from './xlsx.js';

const secured = [{ bearer: [] }];

const errorObject = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object', additionalProperties: true } } },
} as const;

const importQuery = {
  type: 'object',
  required: ['format'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: FORMATS },
    subject: { type: 'string', minLength: 1, maxLength: 64, description: 'For items whose file gives no subject' },
    grade: { type: 'integer', minimum: 1, maximum: 20 },
    topic: { type: 'string', minLength: 1, maxLength: 100 },
    cognitiveLevel: { type: 'integer', minimum: 1, maximum: 4 },
    language: { type: 'string', enum: ['vi', 'en'] },
    points: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    tag: { type: 'string', minLength: 1, maxLength: 100, description: 'Added to every imported item (e.g. the file name)' },
    ownerOrgId: { type: 'string', minLength: 1, maxLength: 64, description: 'Owning organisation when the author holds the role at several' },
    fileName: { type: 'string', minLength: 1, maxLength: 300, description: 'The file\'s name, kept in each item\'s `provenance.source.file` (a multipart upload gives it itself)' },
    topicMap: {
      type: 'string',
      maxLength: 20000,
      description:
        'Formats with categories (Moodle XML, GIFT `$CATEGORY:`): a JSON object from a category path (`A/B`, without `$course$/top`) or a leaf category name (`B`) to a topic slug. Unmapped categories give their leaf name as a slug; the categories above the leaf become tags',
    },
    formCode: { type: 'string', pattern: '^[0-9]{2,4}$', description: 'docx: the mã đề whose column of an answer table gives the keys (default: the paper\'s own, else the first)' },
    dryRun: {
      type: 'boolean',
      default: false,
      description: 'Write nothing (no items, no passages, no audit record): answer what would be stored, with each item as the bank would store it in `items`',
    },
  },
} as const;

/**
 * The import query as its schema types it, with cognitiveLevel narrowed to a
 * CognitiveLevel: the schema's integer bounds (1 to 4) guarantee it, which
 * FromSchema cannot express. An `enum` would say the same but change the
 * validation message clients get for a bad level.
 */
type ImportQuery = Omit<FromSchema<typeof importQuery>, 'cognitiveLevel'> & { cognitiveLevel?: CognitiveLevel };

const place = {
  index: { type: 'integer', description: 'Position among the file\'s questions, from 0' },
  line: { type: 'integer', description: 'Line (text formats) or row (spreadsheets) where the question starts' },
  number: { type: 'integer', description: 'The question\'s number as the file prints it ("Câu 12"), in formats that number questions (docx)' },
  section: { type: 'string', description: 'The file\'s section the question is in ("PHẦN II…", docx)' },
} as const;

const importReply = {
  type: 'object',
  required: ['imported', 'ids', 'failed'],
  properties: {
    imported: { type: 'integer', description: 'Items stored; with dryRun, items that would be' },
    ids: { type: 'array', items: { type: 'string' }, description: 'The stored items (empty with dryRun)' },
    failed: {
      type: 'array',
      items: { type: 'object', properties: { ...place, error: errorObject } },
    },
    warnings: {
      type: 'array',
      description: 'What the format said that the items could not keep (partial credit, weights, units, pictures), and what was inferred (a key from an answer table, a type from a section)',
      items: { type: 'object', properties: { index: place.index, line: place.line, number: place.number, messages: { type: 'array', items: { type: 'string' } } } },
    },
    fileWarnings: { type: 'array', items: { type: 'string' }, description: 'About the file as a whole' },
    stimuli: {
      type: 'array',
      description: 'The shared passages of the file, stored before their items (dryRun: as they would be stored; items name them by `ref` in `stimulusId`)',
      items: { type: 'object', properties: { ref: { type: 'string' }, id: { type: 'string' }, title: { type: 'string' }, content: { type: 'string' } } },
    },
    dryRun: { type: 'boolean', description: 'Present and true when nothing was written' },
    items: {
      type: 'array',
      description: 'dryRun only: each item exactly as it would be stored (defaults, detected language and owner filled in, HTML sanitised)',
      items: { type: 'object', properties: { ...place, item: { type: 'object', additionalProperties: true } } },
    },
  },
} as const;

const exportQuery = {
  type: 'object',
  required: ['format'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: FORMATS },
    ...itemFilterProperties,
  },
} as const;

const binary = { description: 'The file', type: 'string', format: 'binary' } as const;

/** The topicMap query field as an object, or 400. */
function topicMapOf(raw: string | undefined): TopicMap | undefined {
  if (raw === undefined) return undefined;
  let map: unknown;
  try {
    map = JSON.parse(raw);
  } catch {
    throw new ValidationFailed('topicMap must be a JSON object', [{ instancePath: '/topicMap', keyword: 'format', message: 'must be a JSON object' }]);
  }
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new ValidationFailed('topicMap must be a JSON object', [{ instancePath: '/topicMap', keyword: 'type', message: 'must be a JSON object' }]);
  const problem = topicMapProblem(map as Record<string, unknown>);
  if (problem) throw new ValidationFailed(problem, [{ instancePath: '/topicMap', keyword: 'pattern', message: problem }]);
  return map as TopicMap;
}

/** The uploaded files: the question file (with its name, when multipart says it), and (multipart only) a separate answer-key file. */
async function filesOf(request: FastifyRequest): Promise<{ file: Buffer; name?: string; answerKey?: Buffer }> {
  if (request.isMultipart()) {
    let file: Buffer | undefined;
    let name: string | undefined;
    let answerKey: Buffer | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue;
        if (part.fieldname === 'file' && !file) {
          file = await part.toBuffer();
          if (part.filename) name = part.filename;
        } else if (part.fieldname === 'answerKey' && !answerKey) answerKey = await part.toBuffer();
        else part.file.resume();
      }
    } catch (err) {
      const e = err as { code?: string; statusCode?: number; message?: string };
      if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw new TooLarge('The uploaded file is larger than allowed');
      if (err instanceof AppError || (e.statusCode && e.statusCode < 500)) throw err;
      // The multipart reader's own errors ("Unexpected end of form") are a malformed body.
      throw new BadRequest(`The multipart body cannot be read: ${e.message ?? 'malformed'}`);
    }
    if (!file) throw new BadRequest('The multipart body has no file field named "file"');
    return { file, ...(name ? { name } : {}), ...(answerKey ? { answerKey } : {}) };
  }
  if (!Buffer.isBuffer(request.body)) throw new BadRequest('Send the file as the request body or as the multipart field "file"');
  return { file: request.body };
}

async function interopRoutes(app: FastifyInstance) {
  const { interop } = app.services;
  const itemAudit = new ItemAudit(app);

  // This plugin's context only: import bodies are files, not JSON.
  app.removeAllContentTypeParsers();
  await app.register(multipart, { limits: { fileSize: app.config.BODY_LIMIT, files: 2, fields: 20, parts: 25 } });
  // Any other content type (text, XML, zip, xlsx, octet-stream) is the file itself, as bytes.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: app.config.BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.post<{ Querystring: ImportQuery }>('/api/items/import', {
    config: { roles: ['author'] },
    onRequest: app.authenticate,
    schema: {
      tags: ['bank'],
      summary: `Import a question file (up to ${MAX_IMPORT_ITEMS} questions): every question becomes a draft item of the caller's organisation; per-question results`,
      description:
        'The file is the raw request body (any content type) or the multipart field `file`; with format=docx a multipart body may add the paper\'s separate answer-key document ("đáp án" file: an answer table by question number or by mã đề, or a marking guide) as the field `answerKey`, read as the paper\'s answer area. Questions that cannot become items are listed in `failed` with their index (and line, or printed number), and never stop the others. Passages the file\'s questions share (docx) are stored first, and their items refer to them. Query fields other than `format`, `formCode` and `dryRun` fill in what the file does not say; the language, when neither the file nor the query gives it, is detected from the text (Vietnamese letters: vi, else en). With `dryRun=true` nothing is written and the answer lists each item as it would be stored.',
      security: secured,
      consumes: [
        'text/plain',
        'application/xml',
        'application/zip',
        'text/csv',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'multipart/form-data',
      ],
      querystring: importQuery,
      response: { 200: importReply, 400: { type: 'object', properties: { error: errorObject } }, 413: { type: 'object', properties: { error: errorObject } } },
    },
  }, async (request) => {
    const { format, tag, formCode, dryRun, fileName, topicMap, ...rest } = request.query;
    const map = topicMapOf(topicMap);
    const { file, name: uploadName, answerKey } = await filesOf(request);
    const name = fileName ?? uploadName;
    const defaults: ImportDefaults = { ...rest, ...(tag ? { tags: [tag] } : {}), ...(map ? { topicMap: map } : {}), source: { format, ...(name ? { file: name } : {}) } };
    const report = await interop.importFile(request.principal, format, file, defaults, { ...(formCode ? { formCode } : {}), ...(answerKey ? { answerKey } : {}), dryRun: dryRun === true });
    // A dry run wrote nothing, so there is no import to record.
    return dryRun ? report : itemAudit.imported(request, format, report);
  });

  app.get<{ Querystring: FromSchema<typeof exportQuery> }>('/api/items/export', {
    config: { roles: BANK_ROLES },
    onRequest: app.authenticate,
    schema: {
      tags: ['bank'],
      summary: 'Export the items matching the search filters as a file, streamed',
      description:
        'Items whose key the caller may not read are left out. Types the format cannot carry are left out and named in the `x-export-skipped-types` header; asking for such a type with `type=` is a 400. Trailers `x-export-items` and `x-export-without-key` give the counts. docx writes the passages the items share, those the caller may read (GET /api/stimuli/:id), before their questions; the trailer `x-export-passages-withheld` counts the others, whose items are written without them. An item with a recording (`audio`) is written in every format; the trailer `x-export-audio-dropped` counts those written without it: in every format but qti, and in qti those whose file the caller may not read.',
      security: secured,
      querystring: exportQuery,
      produces: ['text/plain', 'application/xml', 'application/zip', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      response: { 200: binary },
    },
  }, async (request, reply) => {
    const { format, ...filters } = request.query;
    const module = exportModule(format);
    if (!module.write) throw new BadRequest(`The ${format} format is read by imports only; export in another format`);
    if (filters.type !== undefined && !module.types.includes(filters.type)) {
      throw new BadRequest(`The ${format} format cannot carry ${filters.type} items; it carries ${module.types.join(', ')}`);
    }
    const skipped = await interop.unsupportedPresent(request.principal, format, filters);
    await itemAudit.exporting(request, format, filters);
    const out = new PassThrough();
    let counts: ExportCounts = { written: 0, withoutKey: 0, passagesWithheld: 0, audioDropped: 0 };
    const done = interop.exportTo(request.principal, format, filters, out).then(
      (c) => {
        counts = c;
        out.end();
      },
      (err: unknown) => {
        // A client that hung up closed `out` first; anything else is a real failure.
        if (out.destroyed) return;
        request.log.error({ err }, 'export failed');
        out.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
    reply.raw.once('close', () => out.destroy());
    reply
      .header('content-type', module.contentType)
      .header('content-disposition', `attachment; filename="items.${module.extension}"`)
      .header('cache-control', 'no-store');
    if (skipped.length) reply.header('x-export-skipped-types', skipped.join(','));
    reply.trailer('x-export-items', async () => {
      await done;
      return String(counts.written);
    });
    reply.trailer('x-export-without-key', async () => {
      await done;
      return String(counts.withoutKey);
    });
    reply.trailer('x-export-passages-withheld', async () => {
      await done;
      return String(counts.passagesWithheld);
    });
    reply.trailer('x-export-audio-dropped', async () => {
      await done;
      return String(counts.audioDropped);
    });
    return reply.send(out);
  });

  let template: Promise<Buffer> | null = null;
  app.get('/api/items/import/template.xlsx', {
    schema: {
      tags: ['bank'],
      summary: 'The Vietnamese spreadsheet template for the 2025 formats (Phần I, II, III); import it back with format=xlsx',
      produces: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      response: { 200: binary },
    },
  }, async (_request, reply) => {
    template ??= templateWorkbook();
    return reply
      .header('content-type', FORMAT_MODULES.xlsx.contentType)
      .header('content-disposition', 'attachment; filename="mau-cau-hoi-2025.xlsx"')
      .send(await template);
  });
}

/**
 * Question files in and out: POST /api/items/import, GET /api/items/export,
 * GET /api/items/import/template.xlsx. Its body parsers (raw files,
 * multipart) stay inside this plugin.
 */
export default fp(interopRoutes, { name: 'interop', dependencies: ['bank', 'auth'], encapsulate: true });
