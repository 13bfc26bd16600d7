import type { FastifyInstance } from 'fastify';
import { WORKLOAD_NAMES } from '@syncfleet/workloads';
import { detailsFileName, loadMailboxDetails, renderDetailsText } from '../details';
import { parse } from '../errors';
import { detailsQuery, uuidParam } from '../schemas';
import type { RouteDeps } from '../types';

const READY_TIMEOUT_MS = 2_000;
const COUNTED = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** Mailbox details download and the queue overview. */
export function monitoringRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/api/mailboxes/:id/details', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const { format } = parse(detailsQuery, request.query);
    const details = await loadMailboxDetails(deps.prisma, id, deps.clock());
    if (format === 'json') return details;
    return reply
      .type('text/plain; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${detailsFileName(details.mailbox.address)}"`)
      .send(renderDetailsText(details));
  });

  app.get('/api/queues', async () => {
    const queues = await Promise.all(
      WORKLOAD_NAMES.map(async (name) => {
        const counts = await deps.queues[name].getJobCounts(...COUNTED);
        return { name, counts: Object.fromEntries(COUNTED.map((state) => [state, counts[state] ?? 0])) };
      }),
    );
    return { queues };
  });
}

/** Liveness and readiness: public, no details beyond which dependency is down. */
export function healthRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const check = async (name: string, probe: () => Promise<unknown>) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        // A dependency that accepts and never answers must not hang the probe (BullMQ's Redis
        // connection waits through reconnects by design).
        await Promise.race([
          probe(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
              READY_TIMEOUT_MS,
            );
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (error) {
        request.log.warn({ err: error, dependency: name }, 'readiness check failed');
        return [name, 'unavailable'] as const;
      } finally {
        clearTimeout(timer);
      }
    };
    const results = Object.fromEntries(
      await Promise.all([
        check('postgres', () => deps.prisma.$queryRaw`SELECT 1`),
        check('redis', async () =>
          (await deps.queues['incoming-email'].getBackend().connection.client).runCommand('ping', []),
        ),
      ]),
    );
    const ready = Object.values(results).every((r) => r === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks: results });
  });
}
