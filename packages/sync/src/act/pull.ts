import type { Prisma } from '@syncfleet/db';
import type { CycleContext } from '../engine/types';
import { stampChanges, type ChangeInput } from './changes';
import { contactFromGraph, FIELDS, same, taskFromGraph, type ActKind, type Fields } from './fields';
import { changedFields, mergeFields } from './merge';
import { MARKER, markerOf } from './markers';
import type { ActSettings } from './settings';
import { toExchange } from './settings';
import { createFromExchange, deleteFromExchange, lockRecord, updateFromExchange } from './store';

export interface PullCounts {
  processed: number;
  failed: number;
  created: number;
  updated: number;
  conflicts: number;
  removed: number;
}

export const emptyPull = (): PullCounts => ({
  processed: 0,
  failed: 0,
  created: 0,
  updated: 0,
  conflicts: 0,
  removed: 0,
});

const fromGraph = (kind: ActKind, item: Record<string, unknown>) =>
  kind === 'contact' ? contactFromGraph(item) : taskFromGraph(item);

/** The version tag Graph gives a contact (changeKey) or a To Do task (its etag). */
export function versionTagOf(item: Record<string, unknown>): string | null {
  const tag = item.changeKey ?? item['@odata.etag'];
  return typeof tag === 'string' ? tag : null;
}

const modifiedAt = (item: Record<string, unknown>) => {
  const ms = Date.parse(String(item.lastModifiedDateTime ?? ''));
  return Number.isNaN(ms) ? new Date(0) : new Date(ms);
};

/**
 * Applies one delta page of contacts or tasks (Exchange → app), inside the page's transaction.
 * A malformed entry fails alone (counted, logged) and the page goes on.
 */
export async function applyPulledPage(
  ctx: CycleContext,
  settings: ActSettings,
  kind: ActKind,
  tx: Prisma.TransactionClient,
  entries: Record<string, unknown>[],
  counts: PullCounts,
): Promise<void> {
  const mailbox = ctx.mailbox;
  const stamps: ChangeInput[] = [];
  for (const entry of entries) {
    const graphId = typeof entry.id === 'string' && entry.id ? entry.id : null;
    if (!graphId) {
      counts.failed += 1;
      ctx.logger.warn({ kind }, 'ACT: delta entry without an id skipped');
      continue;
    }
    let link = await tx.actLink.findUnique({
      where: { mailboxId_graphItemId: { mailboxId: mailbox.id, graphItemId: graphId } },
    });
    if (entry['@removed']) {
      counts.processed += 1;
      if (!link) continue;
      counts.removed += 1;
      if (settings.deletePolicy === 'Delete') {
        await deleteFromExchange(tx, kind, link.recordId, mailbox.id, stamps);
        await tx.actLink.delete({ where: { id: link.id } });
      } else {
        await tx.actLink.update({
          where: { id: link.id },
          data: { graphItemId: null, syncState: 'Unlinked', syncedAt: ctx.clock(), createIntentAt: null },
        });
      }
      continue;
    }
    const tag = versionTagOf(entry);
    if (link && link.changeKey && tag === link.changeKey) {
      counts.processed += 1; // our own write coming back
      continue;
    }
    const exchange = fromGraph(kind, entry);
    if (!link) {
      // An item we created before a crash, found by the marker it carries (markers.ts).
      const recordId = markerOf(kind, entry);
      if (recordId) {
        const pending = await tx.actLink.findUnique({
          where: { mailboxId_kind_recordId: { mailboxId: mailbox.id, kind, recordId } },
        });
        if (pending && !pending.graphItemId && pending.syncState !== 'Unlinked') {
          link = await tx.actLink.update({
            where: { id: pending.id },
            data: { graphItemId: graphId, createIntentAt: null, base: pending.base ?? (exchange as object) },
          });
        }
      }
    }
    if (!link) {
      const owner = { ownerType: mailbox.ownerType, ownerId: mailbox.ownerId };
      const created = await createFromExchange(tx, kind, owner, exchange, mailbox.id, stamps);
      await tx.actLink.create({
        data: {
          mailboxId: mailbox.id,
          kind,
          recordId: created.id,
          graphItemId: graphId,
          changeKey: tag,
          exchangeModifiedAt: modifiedAt(entry),
          base: exchange as object,
          syncedVersion: created.version,
          syncedAt: ctx.clock(),
          syncState: 'Synced',
        },
      });
      counts.created += 1;
      counts.processed += 1;
      continue;
    }
    const record = await lockRecord(tx, kind, link.recordId);
    if (!record || record.deletedAt) {
      counts.processed += 1; // deleted in the app: the push deletes the Exchange copy
      continue;
    }
    const directions = settings.directions[kind];
    const { merged, conflicts } = mergeFields({
      kind,
      app: record.fields,
      exchange,
      base: (link.base as Fields | null) ?? null,
      directions,
      policy: settings.conflictPolicy,
      appChangedAt: record.updatedAt,
      exchangeChangedAt: modifiedAt(entry),
      appStatusChangedAt: record.statusChangedAt,
    });
    const appChanges = changedFields(record.fields, merged, FIELDS[kind]);
    // Exchange lacks what the merge kept from the app: the push phase sends it.
    const exchangeBound = FIELDS[kind].filter((f) => toExchange(directions[f] ?? 'TwoWay'));
    const stillPending = exchangeBound.some((f) => !same(merged[f] ?? null, exchange[f] ?? null));
    let version = record.version;
    if (appChanges.length) {
      const changes = Object.fromEntries(appChanges.map((f) => [f, merged[f] ?? null])) as Fields;
      version = await updateFromExchange(
        tx,
        kind,
        record,
        changes,
        stillPending || record.pushPending,
        mailbox.id,
        stamps,
      );
      counts.updated += 1;
    } else if (stillPending && !record.pushPending) {
      if (kind === 'contact')
        await tx.contact.update({ where: { id: record.id }, data: { pushPending: true } });
      else await tx.task.update({ where: { id: record.id }, data: { pushPending: true } });
    }
    if (conflicts.length) {
      counts.conflicts += conflicts.length;
      await tx.actConflict.createMany({
        data: conflicts.map((c) => ({
          mailboxId: mailbox.id,
          kind,
          recordId: record.id,
          graphItemId: graphId,
          field: c.field,
          appValue: c.appValue as Prisma.InputJsonValue,
          exchangeValue: c.exchangeValue as Prisma.InputJsonValue,
          winner: c.winner,
          rule: c.rule,
        })),
      });
    }
    await tx.actLink.update({
      where: { id: link.id },
      data: {
        changeKey: tag,
        exchangeModifiedAt: modifiedAt(entry),
        // What Exchange holds now: the push phase diffs the app against it.
        base: exchange as object,
        syncedVersion: version,
        syncedAt: ctx.clock(),
        syncState: 'Synced',
        lastError: null,
      },
    });
    counts.processed += 1;
  }
  await stampChanges(tx, stamps);
}

export { MARKER };
