import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { opsAccess } from './ops-access.js';

/** The whole API as OpenAPI at /docs/json, browsable at /docs; in production only with OPS_TOKEN (ops-access.ts). */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'Exam engine API', version: '0.1.0', description: 'Shared question bank, exam assembly, live exams, grading and results.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      // The roles a route requires (its `config.roles`) become the operation's `x-roles`.
      transform: ({ schema, url, route }) => {
        const roles = (route.config as { roles?: readonly string[] } | undefined)?.roles;
        return { schema: schema && roles?.length ? { ...schema, 'x-roles': [...roles] } : schema, url };
      },
    });
    const guard = opsAccess(app.config);
    await app.register(swaggerUi, { routePrefix: '/docs', ...(guard ? { uiHooks: { onRequest: guard } } : {}) });
  },
  { name: 'docs' },
);
