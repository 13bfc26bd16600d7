import type { ActLink, Prisma } from '@syncfleet/db';
import { classifyError } from '../engine/classify';
import type { CycleContext } from '../engine/types';
import { inTransaction } from './delta-round';
import {
  contactFromGraph,
  contactToGraph,
  FIELDS,
  taskFromApp,
  taskFromGraph,
  taskToGraph,
  type ActKind,
  type Fields,
} from './fields';
import { changedFields } from './merge';
import { contactMarkerFilter, markerBody } from './markers';
import { versionTagOf } from './pull';
import type { ActSettings } from './settings';
import { toExchange } from './settings';
import { clearPending, contactRecord, type AppRecord } from './store';

export interface PushCounts {
  processed: number;
  failed: number;
  created: number;
  updated: number;
  deleted: number;
  found: number;
}
export const emptyPush = (): PushCounts => ({
  processed: 0,
  failed: 0,
  created: 0,
  updated: 0,
  deleted: 0,
  found: 0,
});

export interface Collections {
  /** `/users/{id}/contactFolders/contacts/contacts` */
  contacts: string;
  /** `/users/{id}/todo/lists/{listId}/tasks` */
  tasks: string;
}

const toGraph = (kind: ActKind, f: Fields) => (kind === 'contact' ? contactToGraph(f) : taskToGraph(f));
const fromGraph = (kind: ActKind, item: Record<string, unknown>) =>
  kind === 'contact' ? contactFromGraph(item) : taskFromGraph(item);

/** Records of the mailbox owner marked for Exchange, oldest change first. */
async function pendingRecords(ctx: CycleContext, kind: ActKind, limit: number): Promise<AppRecord[]> {
  const owner = { ownerType: ctx.mailbox.ownerType, ownerId: ctx.mailbox.ownerId, pushPending: true };
  if (kind === 'contact') {
    const rows = await ctx.prisma.contact.findMany({
      where: owner,
      include: { emails: true },
      orderBy: { changeSeq: 'asc' },
      take: limit,
    });
    return rows.map(contactRecord);
  }
  const rows = await ctx.prisma.task.findMany({ where: owner, orderBy: { changeSeq: 'asc' }, take: limit });
  const records: AppRecord[] = [];
  for (const t of rows) {
    records.push({
      id: t.id,
      version: t.version,
      updatedAt: t.updatedAt,
      statusChangedAt: t.statusChangedAt,
      deletedAt: t.deletedAt,
      pushPending: true,
      categories: t.categories as string[],
      status: t.status,
      completedAt: t.completedAt,
      fields: taskFromApp(t),
    });
  }
  return records;
}

/** The sync filter (docs/act-sync.md#sync-filter): does this record go to Exchange? */
export function passesFilter(kind: ActKind, record: AppRecord, settings: ActSettings, now: Date): boolean {
  const f = settings.filter;
  if (kind === 'contact' ? !f.contacts : !f.tasks) return false;
  if (f.categories.length && !record.categories.some((c) => f.categories.includes(c))) return false;
  if (kind === 'task' && record.status === 'Completed') {
    const at = record.completedAt?.getTime() ?? 0;
    if (now.getTime() - at > f.completedWithinDays * 86_400_000) return false;
  }
  return true;
}

/** An answer Graph gives about this one item (400, 404, 412…), as opposed to the mailbox or service. */
function itemLevel(error: unknown): 'invalid' | 'gone' | 'stale' | null {
  const e = classifyError(error);
  if (e.reason === 'InvalidRequest') return 'invalid';
  if (e.reason === 'NotFound') return 'gone';
  if (e.reason === 'Conflict') return 'stale';
  return null;
}

/**
 * App → Exchange for one kind: every record of the owner marked for pushing is created, updated or
 * deleted in Exchange. Creating is idempotent across crashes: the intent is committed first, the
 * item carries our marker, and a record whose earlier attempt left no answer is looked for before
 * it is created again (contacts by their extended property; tasks were matched by the delta round
 * that ran just before, which covers everything created since its previous deltaLink).
 */
