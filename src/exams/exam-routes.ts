import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import type { ExamView } from '../contracts/exams.js';
import { examSearchQuery } from '../contracts/list-queries.js';
import { auditContext } from '../audit/audit-context.js';
import { Forbidden, NotFound } from '../errors.js';
import type { ExamAudience } from './exam-service.js';
import { listExams } from './exam-list.js';
import { EXAM_MODES, SHOW_FEEDBACK, SHOW_RESULTS, type Exam } from './exam-model.js';
import { answerKeyCsv, answerKeyRows, managerFormView } from './form-views.js';
import { answerKeyDocx, DOCX_TYPE, formPaperDocx, type DocxFile } from './exam-docx.js';
import { KATEX_DIST, printableForm } from './printable.js';
import { auditSecretRead } from './secrecy.js';
import { KEY_WITHHELD_REASON } from '../bank/key-access.js';
import { idParams, type IdParams } from '../route-schemas.js';

const formParams = {
  type: 'object',
  required: ['id', 'code'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 }, code: { type: 'string', minLength: 1, maxLength: 8 } },
} as const;

const formFormatQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'html', 'docx'], default: 'json' } } } as const;
const keyFormatQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'csv', 'docx'], default: 'json' } } } as const;

/** The adaptive test of an adaptive exam (docs/adaptive.md); the engine checks the values further (422 adaptive_config_invalid). */
export const adaptiveSettingsSchema = {
  type: 'object',
  required: ['stop'],
  additionalProperties: false,
  properties: {
    stop: {
      type: 'object',
      required: ['maxItems'],
      additionalProperties: false,
      properties: {
        maxItems: { type: 'integer', minimum: 1, maximum: 10000, description: 'Most operational items; a fixed-length test sets only this' },
        minItems: { type: 'integer', minimum: 0, description: 'Operational items before the SE rule may end the test (default 1)' },
        seTarget: { type: 'number', exclusiveMinimum: 0, description: 'End once the standard error of θ is at most this (logits)' },
      },
    },
    prior: { type: 'object', required: ['mean', 'sd'], additionalProperties: false, properties: { mean: { type: 'number' }, sd: { type: 'number', exclusiveMinimum: 0 } }, description: 'Normal prior of θ for the EAP estimate (default N(0, 1))' },
    exposure: {
      type: 'object',
      required: ['method'],
      additionalProperties: false,
      properties: {
        method: { type: 'string', enum: ['none', 'randomesque', 'sympson-hetter'] },
        k: { type: 'integer', minimum: 1, maximum: 1000 },
        parameters: { type: 'object', additionalProperties: { type: 'number' } },
      },
      description: 'Exposure control (default randomesque with k = 5)',
    },
    pretest: {
      type: 'object',
      required: ['itemIds'],
      additionalProperties: false,
      properties: {
        itemIds: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 64 }, description: "Approved items of the blueprint's cells given unscored, to collect calibration data" },
        positions: { type: 'array', maxItems: 1000, items: { type: 'integer', minimum: 1 } },
        rate: { type: 'number', minimum: 0, maximum: 1 },
        maxPerCandidate: { type: 'integer', minimum: 0 },
      },
    },
    score10: {
      type: 'object',
      required: ['method'],
      additionalProperties: false,
      properties: { method: { type: 'string', enum: ['expected-score', 'linear'] }, thetaMin: { type: 'number' }, thetaMax: { type: 'number' } },
      description: 'θ to the 10-point scale (default expected-score)',
    },
  },
} as const;

