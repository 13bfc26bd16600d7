import { inPageTransaction } from '../engine/transaction';
import { stampChanges } from '../act/changes';
import { Prisma, rowDecoder, type Db, type MailboxFolderSync } from '@syncfleet/db';
import type { SyncPosition } from '../engine/finish-batch';
import type { CycleContext, CycleResult, WorkloadHandler } from '../engine/types';
import { userPath } from '../probe/probe-handlers';
import { fetchAttachments, type FetchedAttachment } from './attachments';
import { markRemoved } from './dedupe';
import { deltaFailure } from './delta-errors';
import { parseDeltaEntry, type DeltaEntry } from './message';
import { effectiveFilter, processEmailFrom } from './policy';
import { applyMessage, applyPartialUpdate, recordMalformed, type Outcome, type PageScope } from './promote';
import { restartRound, stopTrackingDeletedFolder } from './round-restart';
import { roundStartUrl } from './round-start';
import type { IncomingSettings } from './settings';

export const INBOX = 'inbox';
/** Stop starting pages this close to the cycle's deadline: the last page must still commit. */
const DEADLINE_MARGIN_MS = 1_000;
const MAX_RESYNCS_PER_FOLDER = 3;

interface Tally {
  entries: number;
  processed: number;
  failed: number;
  outcomes: Partial<Record<Outcome | 'removed', number>>;
  /** Links reached through pages with nothing to apply: saved with the cycle's record. */
  positions: SyncPosition[];
}

const decodeFolder = rowDecoder<MailboxFolderSync>()('roundStartedAt', 'updatedAt');

/** The Inbox and the tracked folders, selected together with the claim (see `preload`). */
const syncedFoldersSql = (mailboxId: Prisma.Sql) => Prisma.sql`
  (SELECT coalesce(jsonb_agg(to_jsonb(f)), '[]'::jsonb) FROM "MailboxFolderSync" f
   WHERE f."mailboxId" = ${mailboxId} AND (f."folderId" = ${INBOX} OR f.tracked))`;

export function createIncomingEmailHandler(
  settings: IncomingSettings,
): WorkloadHandler & { workload: 'incoming-email' } {
  return {
    workload: 'incoming-email',
    preload: syncedFoldersSql,
    run: (ctx) => runIncomingCycle(ctx, settings),
  };
}

/**
 * One cycle: the Inbox, then every tracked folder, each from its stored nextLink, else deltaLink,
 * else a new round. Every page commits its promotions together with the link to continue from, so
 * a crash anywhere repeats at most one page — and repeating a page changes nothing.
 */
export async function runIncomingCycle(ctx: CycleContext, settings: IncomingSettings): Promise<CycleResult> {
  const tally: Tally = { entries: 0, processed: 0, failed: 0, outcomes: {}, positions: [] };
  const folders = await syncedFolders(ctx);
  let yielded = false;
  for (const folder of folders) {
    if (!(await syncFolder(ctx, settings, folder, tally))) {
      yielded = true;
      break;
    }
  }
  ctx.logger.debug({ ...tally.outcomes, entries: tally.entries, yielded }, 'incoming cycle');
  return {
    itemsProcessed: tally.processed,
    itemsFailed: tally.failed,
    yielded,
    ...(tally.positions.length ? { positions: tally.positions } : {}),
  };
}

/**
 * The Inbox (its row created on the first cycle) and the folders marked for tracking, Inbox first.
 * Normally preloaded with the claim; read here when the cycle runs without one, or on the first cycle.
 */
async function syncedFolders(ctx: CycleContext): Promise<MailboxFolderSync[]> {
  let rows = Array.isArray(ctx.preloaded) ? ctx.preloaded.map(decodeFolder) : null;
  if (!rows?.some((r) => r.folderId === INBOX)) {
    rows = await loadFolders(ctx.prisma, ctx.mailbox.id);
  }
  return rows.sort(
    (a, b) =>
      Number(b.folderId === INBOX) - Number(a.folderId === INBOX) || a.folderId.localeCompare(b.folderId),
  );
}

async function loadFolders(prisma: Db, mailboxId: string): Promise<MailboxFolderSync[]> {
  await prisma.mailboxFolderSync.upsert({
    where: { mailboxId_folderId: { mailboxId, folderId: INBOX } },
    create: { mailboxId, folderId: INBOX, displayName: 'Inbox' },
    update: {},
  });
  return prisma.mailboxFolderSync.findMany({
    where: { mailboxId, OR: [{ folderId: INBOX }, { tracked: true }] },
  });
}

function outOfBudget(ctx: CycleContext, settings: IncomingSettings, tally: Tally): boolean {
  return (
    ctx.signal.aborted ||
    ctx.clock().getTime() >= ctx.deadline - DEADLINE_MARGIN_MS ||
    tally.entries >= settings.maxItemsPerCycle
  );
}

