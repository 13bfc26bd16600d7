import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { WorkloadQueues } from '@syncfleet/queues';

export const BULL_BOARD_PATH = '/queues';

/**
 * Bull Board under /queues, inside its own encapsulated context whose onRequest hooks (`guards`)
 * require the admin token and refuse cross-site requests: the hook covers the UI, its static files and its API, and nothing outside. Basic auth
 * is accepted (and challenged) so a browser can open it.
 */
export async function mountBullBoard(
  app: FastifyInstance,
  queues: WorkloadQueues,
  guards: onRequestHookHandler[],
) {
  await app.register(async (scope) => {
    for (const guard of guards) scope.addHook('onRequest', guard);
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
