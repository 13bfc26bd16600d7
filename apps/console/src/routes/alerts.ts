import type { FastifyInstance } from 'fastify';
import type { Prisma } from '@syncfleet/db';
import { notFound, parse } from '../errors';
import { alertListQuery, uuidParam } from '../schemas';
import { alertView } from '../serialize';
import type { RouteDeps } from '../types';

/** Alerts of a mailbox, of a profile (rolled up with its mailboxes'), and acknowledging one. */
export function alertRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma, clock } = deps;

  async function page(scope: Prisma.AlertWhereInput, query: unknown) {
    const { severity, acknowledged, limit, offset } = parse(alertListQuery, query);
    const where: Prisma.AlertWhereInput = {
      AND: [
        scope,
        { severity },
        acknowledged === undefined ? {} : { acknowledgedAt: acknowledged === 'true' ? { not: null } : null },
      ],
    };
    const [items, total] = await Promise.all([
      prisma.alert.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit,
        skip: offset,
      }),
      prisma.alert.count({ where }),
    ]);
    return { items: items.map(alertView), total, limit, offset };
  }

  app.get('/api/mailboxes/:id/alerts', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const exists = await prisma.mailbox.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw notFound('Mailbox', id);
    return page({ mailboxId: id }, request.query);
  });

  // Alerts of all its mailboxes roll up to the profile (docs/dynamics-server-side-sync.md#alert).
  app.get('/api/profiles/:id/alerts', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const exists = await prisma.emailServerProfile.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw notFound('Email server profile', id);
    return page({ OR: [{ profileId: id }, { mailbox: { profileId: id } }] }, request.query);
  });

  app.post('/api/alerts/:id/acknowledge', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const alert = await prisma.alert.findUnique({ where: { id } });
    if (!alert) throw notFound('Alert', id);
    if (alert.acknowledgedAt) return alertView(alert);
    const updated = await prisma.alert.update({ where: { id }, data: { acknowledgedAt: clock() } });
    request.log.info({ alertId: id, mailboxId: alert.mailboxId }, 'alert acknowledged');
    return alertView(updated);
  });
}
