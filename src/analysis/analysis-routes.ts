import fp from 'fastify-plugin';
import { examFor, GRADE_MANAGERS } from '../grading/exam-access.js';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import { analysisCsv, analysisHtml } from './analysis-views.js';
import { idParams, type IdParams } from '../route-schemas.js';

const num = { type: ['number', 'null'] } as const;

const optionSchema = {
  type: 'object',
  properties: {
    count: { type: 'integer' },
    share: { type: 'number' },
    pointBiserial: num,
    key: { type: 'boolean' },
    upperShare: num,
    lowerShare: num,
  },
} as const;

const itemSchema = {
  type: 'object',
  properties: {
    itemId: { type: 'string' },
    revision: { type: 'integer' },
    number: { type: 'integer', description: 'Position in the first form, then items only other forms carry' },
    type: { type: ['string', 'null'] },
    topic: { type: ['string', 'null'] },
    cognitiveLevel: { type: ['integer', 'null'] },
    excerpt: { type: 'string', description: 'Start of the stem as plain text' },
    maxPoints: { type: 'number' },
    n: { type: 'integer', description: 'Graded attempts whose form carried the item' },
    mean: num,
    pValue: { ...num, description: 'Mean points / maxPoints (classical difficulty)' },
    pointBiserial: { ...num, description: 'Correlation of the item score with the rest of the total' },
    discrimination: { ...num, description: 'Upper minus lower 27% group, as a share of maxPoints' },
    dichotomous: { type: 'boolean' },
    omitted: { type: 'integer' },
    options: { type: 'object', additionalProperties: optionSchema, description: 'By option id (true_false: "true"/"false")' },
    flags: {
      type: 'array',
      items: {
        type: 'object',
        properties: { reason: { type: 'string' }, message: { type: 'string' }, optionId: { type: 'string' }, value: { type: 'number' } },
      },
    },
    rasch: {
      type: ['object', 'null'],
      properties: { difficulty: { type: 'number' }, se: { type: 'number' }, infit: { type: 'number' }, outfit: { type: 'number' } },
    },
  },
} as const;

const reportSchema = {
  type: 'object',
  properties: {
    examId: { type: 'string' },
    examTitle: { type: 'string' },
    subject: { type: 'string' },
    grade: { type: 'integer' },
    computedAt: { type: 'string', format: 'date-time' },
    fingerprint: { type: 'string', description: 'What the grades looked like when computed; the cached report is reused while it holds' },
    candidates: { type: 'integer' },
    mean: num,
    sd: num,
    reliability: { type: 'object', description: 'kr20 when every item is dichotomous, else alpha', properties: { kr20: num, alpha: num } },
    sem: num,
    excluded: {
      type: 'object',
      properties: { pendingManual: { type: 'integer' }, otherRevision: { type: 'integer' }, invalid: { type: 'integer' } },
    },
    bank: {
      type: 'object',
      description: 'Items with at least minResponses responses: what POST /api/exams/:id/analysis/write-back would write to the bank',
      properties: { eligible: { type: 'integer' }, minResponses: { type: 'integer' } },
    },
    forms: {
      type: 'array',
      items: {
        type: 'object',
        properties: { itemCount: { type: 'integer' }, maxScore: { type: 'number' }, candidates: { type: 'integer' }, mean: { type: 'number' }, sd: num, reliability: num, sem: num },
      },
    },
    distribution: {
      type: 'object',
      properties: {
        binWidth: { type: 'number' },
        mean: num,
        sd: num,
        bins: { type: 'array', items: { type: 'object', properties: { from: { type: 'number' }, to: { type: 'number' }, count: { type: 'integer' }, share: { type: 'number' } } } },
      },
    },
    items: { type: 'array', items: itemSchema },
    rasch: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

const writtenSchema = {
  type: 'object',
  properties: {
    itemId: { type: 'string' },
    revision: { type: 'integer' },
    difficulty: { type: 'number' },
    n: { type: 'integer' },
    discrimination: { type: 'number' },
    pointBiserial: { type: 'number' },
    raschDifficulty: { type: 'number' },
    raschSE: { type: 'number' },
  },
} as const;

const writeBackSchema = {
  type: 'object',
  required: ['examId', 'updated', 'items'],
  properties: {
    examId: { type: 'string' },
    examTitle: { type: 'string' },
    fingerprint: { type: 'string', description: 'The grades the figures come from (the report’s fingerprint)' },
    writtenAt: { type: 'string', format: 'date-time' },
    minResponses: { type: 'integer' },
    updated: { type: 'integer', description: 'Items whose statistics were written' },
    skipped: { type: 'integer', description: 'Items with too few responses (or gone from the bank), left as they were' },
    items: { type: 'array', items: writtenSchema },
  },
} as const;

const FORMATS = ['json', 'csv', 'html'] as const;
const formatQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: FORMATS, default: 'json' } } } as const;

