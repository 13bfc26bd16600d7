import type { FastifyReply, FastifyRequest } from 'fastify';
import { sqlClientOf, type OwnerType } from '@syncfleet/db';
import { ownerMailboxId, requestCycles } from '@syncfleet/sync';
import { ApiError, validationError } from '../errors';
import type { RouteDeps } from '../types';

/**
 * If-Match carries the record's version (the ETag GET returns: `"3"`; `W/"3"` and `3` are accepted).
 * Absent: the write is unconditional. Anything else is a 400 naming the header.
 */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  if (raw === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(String(raw));
  if (!match) throw validationError([{ path: 'If-Match', message: 'must be the record version, e.g. "3"' }]);
  return Number(match[1]);
}

export function withEtag<T extends { version: number }>(reply: FastifyReply, view: T): T {
  void reply.header('etag', `"${view.version}"`);
  return view;
}

export const preconditionFailed = (message: string) => new ApiError(412, 'PreconditionFailed', message);

/**
 * "A write on the app side queues an ACT cycle for that mailbox at once": the owner's mailbox is
 * made due now (requestCycles: one job per burst; a running cycle is followed by one more). A
 * failure here loses nothing — the record stays pushPending for the next scheduled cycle.
 */
export async function syncOwnerNow(
  deps: RouteDeps,
  request: FastifyRequest,
  owner: { ownerType: OwnerType | null; ownerId: string | null },
): Promise<void> {
  if (!owner.ownerType || !owner.ownerId) return;
  try {
    const mailboxId = await ownerMailboxId(deps.prisma, {
      ownerType: owner.ownerType,
      ownerId: owner.ownerId,
    });
    if (!mailboxId) return;
    await requestCycles({ sql: sqlClientOf(deps.prisma), queues: deps.queues, clock: deps.clock }, [
      { mailboxId, workload: 'act' },
    ]);
  } catch (error) {
    request.log.warn({ err: error }, 'could not queue an ACT cycle now; the scheduled cycle will sync it');
  }
}

/** Owner filter of a list: by owner, or by the owner of a mailbox (400 if that mailbox is unknown). */
export async function ownerFilter(
  deps: RouteDeps,
  query: { ownerType?: OwnerType; ownerId?: string; mailboxId?: string },
): Promise<{ ownerType?: OwnerType; ownerId?: string }> {
  if (query.mailboxId) {
    const m = await deps.prisma.mailbox.findUnique({ where: { id: query.mailboxId } });
    if (!m) throw validationError([{ path: 'mailboxId', message: 'no such mailbox' }]);
    return { ownerType: m.ownerType, ownerId: m.ownerId };
  }
  return {
    ...(query.ownerType ? { ownerType: query.ownerType } : {}),
    ...(query.ownerId ? { ownerId: query.ownerId } : {}),
  };
}

export interface LinkRow {
  mailboxId: string;
  graphItemId: string | null;
  syncedAt: Date | null;
  syncState: string;
  lastError: string | null;
}

export const linkView = (l: LinkRow) => ({
  mailboxId: l.mailboxId,
  itemId: l.graphItemId,
  lastSyncedAt: l.syncedAt?.toISOString() ?? null,
  syncState: l.syncState,
  lastError: l.lastError,
});

export async function linksOf(deps: RouteDeps, kind: 'contact' | 'task', ids: string[]) {
  const links = await deps.prisma.actLink.findMany({ where: { kind, recordId: { in: ids } } });
  const by = new Map<string, LinkRow[]>();
  for (const l of links) by.set(l.recordId, [...(by.get(l.recordId) ?? []), l]);
  return (id: string) => (by.get(id) ?? []).map(linkView);
}
