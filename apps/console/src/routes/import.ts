import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { classifyError, GROUP_PERMISSION } from '@syncfleet/sync';
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
  /**
   * Only the users of this group, nested groups included: its object id, mail address or display
   * name (which must name one group).
   */
  group: z.string().trim().min(1).max(256).optional(),
  /** Approve the new mailboxes' email addresses (default true). */
  approve: z.boolean().optional(),
  /** Each workload's method for the new mailboxes (default server-side sync for every workload). */
  workloads: workloadSettingsSchema.optional(),
});

/**
 * Import mailboxes from the tenant: the profile's users and shared mailboxes listed through Graph
 * (paged) — or the users of one group, nested groups included — filtered by domain and/or
 * addresses (all filters apply together), those not yet known created as mailboxes by a background
 * operation with progress (GET /api/operations/{id}). Test & Enable them next (bulk).
 */
export function importRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/api/profiles/:id/import', async (request, reply) => {
    const { id } = parse(uuidParam, request.params);
    const input = parse(importSchema, request.body ?? {});
    const profile = await deps.prisma.emailServerProfile.findUnique({ where: { id }, select: { id: true } });
    if (!profile) throw notFound('Email server profile', id);
    if (!deps.listTenantUsers || (input.group && !deps.tenantGroups))
      throw new ApiError(501, 'NotConfigured', 'Tenant import is not wired in this console.');
    const group = input.group ? await findGroup(deps, request, id, input.group) : undefined;
    const wanted = input.addresses ? new Set(input.addresses) : undefined;
    const users: ImportParams['users'] = {};
    const seen = new Set<string>();
    let listed = 0;
    let known = 0;
    try {
      const pages = group ? deps.tenantGroups!.members(id, group.id) : deps.listTenantUsers(id);
      for await (const page of pages) {
        listed += page.length;
        const matching = page.filter(
          (u) =>
            !seen.has(u.address) &&
            (!input.domain || u.address.endsWith(`@${input.domain}`)) &&
            (!wanted || wanted.has(u.address)),
        );
        for (const u of matching) seen.add(u.address);
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
      const { reason, message } = classifyError(error);
      request.log.warn({ err: error, profileId: id, reason }, 'tenant import: listing users failed');
      throw group
        ? graphFailure(reason, message, `Listing the users of group '${group.displayName}' through Graph`)
        : new ApiError(
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
      { profileId: id, group: group?.id, listed, known, importing: Object.keys(users).length },
      'tenant import started',
    );
    return reply
      .status(202)
      .header('Location', `/api/operations/${operationId}`)
      .send({
        listed,
        alreadyKnown: known,
        ...(group ? { group } : {}),
        operation: await deps.bulk.progress(operationId),
      });
  });
}

/** The group an admin named, or a 404 / 409 naming it, or a 502 naming the permission Graph wants. */
async function findGroup(deps: RouteDeps, request: FastifyRequest, profileId: string, selector: string) {
  let lookup: Awaited<ReturnType<NonNullable<RouteDeps['tenantGroups']>['find']>>;
  try {
    lookup = await deps.tenantGroups!.find(profileId, selector);
  } catch (error) {
    const { reason, message } = classifyError(error);
    request.log.warn({ err: error, profileId, reason }, 'tenant import: finding the group failed');
    throw graphFailure(reason, message, `Looking up group '${selector}' through Graph`);
  }
  if ('found' in lookup) return lookup.found;
  if ('notFound' in lookup) {
    const message = `No group '${selector}' in the tenant (looked up by object id, mail address or display name).`;
    throw new ApiError(404, 'GroupNotFound', message, [{ path: 'group', message }]);
  }
  const names = lookup.ambiguous.map((g) => `${g.id}${g.mail ? ` (${g.mail})` : ''}`).join(', ');
  const message = `${lookup.ambiguous.length} groups are named '${selector}': ${names}. Give the group's object id or mail address.`;
  throw new ApiError(409, 'GroupAmbiguous', message, [{ path: 'group', message }]);
}

/**
 * A failed group call as a 502 naming what to grant: a 403 from the directory means the app lacks
 * GroupMember.Read.All (List groups, List group transitive members); users returned with limited
 * information mean it lacks User.Read.All (the error's own message says so).
 */
function graphFailure(reason: string, message: string, what: string): ApiError {
  if (reason === 'MissingPermission') {
    return new ApiError(
      502,
      reason,
      `${what} was refused (${reason}); the app registration needs the ${GROUP_PERMISSION} application permission (or Group.Read.All / Directory.Read.All), granted with admin consent.`,
    );
  }
  return new ApiError(502, reason, `${what} failed (${reason}): ${message}`);
}