async function routes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof formatQuery> }>('/api/exams/:id/analysis', {
    config: { roles: GRADE_MANAGERS },
    schema: {
      tags: ['analysis'],
      summary: 'Item analysis of the graded attempts (exam_manager, exam_board); ?format=csv (one row per item) or ?format=html (printable report with charts)',
      description:
        'Cached until a grade changes. Exams with more graded attempts than ANALYSIS_INLINE_LIMIT are analysed by a bulk job: ' +
        'the answer is then 202 {jobId} (follow it at GET /api/jobs/:jobId) and the same request answers 200 once it is done. ' +
        'Reading changes nothing in the bank: POST /api/exams/:id/analysis/write-back does that.',
      security: [{ bearer: [] }],
      params: idParams,
      querystring: formatQuery,
      response: {
        200: {
          content: {
            'application/json': { schema: reportSchema },
            'text/csv': { schema: { type: 'string' } },
            'text/html': { schema: { type: 'string' } },
          },
        },
        202: { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } },
      },
    },
  }, async (request, reply) => {
    const exam = await examFor(app.models.Exam, app.access, request.principal, request.params.id, GRADE_MANAGERS);
    const answer = await app.analysis.answer(exam, request.principal.id);
    reply.header('cache-control', 'private, no-store');
    if (answer.state === 'queued') return reply.code(202).send({ jobId: answer.jobId });
    const report = await app.analysis.forReader(answer.report, exam, request.principal);
    reply.header('x-analysis-cache', answer.cached ? 'hit' : 'miss');
    switch (request.query.format) {
      case 'csv':
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="analysis-${exam._id}.csv"`)
          .send(analysisCsv(report));
      case 'html':
        return reply
          .type('text/html; charset=utf-8')
          // Self-contained: inline styles and SVG, nothing fetched, no script.
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
          .send(analysisHtml(report));
      default:
        return reply.type('application/json; charset=utf-8').send(report);
    }
  });

  app.post<{ Params: IdParams }>('/api/exams/:id/analysis/write-back', {
    config: { roles: ['exam_manager'] },
    schema: {
      tags: ['analysis'],
      summary: "Write the current analysis' item statistics to the bank items (exam_manager of the exam's organisation; audited)",
      description:
        'Each item with enough responses gets its difficulty, discrimination, point-biserial and Rasch figures (no new revision), with the exam id ' +
        'and title they came from, which everyone who sees the item sees. One audit record `analysis.write_back`. ' +
        '409 analysis_pending while a large exam is still being analysed.',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: writeBackSchema },
    },
  }, async (request) => {
    const exam = await app.exams.managed(request.principal, request.params.id);
    const outcome = await app.analysis.writeBack(exam, request.principal.id);
    await app.audit.record(auditContext(request, ['exam_manager']), {
      orgId: exam.ownerOrgId,
      action: 'analysis.write_back',
      target: `exam:${exam._id}`,
      summary: { title: exam.title, items: outcome.updated, skipped: outcome.skipped, fingerprint: outcome.fingerprint },
    });
    return outcome;
  });
}

/** GET /api/exams/:id/analysis and its write-back (the service is `app.analysis`, from the composition root). */
export default fp(
  async (app) => {
    await app.register(routes);
  },
  { name: 'analysis', dependencies: ['mongo', 'auth', 'queues', 'bank', 'exams'] },
);
