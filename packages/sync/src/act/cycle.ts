import { Prisma, type ActMailboxState, type MailboxFolderSync } from '@syncfleet/db';
import type { CycleContext, CycleResult, WorkloadHandler } from '../engine/types';
import { userPath } from '../probe/probe-handlers';
import { decodeFolder, runDeltaRound, type RoundTally } from './delta-round';
import { contactFromGraph, type ActKind } from './fields';
import { contactMarkerFilter, taskMarkerExpand } from './markers';
import { deploymentOf, OwnedElsewhereError, readMarker, resolveTaskList, writeMarker } from './ownership';
import { applyPulledPage, emptyPull, versionTagOf, type PullCounts } from './pull';
import { emptyPush, pushKind, type Collections, type PushCounts } from './push';
import { actSettingsOf, type ActSettings } from './settings';
import { hasPendingAppointments, pushAppointments } from './appointments/push';
import { CALENDAR_FOLDER, runCalendarRound } from './appointments/round';
import { appointmentSettingsOf } from './appointments/settings';

export const CONTACTS_FOLDER = 'act:contacts';
export const TASKS_FOLDER = 'act:tasks';

/** Contact properties read by the delta round (contact: delta supports $select). */
const CONTACT_SELECT = [
  'displayName',
  'givenName',
  'middleName',
  'surname',
  'emailAddresses',
  'businessPhones',
  'homePhones',
  'mobilePhone',
  'companyName',
  'jobTitle',
  'department',
  'businessAddress',
  'categories',
  'personalNotes',
  'changeKey',
  'lastModifiedDateTime',
].join(',');

/** The ACT delta positions and per-mailbox state, selected together with the claim. */
const preloadSql = (mailboxId: Prisma.Sql) => Prisma.sql`
  jsonb_build_object(
    'folders', (SELECT coalesce(jsonb_agg(to_jsonb(f)), '[]'::jsonb) FROM "MailboxFolderSync" f
                WHERE f."mailboxId" = ${mailboxId} AND f."folderId" IN (${CONTACTS_FOLDER}, ${TASKS_FOLDER}, ${CALENDAR_FOLDER})),
    'state', (SELECT to_jsonb(s) FROM "ActMailboxState" s WHERE s."mailboxId" = ${mailboxId}),
    'pending', (SELECT EXISTS (SELECT 1 FROM "Contact" c WHERE c."pushPending"
                                 AND c."ownerType" = o."ownerType" AND c."ownerId" = o."ownerId")
                    OR EXISTS (SELECT 1 FROM "Task" t WHERE t."pushPending"
                                 AND t."ownerType" = o."ownerType" AND t."ownerId" = o."ownerId")
                    OR EXISTS (SELECT 1 FROM "Appointment" a WHERE a."pushPending"
                                 AND a."ownerType" = o."ownerType" AND a."ownerId" = o."ownerId")
                    OR EXISTS (SELECT 1 FROM "Appointment" a JOIN "AppointmentParty" p ON p."appointmentId" = a.id
                                 WHERE a."pushPending" AND p.role = 'Organizer' AND p."mailboxId" = o.id)
                FROM "Mailbox" o WHERE o.id = ${mailboxId}),
    'intents', EXISTS (SELECT 1 FROM "ActLink" l WHERE l."mailboxId" = ${mailboxId} AND l.kind = 'contact'
                         AND l."graphItemId" IS NULL AND l."createIntentAt" IS NOT NULL))`;

export function createActHandler(): WorkloadHandler & { workload: 'act' } {
  return { workload: 'act', preload: preloadSql, run: runActCycle };
}

interface Preloaded {
  folders: MailboxFolderSync[];
  state: ActMailboxState | null;
  /** The owner has records marked for Exchange (the partial push indexes). */
  pending: boolean;
  /** Contacts whose create answer may have been lost (see resolveContactIntents). */
  intents: boolean;
}