export const newExamSchema = {
  type: 'object',
  required: ['title', 'blueprintId', 'formCount', 'opensAt', 'closesAt', 'durationMinutes', 'candidateIds', 'showResults'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 300 },
    blueprintId: { type: 'string', minLength: 1, maxLength: 64 },
    formCount: { type: 'integer', minimum: 1, maximum: 100 },
    seed: { anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'integer' }] },
    opensAt: { type: 'string', format: 'date-time' },
    closesAt: { type: 'string', format: 'date-time' },
    durationMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
    candidateIds: { type: 'array', maxItems: 100000, items: { type: 'string', minLength: 1, maxLength: 64 } },
    showResults: { type: 'string', enum: SHOW_RESULTS },
    showFeedback: {
      type: 'string',
      enum: SHOW_FEEDBACK,
      default: 'with_details',
      description: 'When candidates read the feedback and hints of the items: with the points per item (once the exam has closed, where showResults shows results), or never',
    },
    mode: { type: 'string', enum: EXAM_MODES, default: 'fixed', description: 'fixed: parallel forms; adaptive: each next item chosen from the calibrated bank (then formCount is 1 and adaptive is required)' },
    adaptive: adaptiveSettingsSchema,
    orgId: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const examSchema = {
  type: 'object',
  required: ['id', 'title', 'status', 'opensAt', 'closesAt', 'durationMinutes'],
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'string' },
    blueprintId: { type: 'string' },
    blueprintTitle: { type: 'string', description: "The blueprint's name, for callers who may read the blueprint (GET /api/exams/:id only)" },
    subject: { type: 'string' },
    grade: { type: 'integer' },
    formCount: { type: 'integer' },
    seed: { type: 'string' },
    opensAt: { type: 'string', format: 'date-time' },
    closesAt: { type: 'string', format: 'date-time' },
    durationMinutes: { type: 'integer' },
    candidateIds: { type: 'array', items: { type: 'string' } },
    showResults: { type: 'string' },
    showFeedback: { type: 'string', enum: SHOW_FEEDBACK },
    ownerOrgId: { type: 'string' },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    formCodes: { type: 'array', items: { type: 'string' } },
    overlap: { type: 'number' },
    difficultySpread: { type: 'number' },
    assembledAt: { type: 'string', format: 'date-time' },
    publishedAt: { type: 'string', format: 'date-time' },
    mode: { type: 'string', enum: EXAM_MODES },
    adaptive: { ...adaptiveSettingsSchema, description: 'Exam managers only' },
  },
} as const;

const formSummarySchema = {
  type: 'object',
  required: ['code', 'itemCount', 'totalPoints', 'meanDifficulty', 'hash'],
  properties: {
    code: { type: 'string' },
    itemCount: { type: 'integer' },
    totalPoints: { type: 'number' },
    meanDifficulty: { type: 'number' },
    hash: { type: 'string' },
  },
} as const;

const assembleSchema = {
  type: 'object',
  required: ['seed', 'forms', 'overlap', 'difficultySpread'],
  properties: {
    seed: { type: 'string' },
    forms: { type: 'array', items: formSummarySchema },
    overlap: { type: 'number', description: 'Largest share of items two forms have in common' },
    difficultySpread: { type: 'number', description: 'Highest minus lowest form mean difficulty' },
    adaptive: {
      type: 'object',
      description: 'Adaptive exams: how the pool form was made (operational calibrated items, pretest items, and approved items of the cells left out)',
      properties: {
        operational: { type: 'integer' },
        pretest: { type: 'integer' },
        left: { type: 'object', properties: { uncalibrated: { type: 'integer' }, notDichotomous: { type: 'integer' } } },
      },
    },
  },
} as const;

const managerFormSchema = {
  type: 'object',
  properties: {
    examId: { type: 'string' },
    examTitle: { type: 'string' },
    examStatus: { type: 'string' },
    code: { type: 'string' },
    hash: { type: 'string' },
    itemCount: { type: 'integer' },
    totalPoints: { type: 'number' },
    meanDifficulty: { type: 'number' },
    sections: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, title: { type: 'string' } } } },
    // Full item content in delivery order, exam managers only; with the key, unless `keyWithheld` says it is left out.
    items: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;

