import Fastify, { type FastifyInstance } from 'fastify';
import { requireAdmin } from './auth';
import { mountBullBoard } from './bull-board';
import { installErrorHandling, notFound } from './errors';
import { buildOpenApiDocument } from './openapi';
import { alertRoutes } from './routes/alerts';
import { emailRoutes } from './routes/emails';
import { mailboxActionRoutes } from './routes/mailbox-actions';
import { mailboxRoutes } from './routes/mailboxes';
import { healthRoutes, monitoringRoutes } from './routes/monitoring';
import { profileRoutes } from './routes/profiles';
import type { ConsoleDeps, RouteDeps } from './types';

/**
 * The console's HTTP app. Nothing listens here: main.ts calls listen(), tests use inject().
 * Request logs go through the redacting logger; fastify's request serializer logs method, url and
 * addresses only — never headers (so never Authorization) and never bodies (so never a secret).
 */
export async function buildConsole(deps: ConsoleDeps): Promise<FastifyInstance> {
  const routeDeps: RouteDeps = { ...deps, clock: deps.clock ?? (() => new Date()) };
  const app = Fastify({ loggerInstance: deps.logger, bodyLimit: 256 * 1024 }) as unknown as FastifyInstance;
  installErrorHandling(app);
  healthRoutes(app, routeDeps);

  await app.register(async (api) => {
    api.addHook('onRequest', requireAdmin(deps.adminToken));
    const openApi = buildOpenApiDocument();
    api.get('/api/openapi.json', async () => openApi);
    profileRoutes(api, routeDeps);
    mailboxRoutes(api, routeDeps);
    mailboxActionRoutes(api, routeDeps);
    alertRoutes(api, routeDeps);
    monitoringRoutes(api, routeDeps);
    emailRoutes(api, routeDeps);
    // Unknown /api paths stay behind the token too: without it nothing tells what exists.
    api.all('/api/*', async (request) => {
      throw notFound('Route', `${request.method} ${request.url.split('?')[0]}`);
    });
  });
  await mountBullBoard(app, deps.queues, deps.adminToken);
  return app;
}