function preloaded(ctx: CycleContext): Preloaded | null {
  const p = ctx.preloaded as
    | { folders?: unknown[]; state?: Record<string, unknown> | null; pending?: boolean; intents?: boolean }
    | undefined;
  if (!p || !Array.isArray(p.folders)) return null;
  const s = p.state;
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v.endsWith('Z') ? v : `${v}Z`) : null);
  return {
    pending: p.pending === true,
    intents: p.intents === true,
    folders: p.folders.map(decodeFolder),
    state: s
      ? ({
          mailboxId: String(s.mailboxId),
          taskListId: (s.taskListId as string | null) ?? null,
          ownedSince: date(s.ownedSince),
          ownershipCheckedAt: date(s.ownershipCheckedAt),
          updatedAt: date(s.updatedAt) ?? new Date(0),
        } as ActMailboxState)
      : null,
  };
}

/**
 * One ACT cycle for one mailbox, both directions (docs/act-sync.md): the ownership marker when due,
 * then Exchange → app (contacts delta, then the To Do list's tasks delta, page by page), then —
 * only when both rounds reached their deltaLink — app → Exchange for the owner's marked records.
 */
export async function runActCycle(ctx: CycleContext): Promise<CycleResult> {
  const settings = actSettingsOf(ctx.mailbox.profile);
  const user = userPath(ctx.mailbox);
  const pre = preloaded(ctx);
  let state =
    pre?.state ?? (await ctx.prisma.actMailboxState.findUnique({ where: { mailboxId: ctx.mailbox.id } }));
  const pending = pre ? pre.pending : await hasPending(ctx);
  state = await checkOwnership(ctx, settings, user, state, pending);
  const listId = state.taskListId!;
  const collections: Collections = {
    contacts: `${user}/contactFolders/contacts/contacts`,
    tasks: `${user}/todo/lists/${encodeURIComponent(listId)}/tasks`,
  };
  const folders = await actFolders(ctx, pre?.folders ?? null);
  const pull = emptyPull();
  const tally: RoundTally = { entries: 0, positions: [] };
  if (!pre || pre.intents) await resolveContactIntents(ctx, collections);
  const rounds: Array<[ActKind, MailboxFolderSync, string]> = [
    ['contact', folders.get(CONTACTS_FOLDER)!, `${collections.contacts}/delta?$select=${CONTACT_SELECT}`],
    ['task', folders.get(TASKS_FOLDER)!, `${collections.tasks}/delta?$expand=${taskMarkerExpand}`],
  ];
  let complete = true;
  const appt = appointmentSettingsOf(ctx.mailbox.profile);
  for (const [kind, row, startUrl] of rounds) {
    const done = await runDeltaRound(
      ctx,
      row,
      { startUrl, pageSize: settings.pageSize, maxEntries: settings.maxItemsPerCycle },
      tally,
      (tx, entries) => applyPulledPage(ctx, settings, kind, tx, entries, pull),
    );
    if (!done) {
      complete = false;
      break;
    }
  }
  // Appointments: the calendar's windowed delta round (appointments/round.ts).
  if (complete && appt.enabled) {
    const row = folders.get(CALENDAR_FOLDER)!;
    complete = await runCalendarRound(ctx, settings, appt, user, row, tally, pull);
  }
  const push = emptyPush();
  if (complete && pending) {
    const budget = { left: Math.max(1, settings.maxItemsPerCycle - tally.entries) };
    for (const kind of ['contact', 'task'] as const) {
      if (!(await pushKind(ctx, settings, kind, collections, push, budget))) {
        complete = false;
        break;
      }
    }
    if (appt.enabled && complete && !(await pushAppointments(ctx, appt, user, push, budget)))
      complete = false;
  }
  ctx.logger.debug({ pull, push, complete }, 'act cycle');
  return {
    itemsProcessed: pull.processed + push.processed,
    itemsFailed: pull.failed + push.failed,
    yielded: !complete,
    checkpoint: { pull: counts(pull), push: counts(push) } as Prisma.InputJsonValue,
    ...(tally.positions.length ? { positions: tally.positions } : {}),
  };
}

const counts = (c: PullCounts | PushCounts) => ({ ...c });

/** Does the owner have records waiting for Exchange? (Two partial-index lookups.) */
async function hasPending(ctx: CycleContext): Promise<boolean> {
  const where = { ownerType: ctx.mailbox.ownerType, ownerId: ctx.mailbox.ownerId, pushPending: true };
  const [c, t] = await Promise.all([
    ctx.prisma.contact.findFirst({ where, select: { id: true } }),
    ctx.prisma.task.findFirst({ where, select: { id: true } }),
  ]);
  return (
    !!(c || t) || (appointmentSettingsOf(ctx.mailbox.profile).enabled && (await hasPendingAppointments(ctx)))
  );
}

