import { rowDecoder, type MailboxFolderSync, type Prisma } from '@syncfleet/db';
import { inPageTransaction } from '../engine/transaction';
import type { SyncPosition } from '../engine/finish-batch';
import type { CycleContext } from '../engine/types';
import { deltaFailure } from '../incoming-email/delta-errors';
import { restartRound } from '../incoming-email/round-restart';

/** Stop starting pages this close to the cycle's deadline: the last page must still commit. */
const DEADLINE_MARGIN_MS = 1_000;
const MAX_RESYNCS = 3;

export const decodeFolder = rowDecoder<MailboxFolderSync>()('roundStartedAt', 'updatedAt');

interface DeltaPage {
  value?: unknown[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export interface RoundTally {
  entries: number;
  positions: SyncPosition[];
}

/**
 * One collection's delta round, page by page, exactly as incoming email reads a folder
 * (incoming-email/processor.ts): from the stored nextLink, else deltaLink, else a new round; every
 * page with entries commits what `apply` wrote together with the link to continue from; pages with
 * nothing to apply write nothing and their position is saved with the cycle's record. A lost delta
 * state (410, syncStateNotFound, resyncRequired) restarts the round (incoming-email/round-restart.ts):
 * items replayed find their links, so nothing is created twice. Returns false when out of budget.
 */
export async function runDeltaRound(
  ctx: CycleContext,
  start: MailboxFolderSync,
  options: { startUrl: string; pageSize: number; maxEntries: number },
  tally: RoundTally,
  apply: (tx: Prisma.TransactionClient, entries: Record<string, unknown>[]) => Promise<void>,
): Promise<boolean> {
  let row = start;
  let resyncs = 0;
  let unsaved = false;
  const done = (complete: boolean) => {
    const moved = row.nextLink !== start.nextLink || row.deltaLink !== start.deltaLink;
    if (unsaved && moved) {
      const { folderId, nextLink, deltaLink, roundStartedAt } = row;
      tally.positions.push({ folderId, nextLink, deltaLink, roundStartedAt });
    }
    return complete;
  };
  for (;;) {
    if (
      ctx.signal.aborted ||
      ctx.clock().getTime() >= ctx.deadline - DEADLINE_MARGIN_MS ||
      tally.entries >= options.maxEntries
    )
      return done(false);
    const url = row.nextLink ?? row.deltaLink ?? options.startUrl;
    let page: DeltaPage;
    try {
      page = (await ctx.graph
        .api(url)
        .header('Prefer', `odata.maxpagesize=${options.pageSize}`)
        .get()) as DeltaPage;
    } catch (error) {
      if (ctx.signal.aborted) return done(false);
      const failure = deltaFailure(error);
      if (failure === null || failure === 'folder-gone' || resyncs >= MAX_RESYNCS) throw error;
      resyncs += 1;
      row = await restartRound(ctx, row, failure);
      unsaved = false;
      continue;
    }
    const nextLink = page['@odata.nextLink'] ?? null;
    const deltaLink = page['@odata.deltaLink'] ?? null;
    if (!nextLink && !deltaLink)
      throw new Error('delta page carried neither @odata.nextLink nor @odata.deltaLink');
    const entries = (page.value ?? []).map((v) =>
      v && typeof v === 'object' ? (v as Record<string, unknown>) : {},
    );
    const roundStarted = row.nextLink === null;
    const roundStartedAt = roundStarted ? ctx.clock() : row.roundStartedAt;
    if (entries.length === 0) {
      row = { ...row, nextLink, deltaLink: deltaLink ?? row.deltaLink, roundStartedAt };
      unsaved = true;
      if (deltaLink) return done(true);
      continue;
    }
    row = await inTransaction(ctx, async (tx) => {
      await apply(tx, entries);
      return tx.mailboxFolderSync.update({
        where: { mailboxId_folderId: { mailboxId: row.mailboxId, folderId: row.folderId } },
        data: { nextLink, ...(deltaLink ? { deltaLink } : {}), roundStartedAt },
      });
    });
    tally.entries += entries.length;
    unsaved = false;
    if (deltaLink) return true;
  }
}

/** A page's transaction, retried when PostgreSQL picked it as a conflict victim (engine/transaction.ts). */
export function inTransaction<T>(
  ctx: Pick<CycleContext, 'prisma'>,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return inPageTransaction(ctx.prisma, fn);
}
