/**
 * HTTP side of the live exam: extensions and the monitor (proctors and exam
 * managers of the exam's organisation), and the candidate's list of exams.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { auditContext } from '../audit/audit-context.js';
import type { Extension, MonitorRow } from '../contracts/live.js';
import { personMatches } from '../contracts/people.js';
import { Forbidden } from '../errors.js';
import type { Principal } from '../orgs/access.js';
import { EVENT_KINDS } from '../attempts/attempt-model.js';
import type { LiveService } from './live-service.js';
import { idParams, type IdParams } from '../route-schemas.js';

const eventCountsSchema = {
  type: 'object',
  description: 'Integrity events by kind',
  properties: Object.fromEntries(EVENT_KINDS.map((k) => [k, { type: 'integer' }])),
} as const;

const extensionBody = {
  type: 'object',
  required: ['candidateId', 'extraMinutes'],
  additionalProperties: false,
  properties: {
    candidateId: { type: 'string', minLength: 1, maxLength: 64 },
    extraMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
  },
} as const;

const extensionResponse = {
  type: 'object',
  required: ['candidateId', 'endsAt', 'extraMinutes'],
  properties: {
    candidateId: { type: 'string' },
    endsAt: { type: ['string', 'null'], format: 'date-time', description: 'The new deadline; null until the candidate starts' },
    extraMinutes: { type: 'integer', description: 'All extra minutes granted so far' },
  },
} as const;

const monitorQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { q: { type: 'string', maxLength: 200, description: 'Only candidates whose name, username or số báo danh contains this (any case, with or without diacritics), or whose id it is' } },
} as const;

const monitorResponse = {
  type: 'object',
  required: ['candidates'],
  properties: {
    candidates: {
      type: 'array',
      items: {
        type: 'object',
        required: ['candidateId', 'state', 'connected', 'answered', 'lastSeenAt', 'events'],
        properties: {
          candidateId: { type: 'string' },
          displayName: { type: 'string', description: "The candidate's full name; absent when the caller may not see this user (another department)" },
          username: { type: 'string', description: 'Absent like displayName' },
          studentId: { type: 'string', description: 'Số báo danh (candidate number), when the candidate has one; absent like displayName' },
          state: { type: 'string', enum: ['not_started', 'in_progress', 'submitted'] },
          connected: { type: 'boolean' },
          answered: { type: 'integer' },
          lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
          events: eventCountsSchema,
          reconnects: { type: 'integer', description: 'Times the candidate came back on a new connection (a reload, a dropped network): not counted as leaving the window' },
          locked: { type: 'boolean', description: 'Locked out of logging in by wrong passwords (from some address); POST /api/users/:id/unlock lifts it' },
          lockedUntil: { type: ['string', 'null'], format: 'date-time', description: 'When the latest lock ends' },
        },
      },
    },
  },
} as const;

const myExamsResponse = {
  type: 'object',
  required: ['exams'],
  properties: {
    exams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'opensAt', 'closesAt', 'durationMinutes', 'status'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          opensAt: { type: 'string', format: 'date-time' },
          closesAt: { type: 'string', format: 'date-time' },
          durationMinutes: { type: 'integer' },
          status: { type: 'string', enum: ['upcoming', 'open', 'closed', 'in_progress', 'submitted'] },
          attemptId: { type: ['string', 'null'] },
          endsAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
} as const;

/** Proctors, exam managers (and administrators) of the exam's organisation; candidates get 403. */
async function staffExam(app: FastifyInstance, actor: Principal, examId: string) {
  const { exam, audience } = await app.exams.read(actor, examId);
  if (audience === 'candidate') throw new Forbidden('Only proctors and exam managers of the exam may do this');
  return exam;
}

export function liveRoutes(live: LiveService): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', app.authenticate);
    const security = [{ bearer: [] }];

    app.post<{ Params: IdParams; Body: FromSchema<typeof extensionBody> }>('/api/exams/:id/extensions', {
      config: { roles: ['exam_manager', 'proctor', 'admin'] },
      schema: {
        tags: ['live'],
        summary: 'Give a candidate extra minutes (proctor, exam_manager); applies at once, also to a connected candidate',
        security,
        params: idParams,
        body: extensionBody,
        response: { 200: extensionResponse },
      },
    }, async (request) => {
      const exam = await staffExam(app, request.principal, request.params.id);
      const out: Extension = await live.extend(exam._id, request.body.candidateId, request.body.extraMinutes, request.principal.id);
      await app.audit.record(auditContext(request, ['exam_manager', 'proctor']), {
        orgId: exam.ownerOrgId,
        action: 'exam.extension',
        target: `exam:${exam._id}`,
        summary: { candidateId: out.candidateId, before: { extraMinutes: out.extraMinutes - request.body.extraMinutes }, after: { extraMinutes: out.extraMinutes, endsAt: out.endsAt } },
      });
      return out;
    });

    app.get<{ Params: IdParams; Querystring: FromSchema<typeof monitorQuery> }>('/api/exams/:id/monitor', {
      config: { roles: ['exam_manager', 'proctor', 'admin'] },
      schema: {
        tags: ['live'],
        summary: 'Live state of every candidate of the exam (proctor, exam_manager)',
        security,
        params: idParams,
        querystring: monitorQuery,
        response: { 200: monitorResponse },
      },
    }, async (request, reply) => {
      const exam = await staffExam(app, request.principal, request.params.id);
      reply.header('cache-control', 'no-store');
      const people = await app.users.people.forViewer(request.principal, exam.candidateIds);
      const q = request.query.q?.trim() ?? '';
      // Only what the caller may see is searched: a name they cannot see finds nobody.
      const rows = (await live.monitor(exam)).filter((r) => !q || r.candidateId === q || personMatches(people.get(r.candidateId) ?? {}, q));
      const locks = await app.auth.lockout.lockedUntil(rows.map((r) => r.candidateId));
      const candidates: MonitorRow[] = rows.map((r) => ({ ...r, ...people.get(r.candidateId), locked: locks.has(r.candidateId), lockedUntil: locks.get(r.candidateId)?.toISOString() ?? null }));
      return { candidates };
    });

    app.get('/api/my/exams', {
      schema: {
        tags: ['live'],
        summary: "The caller's exams as a candidate (published ones), with where they stand in each",
        security,
        response: { 200: myExamsResponse },
      },
    }, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { exams: await live.myExams(request.principal.id) };
    });
  };
}
