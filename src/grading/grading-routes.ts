import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import { currentRevisions } from '../bank/stimulus-revisions.js';
import type { ManualQueue } from '../contracts/grading.js';
import { Conflict, NotFound, ValidationFailed } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import { STAFF_ROLES } from '../users/user-model.js';
import { resultProperties } from './result-schemas.js';
import { GRADE_MANAGERS, GRADERS, examFor } from './exam-access.js';
import { findJob, queueSectorPush, startExamGrading } from './grading-jobs.js';
import { ManualGradeRefused, pushItemOf } from './grading-service.js';
import { repinItem } from './repin.js';
import type { Result } from './result-model.js';
import { roundScore } from './scoring.js';
import { nativeOf, readByIds } from '../infra/store.js';
import { idParams, type IdParams } from '../route-schemas.js';

const perItemSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      number: { type: 'integer' },
      itemId: { type: 'string' },
      revision: { type: 'integer' },
      points: { type: 'number' },
      maxPoints: { type: 'number' },
      status: { type: 'string', enum: ['scored', 'pending'] },
      manual: { type: 'boolean' },
      comment: { type: 'string' },
    },
  },
} as const;

const failureSchema = {
  type: 'object',
  properties: { reason: { type: 'string' }, attemptId: { type: 'string' }, jobId: { type: 'string' } },
} as const;

/** `all` or `regrade` (GradingMode of grading-jobs.ts; the handler passes it on, so the two must agree). */
const gradingBody = { type: 'object', required: ['mode'], additionalProperties: false, properties: { mode: { type: 'string', enum: ['all', 'regrade'] } } } as const;

