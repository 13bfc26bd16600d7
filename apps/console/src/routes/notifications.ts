import type { FastifyInstance } from 'fastify';
import { notFound, parse } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';

/** A profile's owner-notification digests: what was told, by which channel, with what result. */
export function notificationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/api/profiles/:id/digests', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const exists = await deps.prisma.emailServerProfile.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw notFound('Email server profile', id);
    const digests = await deps.prisma.notificationDigest.findMany({
      where: { profileId: id },
      orderBy: { createdAt: 'desc' },
      take: 20,
    });
    const emails = await deps.prisma.emailActivity.findMany({
      where: { id: { in: digests.flatMap((d) => (d.emailId ? [d.emailId] : [])) } },
      select: { id: true, status: true, failureReason: true },
    });
    const email = new Map(emails.map((e) => [e.id, e]));
    return {
      items: digests.map((d) => ({
        id: d.id,
        createdAt: d.createdAt.toISOString(),
        alertCount: d.alertCount,
        subject: d.subject,
        email: d.emailId
          ? {
              id: d.emailId,
              status: email.get(d.emailId)?.status ?? 'Deleted',
              failureReason: email.get(d.emailId)?.failureReason ?? null,
            }
          : d.emailError
            ? { id: null, status: 'NotCreated', failureReason: d.emailError }
            : null,
        webhook: d.webhookState
          ? {
              state: d.webhookState,
              attempts: d.webhookAttempts,
              lastError: d.webhookLastError,
              deliveredAt: d.webhookDeliveredAt?.toISOString() ?? null,
              nextAttemptAt: d.webhookNextAttemptAt?.toISOString() ?? null,
            }
          : null,
      })),
    };
  });
}
