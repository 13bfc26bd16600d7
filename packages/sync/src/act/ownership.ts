import { hostname } from 'node:os';
import { SyncError } from '@syncfleet/errors';
import type { Db, Prisma } from '@syncfleet/db';
import type { MailboxGraph } from '@syncfleet/graph';
import { classifyError } from '../engine/classify';

/**
 * One deployment owns a mailbox's ACT (docs/act-sync.md#ownership). Two deployments syncing the
 * same mailbox both ways would each take the other's writes for user edits — Dynamics' "configured
 * with another organization" alert exists for this. The marker is an open extension named
 * `com.syncfleet.actOwner` on the mailbox's synced To Do list:
 * - it lives in the mailbox itself, so every deployment syncing that mailbox sees it, whichever app
 *   registration or database it uses;
 * - it is reached with the permission ACT needs anyway (Tasks.ReadWrite.All) — an open extension on
 *   the user object would need directory write rights (User.ReadWrite.All);
 * - open extensions are documented for todoTaskList ("Create open extension",
 *   https://learn.microsoft.com/graph/api/opentypeextension-post-opentypeextension; "Get open
 *   extension", https://learn.microsoft.com/graph/api/opentypeextension-get), users never see it, and
 *   the default list cannot be deleted.
 */
export const OWNER_EXTENSION = 'com.syncfleet.actOwner';

export interface OwnershipMarker {
  deploymentId: string;
  deploymentName: string;
  claimedAt: string;
}

/** This deployment's identity: one row, created on first use (a second database is a second deployment). */
export async function deploymentOf(prisma: Db): Promise<{ id: string; name: string }> {
  const existing = await prisma.deployment.findFirst({ orderBy: { createdAt: 'asc' } });
  if (existing) return existing;
  return prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    await tx.$queryRaw`SELECT pg_advisory_xact_lock(${0x5f_ac_7c_02}::bigint)::text`;
    const again = await tx.deployment.findFirst({ orderBy: { createdAt: 'asc' } });
    return again ?? tx.deployment.create({ data: { name: `syncfleet@${hostname()}` } });
  });
}

export async function readMarker(graph: MailboxGraph, listPath: string): Promise<OwnershipMarker | null> {
  try {
    const ext = (await graph.api(`${listPath}/extensions/${OWNER_EXTENSION}`).get()) as Record<
      string,
      unknown
    >;
    return typeof ext.deploymentId === 'string'
      ? {
          deploymentId: ext.deploymentId,
          deploymentName: String(ext.deploymentName ?? ''),
          claimedAt: String(ext.claimedAt ?? ''),
        }
      : null;
  } catch (error) {
    if (classifyError(error).reason === 'NotFound') return null;
    throw error;
  }
}

export async function writeMarker(
  graph: MailboxGraph,
  listPath: string,
  marker: OwnershipMarker,
  exists: boolean,
): Promise<void> {
  if (exists) {
    await graph.api(`${listPath}/extensions/${OWNER_EXTENSION}`).patch({ ...marker });
  } else {
    await graph.api(`${listPath}/extensions`).post({
      '@odata.type': 'microsoft.graph.openTypeExtension',
      extensionName: OWNER_EXTENSION,
      ...marker,
    });
  }
}

export class OwnedElsewhereError extends SyncError {
  constructor(address: string, owner: OwnershipMarker) {
    super(
      'OwnedElsewhere',
      `The appointments, contacts and tasks of ${address} are synced by another Syncfleet deployment ` +
        `("${owner.deploymentName}", ${owner.deploymentId}, since ${owner.claimedAt}). Only one ` +
        `organization may sync them; run Test & Enable with overwrite to move them here.`,
      { code: 'OwnedElsewhere' },
    );
  }
}

/** The To Do list ACT syncs: by name if configured, else the user's default list. */
export async function resolveTaskList(
  graph: MailboxGraph,
  userPath: string,
  name: string | null,
): Promise<string> {
  let url: string | undefined = `${userPath}/todo/lists`;
  while (url) {
    const page = (await graph.api(url).get()) as {
      value?: Array<{ id: string; displayName?: string; wellknownListName?: string }>;
      '@odata.nextLink'?: string;
    };
    const hit = page.value?.find((l) =>
      name ? l.displayName === name : l.wellknownListName === 'defaultList',
    );
    if (hit) return hit.id;
    url = page['@odata.nextLink'];
  }
  throw new SyncError('NotFound', name ? `No To Do list named "${name}"` : 'No default To Do list', {
    code: 'TaskListNotFound',
  });
}

/**
 * Test & Enable's ownership step: claims the mailbox for this deployment, unless another one owns
 * it and `overwrite` is not set. Returns the other owner when refused.
 */
export async function claimOwnership(
  prisma: Db,
  graph: MailboxGraph,
  mailbox: { id: string; userPath: string; taskListName: string | null },
  options: { overwrite: boolean; now: Date },
): Promise<{ ok: true } | { ok: false; owner: OwnershipMarker }> {
  const me = await deploymentOf(prisma);
  const listId = await resolveTaskList(graph, mailbox.userPath, mailbox.taskListName);
  const listPath = `${mailbox.userPath}/todo/lists/${encodeURIComponent(listId)}`;
  const current = await readMarker(graph, listPath);
  if (current && current.deploymentId !== me.id && !options.overwrite) return { ok: false, owner: current };
  if (!current || current.deploymentId !== me.id) {
    await writeMarker(
      graph,
      listPath,
      { deploymentId: me.id, deploymentName: me.name, claimedAt: options.now.toISOString() },
      current !== null,
    );
  }
  await prisma.actMailboxState.upsert({
    where: { mailboxId: mailbox.id },
    create: {
      mailboxId: mailbox.id,
      taskListId: listId,
      ownedSince: options.now,
      ownershipCheckedAt: options.now,
    },
    update: { taskListId: listId, ownedSince: options.now, ownershipCheckedAt: options.now },
  });
  return { ok: true };
}