/**
 * The ownership marker is read when the cycle will write to Exchange, when it was never read, and
 * otherwise every `ownershipCheckSec` — so an idle cycle costs just its two delta requests. Finding
 * another deployment's marker stops ACT for the mailbox (OwnedElsewhere: the engine disables the
 * workload with an Error alert and tells the owner).
 */
async function checkOwnership(
  ctx: CycleContext,
  settings: ActSettings,
  user: string,
  state: ActMailboxState | null,
  writing: boolean,
): Promise<ActMailboxState> {
  const now = ctx.clock();
  const due =
    !state?.taskListId ||
    writing ||
    !state.ownershipCheckedAt ||
    now.getTime() - state.ownershipCheckedAt.getTime() >= settings.ownershipCheckSec * 1000;
  if (!due) return state!;
  const me = await deploymentOf(ctx.prisma);
  const listId = state?.taskListId ?? (await resolveTaskList(ctx.graph, user, settings.taskListName));
  const listPath = `${user}/todo/lists/${encodeURIComponent(listId)}`;
  const marker = await readMarker(ctx.graph, listPath);
  if (marker && marker.deploymentId !== me.id) throw new OwnedElsewhereError(ctx.mailbox.address, marker);
  if (!marker) {
    // Enabled before markers existed, or the marker was removed: this deployment claims it.
    await writeMarker(
      ctx.graph,
      listPath,
      { deploymentId: me.id, deploymentName: me.name, claimedAt: now.toISOString() },
      false,
    );
  }
  return ctx.prisma.actMailboxState.upsert({
    where: { mailboxId: ctx.mailbox.id },
    create: { mailboxId: ctx.mailbox.id, taskListId: listId, ownedSince: now, ownershipCheckedAt: now },
    update: {
      taskListId: listId,
      ownershipCheckedAt: now,
      ...(state?.ownedSince ? {} : { ownedSince: now }),
    },
  });
}

async function actFolders(
  ctx: CycleContext,
  rows: MailboxFolderSync[] | null,
): Promise<Map<string, MailboxFolderSync>> {
  const map = new Map((rows ?? []).map((r) => [r.folderId, r]));
  for (const [folderId, displayName] of [
    [CONTACTS_FOLDER, 'Contacts (ACT)'],
    [TASKS_FOLDER, 'To Do (ACT)'],
    [CALENDAR_FOLDER, 'Calendar (ACT)'],
  ] as const) {
    if (map.has(folderId)) continue;
    map.set(
      folderId,
      await ctx.prisma.mailboxFolderSync.upsert({
        where: { mailboxId_folderId: { mailboxId: ctx.mailbox.id, folderId } },
        create: { mailboxId: ctx.mailbox.id, folderId, displayName },
        update: {},
      }),
    );
  }
  return map;
}

/**
 * Contacts whose create was sent but never recorded (a crash between Graph's answer and our
 * commit): found by their marker BEFORE the delta round, so the round links the item instead of
 * importing it as a new application contact. Tasks carry their marker in the delta itself.
 */
async function resolveContactIntents(ctx: CycleContext, collections: Collections): Promise<void> {
  const open = await ctx.prisma.actLink.findMany({
    where: { mailboxId: ctx.mailbox.id, kind: 'contact', graphItemId: null, createIntentAt: { not: null } },
    take: 100,
  });
  for (const link of open) {
    const found = (await ctx.graph
      .api(collections.contacts)
      .filter(contactMarkerFilter(link.recordId))
      .top(2)
      .get()) as { value?: Record<string, unknown>[] };
    const item = found.value?.[0];
    if (!item || typeof item.id !== 'string') continue; // not created: the push creates it
    await ctx.prisma.actLink.update({
      where: { id: link.id },
      data: {
        graphItemId: item.id,
        createIntentAt: null,
        changeKey: versionTagOf(item),
        base: contactFromGraph(item) as object,
        syncState: 'Synced',
      },
    });
  }
}
