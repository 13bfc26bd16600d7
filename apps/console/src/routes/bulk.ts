import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import {
  bulkDisableSchema,
  bulkSchema,
  bulkUpdateSchema,
  operationResultsQuery,
  type BulkAction,
} from '../bulk';
import { notFound, parse } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';

const BODIES: Record<Exclude<BulkAction, 'import'>, z.ZodType> = {
  approve: bulkSchema,
  reject: bulkSchema,
  'test-and-enable': bulkSchema,
  disable: bulkDisableSchema,
  update: bulkUpdateSchema,
};

/** Bulk actions on a selection or a filter, and their operations' progress and results. */
export function bulkRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { bulk, prisma } = deps;

  for (const action of Object.keys(BODIES) as Exclude<BulkAction, 'import'>[]) {
    app.post(`/api/mailboxes/bulk/${action}`, async (request, reply) => {
      const body = parse(BODIES[action], request.body ?? {}) as Parameters<typeof bulk.create>[1];
      const id = await bulk.create(action, body);
      const progress = await bulk.progress(id);
      request.log.info({ operationId: id, action, total: progress?.total }, 'bulk operation accepted');
      return reply.status(202).header('Location', `/api/operations/${id}`).send(progress);
    });
  }

  app.get('/api/operations', async () => {
    const recent = await prisma.bulkOperation.findMany({
      orderBy: { createdAt: 'desc' },
      take: 20,
      select: { id: true },
    });
    return { items: await Promise.all(recent.map((r) => bulk.progress(r.id))) };
  });

  app.get('/api/operations/:id', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const progress = await bulk.progress(id);
    if (!progress) throw notFound('Operation', id);
    return progress;
  });

  app.get('/api/operations/:id/results', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const { state, limit, offset } = parse(operationResultsQuery, request.query);
    const exists = await prisma.bulkOperation.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw notFound('Operation', id);
    const where = { operationId: id, state };
    const [items, total] = await Promise.all([
      prisma.bulkOperationItem.findMany({
        where,
        orderBy: [{ finishedAt: { sort: 'desc', nulls: 'last' } }, { address: 'asc' }],
        take: limit,
        skip: offset,
      }),
      prisma.bulkOperationItem.count({ where }),
    ]);
    return {
      items: items.map((i) => ({
        mailboxId: i.mailboxId,
        address: i.address,
        state: i.state,
        message: i.message,
        finishedAt: i.finishedAt?.toISOString() ?? null,
      })),
      total,
      limit,
      offset,
    };
  });
}
