import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { WorkloadQueues } from '@syncfleet/queues';
import { requireAdmin } from './auth';

export const BULL_BOARD_PATH = '/queues';

/**
 * Bull Board under /queues, inside its own encapsulated context whose onRequest hook requires the
 * admin token: the hook covers the UI, its static files and its API, and nothing outside. Basic auth
 * is accepted (and challenged) so a browser can open it.
 */
export async function mountBullBoard(app: FastifyInstance, queues: WorkloadQueues, adminToken: string) {
  await app.register(async (scope) => {
    scope.addHook('onRequest', requireAdmin(adminToken, { browserPrompt: true }));
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      // Read-only: retries and rescheduling belong to the error policy in PostgreSQL, not to BullMQ.
      queues: Object.values(queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'Syncfleet' } },
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  });
}