interface DeltaPage {
  value?: unknown[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** Returns true when the folder's round is complete (deltaLink reached), false when out of budget. */
async function syncFolder(
  ctx: CycleContext,
  settings: IncomingSettings,
  start: MailboxFolderSync,
  tally: Tally,
): Promise<boolean> {
  let row = start;
  let resyncs = 0;
  // The in-memory position is ahead of the stored one (pages with nothing to apply were read).
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
    if (outOfBudget(ctx, settings, tally)) return done(false);
    const url =
      row.nextLink ??
      row.deltaLink ??
      (await roundStartUrl(ctx, row.folderId, settings.filteredDeltaMaxItems));
    let page: DeltaPage;
    try {
      page = (await ctx.graph
        .api(url)
        .header('Prefer', `odata.maxpagesize=${settings.pageSize}`)
        .get()) as DeltaPage;
    } catch (error) {
      if (ctx.signal.aborted) return done(false); // everything up to the last page is committed
      const failure = deltaFailure(error);
      if (failure === 'folder-gone' && row.folderId !== INBOX) {
        // Not done(): the folder's links were just cleared and must not be overwritten.
        await stopTrackingDeletedFolder(ctx, row);
        return true;
      }
      if (failure === null || failure === 'folder-gone' || resyncs >= MAX_RESYNCS_PER_FOLDER) throw error;
      resyncs += 1;
      row = await restartRound(ctx, row, failure);
      unsaved = false;
      continue;
    }
    const nextLink = page['@odata.nextLink'] ?? null;
    const deltaLink = page['@odata.deltaLink'] ?? null;
    if (!nextLink && !deltaLink)
      throw new Error('delta page carried neither @odata.nextLink nor @odata.deltaLink');
    const entries = (page.value ?? []).map(parseDeltaEntry);
    const roundStarted = row.nextLink === null;
    if (entries.length === 0) {
      // Nothing to apply (an idle mailbox's whole cycle): no transaction of its own. The position
      // is saved with the next page that has entries, or with the cycle's record; were it lost,
      // the next cycle would read these empty pages again — which changes nothing.
      row = {
        ...row,
        nextLink,
        deltaLink: deltaLink ?? row.deltaLink,
        roundStartedAt: roundStarted ? ctx.clock() : row.roundStartedAt,
      };
      unsaved = true;
      if (deltaLink) return done(true);
      continue;
    }
    const attachments = await prefetchAttachments(ctx, settings, row, entries);
    const result = await inPageTransaction(ctx.prisma, async (tx) => {
      const counts = await applyPage(ctx, settings, tx, row, entries, attachments);
      const saved = await tx.mailboxFolderSync.update({
        where: { mailboxId_folderId: { mailboxId: row.mailboxId, folderId: row.folderId } },
        data: {
          nextLink,
          ...(deltaLink ? { deltaLink } : {}),
          roundStartedAt: roundStarted ? ctx.clock() : row.roundStartedAt,
        },
      });
      return { counts, saved };
    });
    tally.entries += entries.length;
    tally.processed += result.counts.processed;
    tally.failed += result.counts.failed;
    for (const [k, v] of Object.entries(result.counts.outcomes)) {
      tally.outcomes[k as Outcome] = (tally.outcomes[k as Outcome] ?? 0) + v;
    }
    row = result.saved;
    unsaved = false;
    if (deltaLink) return true;
  }
}

async function prefetchAttachments(
  ctx: CycleContext,
  settings: IncomingSettings,
  row: MailboxFolderSync,
  entries: DeltaEntry[],
): Promise<Map<string, FetchedAttachment[]>> {
  const out = new Map<string, FetchedAttachment[]>();
  const tracked = row.folderId !== INBOX;
  if (!tracked && effectiveFilter(ctx.mailbox, settings.defaultFilter) === 'None') return out;
  const from = processEmailFrom(ctx.mailbox);
  const candidates = entries.flatMap((e) =>
    e.kind === 'message' && e.message.hasAttachments && !(from && e.message.receivedAt < from)
      ? [e.message]
      : [],
  );
  if (candidates.length === 0) return out;
  // Only messages that may become new activities: known ones are linked, not fetched again.
  const known = await ctx.prisma.emailActivity.findMany({
    where: { internetMessageId: { in: candidates.map((m) => m.internetMessageId) } },
    select: { internetMessageId: true },
  });
  const knownIds = new Set(known.map((k) => k.internetMessageId));
  for (const m of candidates) {
    if (knownIds.has(m.internetMessageId) || m.syncfleetId) continue;
    out.set(
      m.graphId,
      await fetchAttachments(ctx.graph, userPath(ctx.mailbox), m.graphId, settings.attachmentMaxBytes),
    );
  }
  return out;
}

async function applyPage(
  ctx: CycleContext,
  settings: IncomingSettings,
  tx: Prisma.TransactionClient,
  row: MailboxFolderSync,
  entries: DeltaEntry[],
  attachments: Map<string, FetchedAttachment[]>,
) {
  const scope: PageScope = {
    tx,
    mailbox: ctx.mailbox,
    place: { mailboxId: row.mailboxId, folderId: row.folderId },
    inTrackedFolder: row.folderId !== INBOX,
    filter: effectiveFilter(ctx.mailbox, settings.defaultFilter),
    processEmailFrom: processEmailFrom(ctx.mailbox),
    settings,
    attachments,
    changes: [],
  };
  const counts = { processed: 0, failed: 0, outcomes: {} as Partial<Record<Outcome | 'removed', number>> };
  const bump = (k: Outcome | 'removed') => (counts.outcomes[k] = (counts.outcomes[k] ?? 0) + 1);
  const removed = entries.flatMap((e) => (e.kind === 'removed' ? [e.graphId] : []));
  await markRemoved(tx, row.mailboxId, removed);
  for (const entry of entries) {
    if (entry.kind === 'removed') {
      counts.processed += 1;
      bump('removed');
    } else if (entry.kind === 'partial') {
      bump(await applyPartialUpdate(scope, entry.graphId, entry.changeKey));
      counts.processed += 1;
    } else if (entry.kind === 'malformed') {
      counts.failed += 1;
      await recordMalformed(scope, entry.graphId, entry.reason);
    } else {
      bump(await applyMessage(scope, entry.message));
      counts.processed += 1;
    }
  }
  // Last statement of the page's transaction: GET /api/changes shows what this page promoted.
  await stampChanges(tx, scope.changes);
  return counts;
}
