import { AlertSeverity, ApprovalState, SyncMethod, toDbWorkload, type Db, type Prisma } from '@syncfleet/db';
import { WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import { toDate, type MailboxSettings } from './schemas';

/**
 * The mailbox actions of the console, over any number of mailboxes at once: the single-mailbox
 * routes call them with one id, bulk operations with a batch. Each call is one transaction; ids
 * that no longer exist are reported back, never an error for the others.
 */

type Tx = Prisma.TransactionClient;

export interface BatchResult {
  done: string[];
  missing: string[];
}

async function existing(tx: Tx, ids: string[]) {
  return tx.mailbox.findMany({
    where: { id: { in: ids } },
    select: { id: true, address: true, profileId: true },
  });
}

function result(ids: string[], found: { id: string }[]): BatchResult {
  const done = new Set(found.map((m) => m.id));
  return { done: [...done], missing: ids.filter((id) => !done.has(id)) };
}

/** Approve or reject the email address (docs/dynamics-server-side-sync.md#approval), with an alert each. */
export async function setApproval(
  prisma: Db,
  ids: string[],
  state: typeof ApprovalState.Approved | typeof ApprovalState.Rejected,
  now: Date,
): Promise<BatchResult> {
  const message =
    state === ApprovalState.Approved
      ? 'Email address approved by an administrator'
      : 'Email address rejected by an administrator';
  return prisma.$transaction(async (tx) => {
    const found = await existing(tx, ids);
    if (found.length) {
      await tx.mailbox.updateMany({
        where: { id: { in: found.map((m) => m.id) } },
        data: { approvalState: state },
      });
      await tx.alert.createMany({
        data: found.map((m) => ({
          severity: AlertSeverity.Information,
          code: state === ApprovalState.Approved ? 'EmailApproved' : 'EmailRejected',
          message: `${message} (${m.address}).`,
          mailboxId: m.id,
          profileId: m.profileId,
          createdAt: now,
        })),
      });
    }
    return result(ids, found);
  });
}

/** Disable some workloads (default all) of the mailboxes, with an Information alert each. */
export async function disableWorkloads(
  prisma: Db,
  ids: string[],
  workloads: readonly WorkloadName[] = WORKLOAD_NAMES,
  now: Date,
): Promise<BatchResult> {
  return prisma.$transaction(async (tx) => {
    const found = await existing(tx, ids);
    if (found.length) {
      await tx.mailboxWorkload.updateMany({
        where: { mailboxId: { in: found.map((m) => m.id) }, workload: { in: workloads.map(toDbWorkload) } },
        data: { enabled: false },
      });
      await tx.alert.createMany({
        data: found.map((m) => ({
          severity: AlertSeverity.Information,
          code: 'DisabledByAdmin',
          message: `Synchronization disabled by an administrator for ${m.address}: ${workloads.join(', ')}.`,
          mailboxId: m.id,
          profileId: m.profileId,
          createdAt: now,
        })),
      });
    }
    return result(ids, found);
  });
}

/**
 * Applies mailbox settings inside a transaction: promotion filter, Process Email From, tracked
 * folders (the given list becomes the whole set; delta positions of folders that stay are kept),
 * workload methods (switching to server-side sync needs Test & Enable; None stops it now).
 */
export async function applySettings(tx: Tx, ids: string[], settings: MailboxSettings): Promise<void> {
  if (!ids.length) return;
  const data: Prisma.MailboxUpdateManyMutationInput = {};
  if (settings.incomingFilter !== undefined) data.incomingFilter = settings.incomingFilter;
  if (settings.processEmailFrom !== undefined) data.processEmailFrom = toDate(settings.processEmailFrom);
  if (Object.keys(data).length) await tx.mailbox.updateMany({ where: { id: { in: ids } }, data });
  if (settings.trackedFolders) {
    const folderIds = settings.trackedFolders.map((f) => f.folderId);
    await tx.mailboxFolderSync.updateMany({
      where: { mailboxId: { in: ids }, tracked: true, folderId: { notIn: folderIds } },
      data: { tracked: false },
    });
    for (const folder of settings.trackedFolders) {
      await tx.mailboxFolderSync.updateMany({
        where: { mailboxId: { in: ids }, folderId: folder.folderId },
        data: { tracked: true, ...(folder.displayName !== undefined && { displayName: folder.displayName }) },
      });
      await tx.mailboxFolderSync.createMany({
        data: ids.map((mailboxId) => ({
          mailboxId,
          folderId: folder.folderId,
          displayName: folder.displayName ?? null,
          tracked: true,
        })),
        skipDuplicates: true,
      });
    }
  }
  for (const name of WORKLOAD_NAMES) {
    const method = settings.workloads?.[name]?.method;
    if (!method) continue;
    await tx.mailboxWorkload.updateMany({
      where: { mailboxId: { in: ids }, workload: toDbWorkload(name) },
      data: method === SyncMethod.None ? { method, enabled: false } : { method },
    });
  }
}

/** Settings for a batch of mailboxes, in one transaction. */
export async function updateSettings(
  prisma: Db,
  ids: string[],
  settings: MailboxSettings,
): Promise<BatchResult> {
  return prisma.$transaction(async (tx) => {
    const found = await existing(tx, ids);
    await applySettings(
      tx,
      found.map((m) => m.id),
      settings,
    );
    return result(ids, found);
  });
}
