import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { AppError, BadRequest, RateLimited } from './errors.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from './validation.js';
import authPlugin from './plugins/auth.js';
import docsPlugin from './plugins/docs.js';
import metricsPlugin from './plugins/metrics.js';
import mongoPlugin from './plugins/mongo.js';
import queuesPlugin from './plugins/queues.js';
import redisPlugin from './plugins/redis.js';
import servicesPlugin from './plugins/services.js';
import healthRoutes from './health-routes.js';
import authRoutes from './auth/auth-routes.js';
import orgRoutes from './orgs/org-routes.js';
import userRoutes from './users/user-routes.js';
import bankPlugin from './bank/bank-routes.js';
import mediaRoutes from './media/media-routes.js';
import interopRoutes from './interop/interop-routes.js';
import blueprintRoutes from './assembly/blueprint-routes.js';
import examRoutes from './exams/exam-routes.js';
import livePlugin from './live/live-plugin.js';
import analysisRoutes from './analysis/analysis-routes.js';
import gradingPlugin from './grading/grading-routes.js';
import resultsRoutes from './results/results-routes.js';
import auditRoutes from './audit/audit-routes.js';
import webPlugin from './plugins/web.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** Where the process is in its life: `draining` once a graceful shutdown began (`/ready` answers 503). */
    lifecycle: { draining: boolean };
  }
}

/** TRUST_PROXY for Fastify: a hop count becomes a trust function (believe the nearest `n` proxies). */
function trustProxyOption(setting: Config['TRUST_PROXY']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (setting === undefined) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}

export interface BuildOptions {
  /** Fastify logger setting. @defaultValue `{ level: config.LOG_LEVEL }` */
  logger?: FastifyServerOptions['logger'];
}

/** Fastify's own error codes that are the client's fault, and the API's error code for each. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'bad_request', message: 'Malformed JSON body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'bad_request', message: 'Empty JSON body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'Request body is larger than allowed' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Unsupported content type' },
};

/**
 * Builds the whole application: the one factory used by `src/server.ts` and by
 * every test. The caller listens (or injects) and closes it.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.LOG_LEVEL },
    bodyLimit: config.BODY_LIMIT,
    // Behind a balancer the client's address is in X-Forwarded-For, believed only from TRUST_PROXY.
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    ajv: { customOptions: { allErrors: true } },
    // Prototype-poisoning keys in JSON are refused, not silently stripped.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  app.decorate('config', config);
  app.decorate('lifecycle', { draining: false });

  // Fastify's own JSON parser (prototype keys refused), behind a nesting
  // limit: a body thousands of levels deep is a 400 here instead of a stack
  // overflow in whatever code walks it later.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (jsonTooDeep(text)) return done(new BadRequest(`JSON bodies nest at most ${MAX_JSON_DEPTH} levels deep`), undefined);
    parseJson(request, text, done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error instanceof RateLimited && error.retryAfterSeconds) reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message, details: error.details ?? [] } });
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      return reply.code(400).send({
        error: {
          code: 'validation_failed',
          message: `The ${where} does not match the schema`,
          details: error.validation.map((e) => ({ ...e, in: where })),
        },
      });
    }
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
    if (known) return reply.code(known.status).send({ error: { code: known.code, message: known.message ?? error.message, details: [] } });
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status < 500) {
      // JSON syntax errors and prototype-poisoning refusals land here (SyntaxError, 400).
      const message = error instanceof SyntaxError ? 'Malformed JSON body' : error.message;
      return reply.code(status).send({ error: { code: 'bad_request', message, details: [] } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Internal server error', details: [] } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}`, details: [] } }),
  );

  await app.register(docsPlugin);
  await app.register(mongoPlugin);
  await app.register(redisPlugin);
  await app.register(queuesPlugin);
  await app.register(metricsPlugin);
  // The composition root: every service of this process, built once.
  await app.register(servicesPlugin);
  await app.register(authPlugin);

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(orgRoutes);
  await app.register(userRoutes);
  await app.register(bankPlugin);
  await app.register(interopRoutes);
  await app.register(mediaRoutes);
  await app.register(blueprintRoutes);
  await app.register(examRoutes);
  await app.register(livePlugin);
  await app.register(analysisRoutes);
  await app.register(gradingPlugin);
  await app.register(resultsRoutes);
  await app.register(auditRoutes);
  await app.register(webPlugin);

  return app;
}
