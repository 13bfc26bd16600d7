import { AlertSeverity, type MailboxFolderSync } from '@syncfleet/db';
import { raiseAlert } from '../engine/alerts';
import type { CycleContext } from '../engine/types';
import type { DeltaFailure } from './delta-errors';

/**
 * The delta state is gone. A lost skiptoken falls back to the round's deltaLink (the changes since
 * the last complete round come again); a lost deltaLink, or a synchronization reset, starts a new
 * round from Process Email From. Replayed items find their links: nothing is promoted twice, and
 * nothing is lost because the new round covers everything the lost one would have returned.
 */
export async function restartRound(
  ctx: CycleContext,
  row: MailboxFolderSync,
  failure: Exclude<DeltaFailure, 'folder-gone'>,
): Promise<MailboxFolderSync> {
  const fallBack = failure === 'state-lost' && row.nextLink !== null && row.deltaLink !== null;
  ctx.logger.warn({ folderId: row.folderId, failure, fallBack }, 'delta state gone: restarting the round');
  return ctx.prisma.mailboxFolderSync.update({
    where: { mailboxId_folderId: { mailboxId: row.mailboxId, folderId: row.folderId } },
    data: fallBack ? { nextLink: null } : { nextLink: null, deltaLink: null, roundStartedAt: null },
  });
}

/**
 * A tracked folder the user deleted (delta answers 404): tracking it ends, with an Information
 * alert saying so. The mailbox and its other folders go on: a deleted folder is the user's choice,
 * not a failure of incoming email. Links of mail that was in it stay (the activities are kept).
 */
export async function stopTrackingDeletedFolder(ctx: CycleContext, row: MailboxFolderSync): Promise<void> {
  await ctx.prisma.$transaction(async (tx) => {
    await tx.mailboxFolderSync.update({
      where: { mailboxId_folderId: { mailboxId: row.mailboxId, folderId: row.folderId } },
      data: { tracked: false, nextLink: null, deltaLink: null, roundStartedAt: null },
    });
    await raiseAlert(tx, {
      severity: AlertSeverity.Information,
      code: 'TrackedFolderDeleted',
      message:
        `The tracked folder "${row.displayName ?? row.folderId}" no longer exists in the mailbox ` +
        `(deleted in Outlook): it is no longer tracked. Incoming email goes on for the other folders.`,
      workload: 'IncomingEmail',
      mailboxId: ctx.mailbox.id,
      profileId: ctx.mailbox.profileId,
    });
  });
  ctx.logger.info({ folderId: row.folderId }, 'tracked folder deleted: tracking stopped');
}