export async function pushKind(
  ctx: CycleContext,
  settings: ActSettings,
  kind: ActKind,
  collections: Collections,
  counts: PushCounts,
  budget: { left: number },
): Promise<boolean> {
  const records = await pendingRecords(ctx, kind, Math.max(1, budget.left));
  if (!records.length) return true;
  const links = await ctx.prisma.actLink.findMany({
    where: { mailboxId: ctx.mailbox.id, kind, recordId: { in: records.map((r) => r.id) } },
  });
  const linkOf = new Map(links.map((l) => [l.recordId, l]));
  const collection = kind === 'contact' ? collections.contacts : collections.tasks;
  const directions = settings.directions[kind];
  const bound = FIELDS[kind].filter((f) => toExchange(directions[f] ?? 'TwoWay'));
  for (const record of records) {
    if (ctx.signal.aborted || ctx.clock().getTime() >= ctx.deadline - 1_000) return false;
    budget.left -= 1;
    const link = linkOf.get(record.id);
    try {
      if (record.deletedAt) {
        await pushDelete(ctx, kind, collection, record, link, counts);
      } else if (link?.syncState === 'Unlinked') {
        await ctx.prisma.$transaction((tx) => clearPending(tx, kind, record.id, record.version));
      } else if (!link?.graphItemId) {
        if (!passesFilter(kind, record, settings, ctx.clock())) {
          await ctx.prisma.$transaction((tx) => clearPending(tx, kind, record.id, record.version));
        } else {
          await pushCreate(ctx, kind, collection, record, link, bound, counts);
        }
      } else {
        await pushUpdate(ctx, kind, collection, record, link, bound, counts);
      }
      counts.processed += 1;
    } catch (error) {
      const level = itemLevel(error);
      if (level === null) throw error;
      if (level === 'invalid') {
        counts.failed += 1;
        const message = classifyError(error).message.slice(0, 1_000);
        ctx.logger.warn({ kind, recordId: record.id, error: message }, 'ACT: item rejected by Exchange');
        await ctx.prisma.$transaction(async (tx) => {
          await tx.actLink.upsert({
            where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind, recordId: record.id } },
            create: {
              mailboxId: ctx.mailbox.id,
              kind,
              recordId: record.id,
              syncState: 'Failed',
              lastError: message,
            },
            update: { syncState: 'Failed', lastError: message, createIntentAt: null },
          });
          await clearPending(tx, kind, record.id, record.version);
        });
      }
      // gone / stale: the next delta round brings Exchange's state; the record stays marked.
    }
  }
  return budget.left > 0;
}

async function pushDelete(
  ctx: CycleContext,
  kind: ActKind,
  collection: string,
  record: AppRecord,
  link: ActLink | undefined,
  counts: PushCounts,
) {
  let graphId = link?.graphItemId ?? null;
  if (!graphId && link?.createIntentAt && kind === 'contact')
    graphId = await findContact(ctx, collection, record.id);
  if (graphId) {
    try {
      await ctx.graph.api(`${collection}/${encodeURIComponent(graphId)}`).delete();
      counts.deleted += 1;
    } catch (error) {
      if (itemLevel(error) !== 'gone') throw error; // already gone: the wanted end state
    }
  }
  await ctx.prisma.$transaction(async (tx) => {
    if (link) await tx.actLink.delete({ where: { id: link.id } });
    await clearPending(tx, kind, record.id, record.version);
  });
}

async function findContact(ctx: CycleContext, collection: string, recordId: string): Promise<string | null> {
  const found = (await ctx.graph
    .api(collection)
    .filter(contactMarkerFilter(recordId))
    .select('id')
    .top(2)
    .get()) as { value?: Array<{ id: string }> };
  return found.value?.[0]?.id ?? null;
}

