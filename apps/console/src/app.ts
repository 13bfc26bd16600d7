import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { DEFAULT_AUTH_FAILURE_LIMIT, failureCounter, requireAdmin } from './auth';
import { mountBullBoard } from './bull-board';
import { BulkRunner } from './bulk';
import { dashboardRoutes } from './dashboard';
import { errorBody, installErrorHandling, notFound } from './errors';
import { assertDocumented, buildOpenApiDocument } from './openapi';
import { alertRoutes } from './routes/alerts';
import { appointmentRoutes } from './routes/appointments';
import { bulkRoutes } from './routes/bulk';
import { changeRoutes } from './routes/changes';
import { contactRoutes } from './routes/contacts';
import { emailRoutes } from './routes/emails';
import { mailboxActionRoutes } from './routes/mailbox-actions';
import { mailboxRoutes } from './routes/mailboxes';
import { healthRoutes, monitoringRoutes } from './routes/monitoring';
import { overviewRoutes } from './routes/overview';
import { notificationRoutes } from './routes/notifications';
import { importRoutes } from './routes/import';
import { profileRoutes } from './routes/profiles';
import { secretRoutes } from './routes/secrets';
import { taskRoutes } from './routes/tasks';
import { registerSecurityHeaders, sameOriginJsonOnly } from './security';
import type { ConsoleDeps, ConsoleSecurity, RouteDeps } from './types';
import { UploadBudget } from './upload-budget';

/** Profiles, mailboxes and actions have small bodies; a larger one is refused with 413 unread. */
const DEFAULT_BODY_LIMIT = 64 * 1024;

export const DEFAULT_SECURITY: Required<Omit<ConsoleSecurity, 'trustProxy' | 'uploads'>> = {
  authFailureLimit: DEFAULT_AUTH_FAILURE_LIMIT,
  // About three maximal emails at once (see routes/emails.ts); more wait (429) instead of buffering.
  uploadBudgetBytes: 32 * 1024 * 1024,
  allowedOrigins: [],
};

/**
 * The console's HTTP app. Nothing listens here: main.ts calls listen(), tests use inject().
 * Request logs go through the redacting logger; fastify's request serializer logs method, url and
 * addresses only — never headers (so never Authorization) and never bodies (so never a secret).
 */
export async function buildConsole(deps: ConsoleDeps): Promise<FastifyInstance> {
  const security = { ...DEFAULT_SECURITY, ...deps.security };
  const clock = deps.clock ?? (() => new Date());
  const bulk = new BulkRunner({
    prisma: deps.prisma,
    logger: deps.logger,
    clock,
    testAndEnable: deps.testAndEnable,
  });
  const routeDeps: RouteDeps = {
    ...deps,
    clock,
    uploads: security.uploads ?? new UploadBudget(security.uploadBudgetBytes),
    bulk,
  };
  const app = Fastify({
    loggerInstance: deps.logger,
    // Every route's body is small except POST /api/emails, which sets its own limit.
    bodyLimit: DEFAULT_BODY_LIMIT,
    trustProxy: security.trustProxy ?? false,
    // Errors Fastify raises before routing (a malformed %-escape in the URL) get our error shape too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).status(400).send(errorBody('BadRequest', error.message));
    },
  }) as unknown as FastifyInstance;
  installErrorHandling(app);
  app.addHook('onReady', async () => bulk.resumeStale());
  app.addHook('onClose', async () => bulk.close());
  await registerSecurityHeaders(app);
  const failures = await failureCounter(app, security.authFailureLimit);
  const sameOrigin = sameOriginJsonOnly(security.allowedOrigins);
  healthRoutes(app, routeDeps);
  await dashboardRoutes(app);

  const apiRoutes: { method: string; url: string }[] = [];
  await app.register(async (api) => {
    api.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) apiRoutes.push({ method, url: route.url });
    });
    api.addHook('onRequest', requireAdmin(deps.adminToken, failures));
    api.addHook('onRequest', sameOrigin);
    const openApi = buildOpenApiDocument();
    api.get('/api/openapi.json', async () => openApi);
    profileRoutes(api, routeDeps);
    mailboxRoutes(api, routeDeps);
    mailboxActionRoutes(api, routeDeps);
    alertRoutes(api, routeDeps);
    monitoringRoutes(api, routeDeps);
    emailRoutes(api, routeDeps);
    secretRoutes(api, routeDeps);
    bulkRoutes(api, routeDeps);
    overviewRoutes(api, routeDeps);
    notificationRoutes(api, routeDeps);
    importRoutes(api, routeDeps);
    contactRoutes(api, routeDeps);
    taskRoutes(api, routeDeps);
    appointmentRoutes(api, routeDeps);
    changeRoutes(api, routeDeps);
    // Unknown /api paths stay behind the token too: without it nothing tells what exists.
    api.all('/api/*', async (request) => {
      throw notFound('Route', `${request.method} ${request.url.split('?')[0]}`);
    });
  });
  assertDocumented(apiRoutes);
  await mountBullBoard(app, deps.queues, [
    requireAdmin(deps.adminToken, failures, { browserPrompt: true }),
    sameOrigin,
  ]);
  return app;
}