const jobParams = { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

const repinBody = {
  type: 'object',
  required: ['itemId', 'revision'],
  additionalProperties: false,
  properties: { itemId: { type: 'string', minLength: 1, maxLength: 64 }, revision: { type: 'integer', minimum: 1 } },
} as const;

const manualQueueQuery = { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } as const;

const attemptItemParams = {
  type: 'object',
  required: ['id', 'itemId'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 }, itemId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const manualGradeBody = {
  type: 'object',
  required: ['points'],
  additionalProperties: false,
  properties: { points: { type: 'number', minimum: 0, maximum: 1000 }, comment: { type: 'string', maxLength: 5000 } },
} as const;

/** A stored result as staff see it after grading an item by hand. */
function staffResultView(r: Result) {
  return {
    attemptId: r._id,
    examId: r.examId,
    candidateId: r.candidateId,
    studentId: r.studentId ?? null,
    formCode: r.formCode,
    score: r.score,
    maxScore: r.maxScore,
    score10: r.score10,
    status: r.status,
    gradedAt: new Date(r.gradedAt).toISOString(),
    version: r.version,
    ...(r.adaptive ? { adaptive: r.adaptive } : {}),
    perItem: r.perItem.map((p, i) => ({
      number: i + 1,
      itemId: p.itemId,
      revision: p.revision,
      points: roundScore(p.points),
      maxPoints: roundScore(p.maxPoints),
      status: p.status,
      ...(p.manual ? { manual: true } : {}),
      ...(p.comment ? { comment: p.comment } : {}),
    })),
  };
}

async function routes(app: FastifyInstance) {
  app.addHook('onRequest', app.authenticate);
  const exam = (actor: Principal, id: string, roles: typeof GRADE_MANAGERS) => examFor(app.models.Exam, app.access, actor, id, roles);

  app.post<{ Params: IdParams; Body: FromSchema<typeof gradingBody> }>('/api/exams/:id/grading', {
    config: { roles: GRADE_MANAGERS },
    schema: {
      tags: ['grading'],
      summary: 'Grade (all) or re-grade (regrade) every submitted attempt as one tracked job (exam_manager)',
      description:
        '`all`: every submitted attempt whose result is missing or not yet in the sector database. `regrade`: every submitted attempt, ' +
        're-scored with the revisions the forms pin now (re-pin a corrected item first: POST /api/exams/:id/repin); the job result ' +
        'reports how many attempts changed and by how much. Follow it at GET /api/jobs/:jobId.',
      security: [{ bearer: [] }],
      params: idParams,
      body: gradingBody,
      response: { 202: { type: 'object', properties: { jobId: { type: 'string' } } } },
    },
  }, async (request, reply) => {
    const e = await exam(request.principal, request.params.id, GRADE_MANAGERS);
    const jobId = await startExamGrading(app.queues, e._id, request.body.mode, request.principal.id);
    await app.audit.record(auditContext(request, GRADE_MANAGERS), { orgId: e.ownerOrgId, action: 'exam.grading', target: `exam:${e._id}`, summary: { mode: request.body.mode, jobId } });
    return reply.code(202).send({ jobId });
  });

  app.get<{ Params: FromSchema<typeof jobParams> }>('/api/jobs/:jobId', {
    config: { roles: STAFF_ROLES },
    schema: {
      tags: ['grading'],
      summary: 'A grading, regrading, sector push or bulk job: state, progress {done, total}, failures with their reasons, result',
      security: [{ bearer: [] }],
      params: jobParams,
      response: {
        200: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            queue: { type: 'string' },
            state: { type: 'string' },
            progress: { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' } } },
            failed: { type: 'array', items: failureSchema },
            result: {},
            attemptsMade: { type: 'integer' },
            createdAt: { type: 'string' },
            finishedAt: { type: ['string', 'null'] },
          },
        },
      },
    },
  }, async (request) => {
    const found = await findJob(app.queues, request.params.jobId);
    if (!found) throw new NotFound('Job');
    if (found.requestedBy !== request.principal.id) {
      let examId = found.examId;
      if (!examId && found.attemptIds.length) {
        const attempt = await nativeOf<{ _id: string; examId: string }>(app.models.Attempt).findOne({ _id: found.attemptIds[0]! }, { projection: { examId: 1 } });
        examId = attempt?.examId ?? null;
      }
      if (!examId) throw new NotFound('Job');
      await exam(request.principal, examId, GRADE_MANAGERS);
    }
    return found.view;
  });

  app.post<{ Params: IdParams; Body: FromSchema<typeof repinBody> }>('/api/exams/:id/repin', {
    config: { roles: GRADE_MANAGERS },
    schema: {
      tags: ['grading'],
      summary: 'Pin a newer revision of an item on every form of the exam (exam_manager): the regrade rule',
      description:
        'After a reviewer approves a corrected revision of an item, the exam manager pins it here; a regrade then re-scores with it. ' +
        'Only a newer, approved revision of the same item and type. The forms before the re-pin are kept.',
      security: [{ bearer: [] }],
      params: idParams,
      body: repinBody,
      response: {
        200: {
          type: 'object',
          properties: {
            examId: { type: 'string' },
            itemId: { type: 'string' },
            from: { type: 'integer' },
            to: { type: 'integer' },
            forms: { type: 'array', items: { type: 'string' } },
            assemblyId: { type: 'string' },
          },
        },
      },
    },
  }, async (request) => {
    const e = await exam(request.principal, request.params.id, GRADE_MANAGERS);
    const passages = { current: (ids: string[]) => currentRevisions(app.models, ids) };
    const outcome = await repinItem({ Exam: app.models.Exam, Form: app.models.Form, Repin: app.models.Repin, bank: app.bank.pools, passages }, e, request.body.itemId, request.body.revision, request.principal.id);
    await app.audit.record(auditContext(request, GRADE_MANAGERS), {
      orgId: e.ownerOrgId,
      action: 'exam.repin',
      target: `exam:${e._id}`,
      summary: { itemId: outcome.itemId, from: outcome.from, to: outcome.to, forms: outcome.forms },
    });
    return outcome;
  });

  app.get<{ Params: IdParams; Querystring: FromSchema<typeof manualQueueQuery> }>('/api/exams/:id/manual-queue', {
    config: { roles: [...GRADERS, ...GRADE_MANAGERS] },
    schema: {
      tags: ['grading'],
      summary: 'Essay responses waiting for a person (author or reviewer of the exam\'s organisation; exam managers may look)',
      security: [{ bearer: [] }],
      params: idParams,
      querystring: manualQueueQuery,
      response: {
        200: {
          type: 'object',
          properties: {
            total: { type: 'integer' },
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  attemptId: { type: 'string' },
                  itemId: { type: 'string' },
                  revision: { type: 'integer' },
                  number: { type: 'integer' },
                  formCode: { type: 'string' },
                  maxPoints: { type: 'number' },
                  points: { type: ['number', 'null'] },
                  response: {},
                  stem: { type: 'string' },
                  rubric: { type: 'array', items: { type: 'object', properties: { criterion: { type: 'string' }, maxPoints: { type: 'number' } } } },
                  maxWords: { type: 'integer' },
                },
              },
            },
          },
        },
      },
    },
  }, async (request) => {
    const e = await exam(request.principal, request.params.id, [...GRADERS, ...GRADE_MANAGERS]);
    const pending = await app.models.Result.find({ examId: e._id, status: 'pending_manual' }, { perItem: 1, formCode: 1 }).lean<Pick<Result, '_id' | 'perItem' | 'formCode'>[]>();
    pending.sort((a, b) => (a._id < b._id ? -1 : 1));
    const tasks = pending.flatMap((r) =>
      r.perItem.map((p, i) => ({ r, p, number: i + 1 })).filter(({ p }) => p.status === 'pending'),
    );
    const page = tasks.slice(0, request.query.limit ?? 100);
    const attempts = await readByIds(nativeOf<{ _id: string; answers?: Record<string, unknown> }>(app.models.Attempt), [...new Set(page.map((t) => t.r._id))], { answers: 1 });
    const revisions = await app.grading.pinned(page.map((t) => t.p));
    return {
      total: tasks.length,
      items: page.map(({ r, p, number }) => {
        const rev = revisions.get(`${p.itemId}@${p.revision}`);
        const answers = attempts.get(r._id)?.answers ?? {};
        return {
          attemptId: r._id,
          itemId: p.itemId,
          revision: p.revision,
          number,
          formCode: r.formCode,
          maxPoints: roundScore(p.maxPoints),
          points: null,
          response: Object.hasOwn(answers, p.itemId) ? answers[p.itemId] : null,
          ...(rev ? { stem: rev.stem } : {}),
          ...(rev?.type === 'essay' ? { rubric: rev.rubric, ...(rev.maxWords ? { maxWords: rev.maxWords } : {}) } : {}),
        };
      }),
    } satisfies ManualQueue;
  });

  app.post<{ Params: FromSchema<typeof attemptItemParams>; Body: FromSchema<typeof manualGradeBody> }>('/api/attempts/:id/items/:itemId/grade', {
    config: { roles: GRADERS },
    schema: {
      tags: ['grading'],
      summary: 'Grade one essay item of an attempt by hand and re-total the attempt (author or reviewer of the exam\'s organisation)',
      security: [{ bearer: [] }],
      params: attemptItemParams,
      body: manualGradeBody,
      response: {
        200: {
          type: 'object',
          properties: {
            ...resultProperties,
            perItem: perItemSchema,
          },
        },
      },
    },
  }, async (request) => {
    const attempt = await nativeOf<{ _id: string; examId: string; status: string }>(app.models.Attempt).findOne({ _id: request.params.id }, { projection: { examId: 1, status: 1 } });
    if (!attempt) throw new NotFound('Attempt');
    const e = await exam(request.principal, attempt.examId, GRADERS);
    if (attempt.status !== 'submitted') throw new Conflict('invalid_transition', 'The attempt is not submitted yet');
    let outcome: { result: Result; changed: boolean };
    try {
      outcome = await app.grading.gradeManually(attempt._id, request.params.itemId, {
        points: request.body.points,
        comment: (request.body.comment ?? '').normalize('NFC'),
        gradedBy: request.principal.id,
      });
    } catch (err) {
      if (!(err instanceof ManualGradeRefused)) throw err;
      if (err.code === 'unknown_item') throw new NotFound('Item on this attempt');
      if (err.code === 'too_many_points') throw new ValidationFailed(err.message, [{ instancePath: '/points', message: err.message }]);
      throw new Conflict(err.code === 'not_manual' ? 'not_manual' : 'not_gradable', err.message);
    }
    if (outcome.changed) {
      const r = outcome.result;
      await queueSectorPush(app.queues.sector, [pushItemOf(r)]);
      await app.audit.record(auditContext(request, GRADERS), {
        orgId: e.ownerOrgId,
        action: 'result.grade_item',
        target: `attempt:${r._id}`,
        summary: { itemId: request.params.itemId, points: request.body.points, score: r.score, version: r.version },
      });
    }
    return staffResultView(outcome.result);
  });

  app.get<{ Params: IdParams }>('/api/exams/:id/sector-sync', {
    config: { roles: GRADE_MANAGERS },
    schema: {
      tags: ['grading'],
      summary: 'How many graded attempts the sector database holds (pushed), still waits for (pending), or gave up on (failed)',
      security: [{ bearer: [] }],
      params: idParams,
      response: { 200: { type: 'object', properties: { pushed: { type: 'integer' }, pending: { type: 'integer' }, failed: { type: 'integer' } } } },
    },
  }, async (request) => {
    const e = await exam(request.principal, request.params.id, GRADE_MANAGERS);
    return app.sectorPush.counts(e._id);
  });
}

/** Grading, regrading, the manual queue, jobs, re-pins and sector-sync (the results routes are registered beside it). */
export default fp(
  async (app) => {
    await app.register(routes);
  },
  { name: 'grading', dependencies: ['mongo', 'auth', 'queues', 'bank'] },
);