const answerKeySchema = {
  type: 'object',
  properties: {
    forms: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                number: { type: 'integer' },
                section: { type: 'integer' },
                itemId: { type: 'string' },
                revision: { type: 'integer' },
                type: { type: 'string' },
                points: { type: 'number' },
                key: { type: 'string' },
                keyWithheld: { type: 'boolean', description: 'True instead of `key` while the key is not yours to read (see withheldReason)' },
                withheldReason: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** What each audience sees of an exam: candidates never see the roster or the seed. */
export function examView(exam: Exam, audience: ExamAudience): ExamView {
  const base: ExamView = {
    id: exam._id,
    title: exam.title,
    status: exam.status,
    subject: exam.subject,
    grade: exam.grade,
    opensAt: exam.opensAt.toISOString(),
    closesAt: exam.closesAt.toISOString(),
    durationMinutes: exam.durationMinutes,
    showResults: exam.showResults,
    showFeedback: exam.showFeedback ?? 'with_details',
    mode: exam.mode ?? 'fixed',
  };
  if (audience === 'candidate') return base;
  Object.assign(base, {
    blueprintId: exam.blueprintId,
    formCount: exam.formCount,
    candidateIds: exam.candidateIds,
    ownerOrgId: exam.ownerOrgId,
    createdBy: exam.createdBy,
    createdAt: exam.createdAt.toISOString(),
    formCodes: exam.formCodes ?? [],
  });
  if (exam.publishedAt) base.publishedAt = exam.publishedAt.toISOString();
  if (audience !== 'manager') return base;
  base.seed = exam.seed;
  if (typeof exam.overlap === 'number') base.overlap = exam.overlap;
  if (typeof exam.difficultySpread === 'number') base.difficultySpread = exam.difficultySpread;
  if (exam.assembledAt) base.assembledAt = exam.assembledAt.toISOString();
  if (exam.adaptive) base.adaptive = exam.adaptive;
  return base;
}

/** KaTeX's stylesheet and fonts for the printable forms (public, immutable, allow-listed by name). */
const KATEX_FONTS = new Set(readdirSync(path.join(KATEX_DIST, 'fonts')));
const fontParams = { type: 'object', required: ['file'], properties: { file: { type: 'string' } } } as const;
const FONT_TYPES: Record<string, string> = { '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf' };

async function katexAssets(app: FastifyInstance) {
  const cache = 'public, max-age=31536000, immutable';
  app.get('/static/katex/katex.min.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', cache).send(createReadStream(path.join(KATEX_DIST, 'katex.min.css'))),
  );
  app.get<{ Params: FromSchema<typeof fontParams> }>('/static/katex/fonts/:file', { schema: { hide: true, params: fontParams } }, async (request, reply) => {
    const file = request.params.file;
    if (!KATEX_FONTS.has(file)) throw new NotFound('Font');
    return reply.type(FONT_TYPES[path.extname(file)] ?? 'application/octet-stream').header('cache-control', cache).send(createReadStream(path.join(KATEX_DIST, 'fonts', file)));
  });
}

function sendDocx(reply: FastifyReply, file: DocxFile) {
  return reply.type(DOCX_TYPE).header('content-disposition', `attachment; filename="${file.filename}"`).header('cache-control', 'private, no-store').send(file.bytes);
}

async function routes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);
  const security = [{ bearer: [] }];

  app.post<{ Body: FromSchema<typeof newExamSchema> }>('/api/exams', {
    config: { roles: ['exam_manager'] },
    schema: { tags: ['exams'], summary: 'Create an exam (exam_manager); the seed is generated when not given', security, body: newExamSchema, response: { 201: examSchema } },
  }, async (request, reply) => {
    const exam = await app.exams.create(request.principal, request.body);
    await app.audit.record(auditContext(request, ['exam_manager']), {
      orgId: exam.ownerOrgId,
      action: 'exam.create',
      target: `exam:${exam._id}`,
      summary: { title: exam.title, blueprintId: exam.blueprintId, formCount: exam.formCount, seed: exam.seed, candidates: exam.candidateIds.length },
    });
    return reply.code(201).send(examView(exam, 'manager'));
  });

  app.get<{ Querystring: FromSchema<typeof examSearchQuery> }>('/api/exams', {
    config: { roles: ['exam_manager', 'exam_board', 'proctor', 'admin'] },
    schema: {
      tags: ['exams'],
      summary: "The exams of the caller's organisations and their subtrees (exam_manager, exam_board, proctor, admin); cursor pagination in creation order",
      description: 'Each exam as GET /api/exams/:id shows it to the caller, without the roster (candidateCount instead). Candidates list theirs with GET /api/my/exams.',
      security,
      querystring: examSearchQuery,
      response: {
        200: {
          type: 'object',
          properties: {
            exams: { type: 'array', items: { ...examSchema, properties: { ...examSchema.properties, candidateCount: { type: 'integer' } } } },
            nextCursor: { type: ['string', 'null'] },
          },
        },
      },
    },
  }, async (request) => {
    const { exams, nextCursor } = await listExams(app.models.Exam, app.access, request.principal, request.query);
    return {
      exams: exams.map(({ exam, audience }) => {
        const { candidateIds: _roster, ...view } = examView(exam, audience);
        return { ...view, candidateCount: exam.candidateIds.length };
      }),
      nextCursor,
    };
  });

  app.get<{ Params: IdParams }>('/api/exams/:id', {
    schema: { tags: ['exams'], summary: 'An exam (managers: everything; proctors: no seed; candidates: the window only)', security, params: idParams, response: { 200: examSchema } },
  }, async (request) => {
    const { exam, audience } = await app.exams.read(request.principal, request.params.id);
    const view = examView(exam, audience);
    if (audience === 'manager' && exam.blueprintId) {
      // The blueprint's own rule decides: a manager who may not read it sees its id only.
      const blueprint = await app.blueprints.get(request.principal, exam.blueprintId).catch((err: unknown) => {
        if (err instanceof NotFound || err instanceof Forbidden) return null;
        throw err;
      });
      if (blueprint) view.blueprintTitle = blueprint.title;
    }
    return view;
  });

  app.post<{ Params: IdParams }>('/api/exams/:id/assemble', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'Assemble the forms from the approved bank (replaces earlier draft forms; 409 exam_locked once published)',
      security,
      params: idParams,
      response: { 200: assembleSchema },
    },
  }, async (request, reply) => {
    const { summary, exam, timings } = await app.exams.assemble(request.principal, request.params.id);
    // The hashes make the drawn forms tamper-evident in the audit chain.
    await app.audit.record(auditContext(request, ['exam_manager']), {
      orgId: exam.ownerOrgId,
      action: 'exam.assemble',
      target: `exam:${exam._id}`,
      summary: { seed: summary.seed, forms: summary.forms.map((f) => `${f.code}:${f.hash}`), overlap: summary.overlap, difficultySpread: summary.difficultySpread },
    });
    const dur = (ms: number) => ms.toFixed(1);
    reply.header('server-timing', `pools;desc="bank read";dur=${dur(timings.poolReadMs)}, draw;dur=${dur(timings.drawMs)}, store;dur=${dur(timings.storeMs)}`);
    return summary;
  });

  app.post<{ Params: IdParams }>('/api/exams/:id/publish', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'Publish the exam and freeze its forms',
      security,
      params: idParams,
      response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } },
    },
  }, async (request) => {
    const exam = await app.exams.publish(request.principal, request.params.id);
    const forms = await app.exams.currentForms(exam);
    await app.audit.record(auditContext(request, ['exam_manager']), {
      orgId: exam.ownerOrgId,
      action: 'exam.publish',
      target: `exam:${exam._id}`,
      summary: { forms: forms.map((f) => `${f.code}:${f.hash}`) },
    });
    return { status: exam.status };
  });

  app.get<{ Params: IdParams }>('/api/exams/:id/forms', {
    config: { roles: ['exam_manager'] },
    schema: { tags: ['exams'], summary: 'The current forms, without items (exam_manager)', security, params: idParams, response: { 200: { type: 'object', properties: { forms: { type: 'array', items: formSummarySchema } } } } },
  }, async (request) => {
    const exam = await app.exams.managed(request.principal, request.params.id);
    const forms = await app.exams.currentForms(exam);
    return { forms: forms.map((f) => ({ code: f.code, itemCount: f.itemCount, totalPoints: f.totalPoints, meanDifficulty: f.meanDifficulty, hash: f.hash })) };
  });

  app.get<{ Params: FromSchema<typeof formParams>; Querystring: FromSchema<typeof formFormatQuery> }>('/api/exams/:id/forms/:code', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'One form with its key, in delivery order (exam_manager); ?format=html gives the printable paper form without the key, ?format=docx the same paper as a Word document',
      description: 'Before the exam is published and open, the keys of items the caller may not author or review in the bank are withheld (`keyWithheld: true`)',
      security,
      params: formParams,
      querystring: formFormatQuery,
      response: { 200: { content: { 'application/json': { schema: managerFormSchema }, 'text/html': { schema: { type: 'string' } }, [DOCX_TYPE]: { schema: { type: 'string', format: 'binary' } } } } },
    },
  }, async (request, reply) => {
    if (request.query.format === 'docx') {
      const file = await formPaperDocx(app.exams, app.services.orgs, request.principal, request.params.id, request.params.code, (content) =>
        app.services.media.files(request.principal, content),
      );
      await auditSecretRead(app, request, file.exam, { action: 'exam.form_read', formCodes: file.formCodes, format: 'docx' });
      return sendDocx(reply, file);
    }
    const { exam, form, revisions, blueprint, readsKey } = await app.exams.managedForm(request.principal, request.params.id, request.params.code);
    await auditSecretRead(app, request, exam, { action: 'exam.form_read', formCodes: [form.code], format: request.query.format ?? 'json' });
    if (request.query.format === 'html') {
      const stimuli = await app.exams.passagesOf(exam, form, revisions);
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; img-src data:")
        .header('cache-control', 'private, no-store')
        .send(printableForm({ exam, form, revisions, blueprint, stimuli }));
    }
    return reply.type('application/json; charset=utf-8').send(managerFormView(exam, form, revisions, blueprint, readsKey));
  });

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof keyFormatQuery> }>('/api/exams/:id/answer-key', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['exams'],
      summary: 'The answer key of every form (exam_manager); ?format=csv gives UTF-8 CSV with a BOM, ?format=docx one Word table of all mã đề',
      description: 'Before the exam is published and open, the keys of items the caller may not author or review in the bank are withheld (`keyWithheld: true`; in the CSV the key cell says so)',
      security,
      params: idParams,
      querystring: keyFormatQuery,
      response: { 200: { content: { 'application/json': { schema: answerKeySchema }, 'text/csv': { schema: { type: 'string' } }, [DOCX_TYPE]: { schema: { type: 'string', format: 'binary' } } } } },
    },
  }, async (request, reply) => {
    if (request.query.format === 'docx') {
      const file = await answerKeyDocx(app.exams, app.services.orgs, request.principal, request.params.id);
      await auditSecretRead(app, request, file.exam, { action: 'exam.key_read', formCodes: file.formCodes, format: 'docx' });
      return sendDocx(reply, file);
    }
    const { exam, forms, revisions, readsKey } = await app.exams.managedForms(request.principal, request.params.id);
    await auditSecretRead(app, request, exam, { action: 'exam.key_read', formCodes: forms.map((f) => f.code), format: request.query.format ?? 'json' });
    const rows = answerKeyRows(forms, revisions, readsKey);
    reply.header('cache-control', 'private, no-store');
    if (request.query.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="answer-key-${exam._id}.csv"`)
        .send(answerKeyCsv(rows));
    }
    return reply.type('application/json; charset=utf-8').send({
      forms: forms.map((f) => ({
        code: f.code,
        items: rows
          .filter((r) => r.formCode === f.code)
          .map(({ formCode: _code, key, ...row }) => (key === null ? { ...row, keyWithheld: true, withheldReason: KEY_WITHHELD_REASON } : { ...row, key })),
      })),
    });
  });
}

/** Serves /api/exams and the KaTeX assets of printable forms (the service is `app.exams`, from the composition root). */
export default fp(
  async (app) => {
    await app.register(katexAssets);
    await app.register(routes);
  },
  { name: 'exams', dependencies: ['services', 'auth', 'bank', 'blueprints'] },
);
