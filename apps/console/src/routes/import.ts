import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { classifyError } from '@syncfleet/sync';
import { WORKLOAD_NAMES } from '@syncfleet/workloads';
import type { ImportParams } from '../bulk';
import { ApiError, notFound, parse } from '../errors';
import { uuidParam, workloadSettingsSchema } from '../schemas';
import type { RouteDeps } from '../types';

export const importSchema = z.strictObject({
  /** Only addresses in this domain (contoso.com). */
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, { message: 'must be a domain name such as contoso.com' })
    .optional(),
  /** Only these addresses (≤ 1,000). */
  addresses: z
    .array(z.email().transform((a) => a.toLowerCase()))
    .min(1)
    .max(1_000)
    .optional(),
  /** Approve the new mailboxes' email addresses (default true). */
  approve: z.boolean().optional(),
  /** Each workload's method for the new mailboxes (default server-side sync for every workload). */
  workloads: workloadSettingsSchema.optional(),
});

/**
 * Import mailboxes from the tenant: the profile's users and shared mailboxes listed through Graph
 * (paged), filtered, those not yet known created as mailboxes by a background operation with
 * progress (GET /api/operations/{id}). Test & Enable them next (bulk).
 */
export function importRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/api/profiles/:id/import', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const input = parse(importSchema, request.body ?? {});
    const profile = await deps.prisma.emailServerProfile.findUnique({ where: { id }, select: { id: true } });
    if (!profile) throw notFound('Email server profile', id);
    if (!deps.listTenantUsers)
      throw new ApiError(501, 'NotConfigured', 'Tenant import is not wired in this console.');
    const wanted = input.addresses ? new Set(input.addresses) : undefined;
    const users: ImportParams['users'] = {};
    let listed = 0;
    let known = 0;
    try {
      for await (const page of deps.listTenantUsers(id)) {
        listed += page.length;
        const matching = page.filter(
          (u) =>
            (!input.domain || u.address.endsWith(`@${input.domain}`)) && (!wanted || wanted.has(u.address)),
        );
        const existing = new Set(
          (
            await deps.prisma.mailbox.findMany({
              where: { address: { in: matching.map((u) => u.address) } },
              select: { address: true },
            })
          ).map((m) => m.address),
        );
        known += existing.size;
        for (const u of matching) if (!existing.has(u.address)) users[randomUUID()] = u;
      }
    } catch (error) {
      const { reason } = classifyError(error);
      request.log.warn({ err: error, profileId: id, reason }, 'tenant import: listing users failed');
      throw new ApiError(
        502,
        reason,
        `Listing the tenant's users through Graph failed (${reason}); the app registration needs the User.Read.All application permission.`,
      );
    }
    const methods = Object.fromEntries(
      WORKLOAD_NAMES.map((name) => [name, input.workloads?.[name]?.method ?? 'ServerSideSync']),
    ) as ImportParams['methods'];
    const operationId = await deps.bulk.createImport({
      profileId: id,
      approve: input.approve ?? true,
      methods,
      users,
    });
    request.log.info(
      { profileId: id, listed, known, importing: Object.keys(users).length },
      'tenant import started',
    );
    return reply
      .status(202)
      .header('Location', `/api/operations/${operationId}`)
      .send({ listed, alreadyKnown: known, operation: await deps.bulk.progress(operationId) });
  });
}
