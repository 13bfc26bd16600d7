import type { FastifyInstance } from 'fastify';
import { listChanges } from '@syncfleet/sync';
import { parse } from '../errors';
import type { RouteDeps } from '../types';
import { changesQuery, conflictsQuery } from './act-schemas';

/**
 * `GET /api/changes?after=<cursor>&limit=`: the application change sequence (docs/act-sync.md#changes)
 * — how an application learns what sync (and everyone else) changed. Pass the returned `cursor` as
 * `after` next time. `GET /api/act/conflicts`: every conflict ACT resolved.
 */
export function changeRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/api/changes', async (request) => {
    const q = parse(changesQuery, request.query);
    return listChanges(deps.prisma, {
      after: BigInt(q.after ?? '0'),
      limit: q.limit ?? 100,
      ...(q.kind ? { kinds: [q.kind] } : {}),
    });
  });

  app.get('/api/act/conflicts', async (request) => {
    const q = parse(conflictsQuery, request.query);
    const rows = await deps.prisma.actConflict.findMany({
      where: {
        ...(q.mailboxId ? { mailboxId: q.mailboxId } : {}),
        ...(q.recordId ? { recordId: q.recordId } : {}),
      },
      orderBy: { createdAt: 'desc' },
      take: q.limit ?? 100,
    });
    return {
      conflicts: rows.map((c) => ({
        id: c.id,
        mailboxId: c.mailboxId,
        kind: c.kind,
        recordId: c.recordId,
        itemId: c.graphItemId,
        field: c.field,
        appValue: c.appValue,
        exchangeValue: c.exchangeValue,
        winner: c.winner,
        rule: c.rule,
        at: c.createdAt.toISOString(),
      })),
    };
  });
}
