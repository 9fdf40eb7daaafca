import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import { GRADE_MANAGERS, GRADERS, checkExam, examFor } from '../grading/exam-access.js';
import { resultsCsv } from './results-service.js';
import { idParams, type IdParams } from '../route-schemas.js';
import { resultProperties } from '../grading/result-schemas.js';

const rowSchema = {
  type: 'object',
  properties: {
    candidateId: { type: 'string' },
    studentId: { type: ['string', 'null'] },
    displayName: { type: 'string' },
    attemptId: { type: 'string' },
    formCode: { type: 'string' },
    score: { type: 'number' },
    maxScore: { type: 'number' },
    score10: { type: 'number' },
    status: { type: 'string', enum: ['graded', 'pending_manual'] },
    gradedAt: { type: 'string' },
    version: { type: 'integer' },
    theta: { type: 'number', description: 'Adaptive exams: the ability estimate (logits)' },
    se: { type: 'number', description: 'Adaptive exams: its standard error' },
  },
} as const;

const formatQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'csv'], default: 'json' } } } as const;

/** GET /api/exams/:id/results and GET /api/attempts/:id/result. */
export default async function resultsRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);
  const { results } = app.services;

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof formatQuery> }>('/api/exams/:id/results', {
    config: { roles: GRADE_MANAGERS },
    schema: {
      tags: ['results'],
      summary: 'Every graded attempt of the exam (exam_manager); ?format=csv gives UTF-8 CSV with a BOM',
      security: [{ bearer: [] }],
      params: idParams,
      querystring: formatQuery,
      response: { 200: { type: 'object', properties: { results: { type: 'array', items: rowSchema } } } },
    },
  }, async (request, reply) => {
    const exam = await examFor(app.models.Exam, app.access, request.principal, request.params.id, GRADE_MANAGERS);
    const rows = await results.examResults(exam);
    // Every export of the exam's scores names who took it, in the exam's chain.
    await app.audit.record(auditContext(request, GRADE_MANAGERS), {
      orgId: exam.ownerOrgId,
      action: 'exam.results_read',
      target: `exam:${exam._id}`,
      summary: { format: request.query.format ?? 'json', rows: rows.length },
    });
    if (request.query.format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="results-${exam._id}.csv"`)
        // A string bypasses the JSON response schema.
        .serializer((payload: unknown) => payload as string)
        .send(resultsCsv(rows));
    }
    return { results: rows };
  });

  app.get<{ Params: IdParams }>('/api/attempts/:id/result', {
    schema: {
      tags: ['results'],
      summary: 'An attempt\'s result with points per item: for its candidate when the exam\'s showResults allows (else 403), the total only until the exam closes; for staff of the exam',
      security: [{ bearer: [] }],
      params: idParams,
      response: {
        200: {
          type: 'object',
          properties: {
            ...resultProperties,
            examTitle: { type: 'string' },
            perItemFrom: { type: 'string', format: 'date-time', description: 'Set instead of perItem while the exam is open: when the points per item are shown' },
            perItem: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  number: { type: 'integer' },
                  itemId: { type: 'string' },
                  points: { type: 'number' },
                  maxPoints: { type: 'number' },
                  status: { type: 'string' },
                  comment: { type: 'string' },
                  pretest: { type: 'boolean', description: 'Adaptive tests, staff only: an unscored pretest item (it counts for nothing). Candidates are not shown their pretest items' },
                  feedback: {
                    type: 'object',
                    description: "The item's feedback, as the exam's showFeedback releases it: the general text, the text of the outcome (full points, some, none), the feedback of each option the candidate picked, and the hints",
                    properties: {
                      general: { type: 'string' },
                      outcome: { type: 'string' },
                      options: { type: 'array', items: { type: 'object', properties: { text: { type: 'string' }, feedback: { type: 'string' } } } },
                      hints: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            },
            scoreChanged: { type: 'boolean', description: 'A regrade or manual grade changed the score after it was released' },
            scoreChanges: {
              type: 'array',
              description: 'Each change of the released score, oldest first',
              items: {
                type: 'object',
                properties: {
                  at: { type: 'string', format: 'date-time' },
                  cause: { type: 'string', enum: ['regrade', 'manual_grade'] },
                  before: { type: 'object', properties: { score: { type: 'number' }, score10: { type: 'number' } } },
                  after: { type: 'object', properties: { score: { type: 'number' }, score10: { type: 'number' } } },
                },
              },
            },
          },
        },
      },
    },
  }, async (request) =>
    results.attemptResult(request.params.id, {
      id: request.principal.id,
      staff: async (exam) => {
        await checkExam(app.access, request.principal, exam, [...GRADE_MANAGERS, ...GRADERS], async () => false);
        return true;
      },
    }),
  );
}