async function pushCreate(
  ctx: CycleContext,
  kind: ActKind,
  collection: string,
  record: AppRecord,
  link: ActLink | undefined,
  bound: string[],
  counts: PushCounts,
) {
  const mailboxId = ctx.mailbox.id;
  if (link?.createIntentAt && kind === 'contact') {
    // An earlier attempt may have created it before its answer was recorded.
    const graphId = await findContact(ctx, collection, record.id);
    if (graphId) {
      const item = (await ctx.graph.api(`${collection}/${encodeURIComponent(graphId)}`).get()) as Record<
        string,
        unknown
      >;
      counts.found += 1;
      await ctx.prisma.$transaction(async (tx) => {
        await tx.actLink.update({
          where: { id: link.id },
          data: {
            graphItemId: graphId,
            createIntentAt: null,
            changeKey: versionTagOf(item),
            base: fromGraph(kind, item) as object,
          },
        });
      });
      const fresh = await ctx.prisma.actLink.findUniqueOrThrow({ where: { id: link.id } });
      return pushUpdate(ctx, kind, collection, record, fresh, bound, counts);
    }
  }
  // Intent first: committed before the request, so a crash after Graph's answer is recognised.
  await ctx.prisma.actLink.upsert({
    where: { mailboxId_kind_recordId: { mailboxId, kind, recordId: record.id } },
    create: { mailboxId, kind, recordId: record.id, createIntentAt: ctx.clock(), syncState: 'Pending' },
    update: { createIntentAt: ctx.clock(), syncState: 'Pending', lastError: null },
  });
  const body = { ...toGraph(kind, pick(record.fields, bound)), ...markerBody(kind, record.id) };
  const created = (await ctx.graph.api(collection).post(body)) as Record<string, unknown>;
  counts.created += 1;
  await recordSynced(ctx, kind, record, created, fromGraph(kind, created));
}

async function pushUpdate(
  ctx: CycleContext,
  kind: ActKind,
  collection: string,
  record: AppRecord,
  link: ActLink,
  bound: string[],
  counts: PushCounts,
) {
  const base = (link.base as Fields | null) ?? {};
  const diff = changedFields(base, record.fields, bound);
  if (!diff.length) {
    await ctx.prisma.$transaction(async (tx) => {
      await tx.actLink.update({
        where: { id: link.id },
        data: { syncedVersion: record.version, syncedAt: ctx.clock() },
      });
      await clearPending(tx, kind, record.id, record.version);
    });
    return;
  }
  // If-Match: written only over the version we merged with; a newer Exchange edit answers 412
  // and is merged by the next cycle's delta round first.
  const request = ctx.graph.api(`${collection}/${encodeURIComponent(link.graphItemId!)}`);
  if (link.changeKey) request.header('If-Match', etagOf(link.changeKey));
  const updated = (await request.patch(toGraph(kind, pick(record.fields, diff)))) as
    Record<string, unknown> | undefined;
  counts.updated += 1;
  const after = { ...base, ...pick(record.fields, diff) };
  await recordSynced(ctx, kind, record, updated ?? {}, after, link);
}

/** Contacts' changeKey is sent as a weak etag; To Do's etag is sent as given. */
function etagOf(tag: string): string {
  return tag.startsWith('W/') || tag.startsWith('"') ? tag : `W/"${tag}"`;
}

function pick(fields: Fields, keys: string[]): Fields {
  return Object.fromEntries(keys.map((k) => [k, fields[k] ?? null])) as Fields;
}

async function recordSynced(
  ctx: CycleContext,
  kind: ActKind,
  record: AppRecord,
  item: Record<string, unknown>,
  base: Fields,
  link?: ActLink,
) {
  const modified = Date.parse(String(item.lastModifiedDateTime ?? ''));
  await inTransaction(ctx, async (tx: Prisma.TransactionClient) => {
    await tx.actLink.update({
      where: { mailboxId_kind_recordId: { mailboxId: ctx.mailbox.id, kind, recordId: record.id } },
      data: {
        ...(typeof item.id === 'string' ? { graphItemId: item.id } : {}),
        changeKey: versionTagOf(item) ?? link?.changeKey ?? null,
        exchangeModifiedAt: Number.isNaN(modified) ? null : new Date(modified),
        base: base as object,
        syncedVersion: record.version,
        syncedAt: ctx.clock(),
        syncState: 'Synced',
        createIntentAt: null,
        lastError: null,
      },
    });
    // Only while the record is still at the version sent: a newer app edit stays marked.
    await clearPending(tx, kind, record.id, record.version);
  });
}
