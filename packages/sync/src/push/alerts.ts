import { AlertSeverity, fromDbWorkload, type Db, type Prisma, type Workload } from '@syncfleet/db';
import { SyncError } from '@syncfleet/errors';
import type { GraphClients } from '@syncfleet/graph';
import type { Logger } from '@syncfleet/telemetry';
import { raiseAlert } from '../engine/alerts';
import { permissionOrMailbox } from '../engine/permissions';
import type { MailboxWithProfile } from '../engine/types';

type Tx = Prisma.TransactionClient;

/** A subscription that has kept failing: Warning, on the mailbox (per workload) or on the profile. */
export const PUSH_FAILING = 'PushSubscriptionFailing';
/** The failing subscriptions it stood for work again (or are no longer wanted): Information. */
export const PUSH_RECOVERED = 'PushSubscriptionRecovered';

/** Serialises one profile's push alerts across lanes and schedulers (pg_advisory_xact_lock(int, int)). */
const LOCK_CLASS = 0x5f_ac_7c_10;

export interface FailedSubscription {
  id: string;
  workload: Workload;
  failingSince: Date;
  mailbox: MailboxWithProfile;
  error: SyncError;
}

/**
 * A failed `POST /subscriptions` whose validation handshake failed: Graph answers 400 (code
 * `ValidationError`) when the notificationUrl does not echo the validation token within 10 seconds
 * ("Receive change notifications through webhooks", Notification endpoint validation;
 * https://learn.microsoft.com/graph/change-notifications-delivery-webhooks). That URL is the
 * deployment's (WEBHOOK_PUBLIC_URL), the same for every mailbox: not the mailbox's failure.
 */
export function subscriptionError(error: SyncError, creating: boolean): SyncError {
  if (creating && error.details.status === 400 && error.code === 'ValidationError') {
    return new SyncError('NotificationUrlRejected', error.message, {
      code: error.code,
      status: 400,
      cause: error,
    });
  }
  return error;
}

const when = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const POLLED =
  'Until it works, the mailbox is polled at its normal interval, so changes reach the fleet at the next poll instead of within seconds; Syncfleet keeps retrying and resolves this alert when it works again.';

/**
 * Tells the admin about subscriptions that keep failing, after the conventions of the engine's
 * alerts (engine/alerts.ts; docs/dynamics-server-side-sync.md#error-policy): a failure in one
 * mailbox gets a Warning on that mailbox naming the workload; a failure that is the profile's or the
 * deployment's (scope `profile`/`app`: the app lacks the permission, Graph rejects the notification
 * URL) gets ONE Warning on the profile, however many mailboxes fail. Nothing is disabled: the
 * workload goes on by polling. The alert model has no resolved state, so a recovery acknowledges the
 * Warning (it leaves the unacknowledged list and the overview's counts) and records an Information
 * alert saying so — the history keeps both.
 */
export function createPushAlerts(deps: {
  prisma: Db;
  graph: GraphClients;
  logger: Logger;
  notificationUrl: string;
}) {
  const lock = (tx: Tx, profileId: string) =>
    tx.$queryRaw`SELECT pg_advisory_xact_lock(${LOCK_CLASS}::int, hashtext(${profileId}))::text`;

  /** Profile-wide when the classifier says so, or a 403 is the app registration's missing permission. */
  async function scopedError(f: FailedSubscription): Promise<SyncError> {
    if (f.error.reason !== 'MissingPermission') return f.error;
    return permissionOrMailbox({ graph: deps.graph }, f.mailbox, fromDbWorkload(f.workload), f.error);
  }

  function messageOf(f: FailedSubscription, error: SyncError, profileWide: boolean): string {
    const workload = fromDbWorkload(f.workload);
    const cause = `${error.code}: ${error.message}`;
    if (!profileWide) {
      return `Change notifications for ${workload} of ${f.mailbox.address} have failed since ${when(f.failingSince)} (${cause}). ${POLLED}`;
    }
    const fix =
      error.reason === 'NotificationUrlRejected'
        ? ` Microsoft Graph could not validate the notification URL ${deps.notificationUrl}: the webhook receiver (apps/webhooks) must be reachable from Microsoft at WEBHOOK_PUBLIC_URL and echo the validation token.`
        : '';
    return `Change notifications cannot be set up for the mailboxes of profile ${f.mailbox.profile.name}: failing since ${when(f.failingSince)}, first for ${workload} of ${f.mailbox.address} (${cause}).${fix} ${POLLED.replace('the mailbox is', 'its mailboxes are')}`;
  }

  /**
   * Subscriptions whose run of failures reached the threshold and that no alert names yet: grouped
   * by the alert they belong to (the profile's, or the mailbox workload's), each group is linked to
   * the standing alert in one statement, or raises it. Returns the alerts raised.
   */
  async function failing(list: readonly FailedSubscription[]): Promise<number> {
    const groups = new Map<string, { first: FailedSubscription; error: SyncError; ids: string[] }>();
    for (const f of list) {
      const error = await scopedError(f);
      const key = error.scope === 'mailbox' ? `m:${f.mailbox.id}:${f.workload}` : `p:${f.mailbox.profileId}`;
      const group = groups.get(key);
      if (group) group.ids.push(f.id);
      else groups.set(key, { first: f, error, ids: [f.id] });
    }
    let raised = 0;
    for (const { first: f, error, ids } of groups.values()) {
      const profileWide = error.scope !== 'mailbox';
      const alert = await deps.prisma.$transaction(async (tx) => {
        await lock(tx, f.mailbox.profileId);
        const standing = await tx.alert.findFirst({
          where: profileWide
            ? { code: PUSH_FAILING, profileId: f.mailbox.profileId, mailboxId: null, acknowledgedAt: null }
            : { code: PUSH_FAILING, mailboxId: f.mailbox.id, workload: f.workload, acknowledgedAt: null },
          select: { id: true },
        });
        // Still failing and named by no alert (another scheduler may have linked them meanwhile).
        const unlinked = { id: { in: ids }, alertId: null, failingSince: { not: null } };
        if (!standing && !(await tx.mailboxSubscription.count({ where: unlinked }))) return null;
        const created = standing
          ? null
          : await raiseAlert(tx, {
              severity: AlertSeverity.Warning,
              code: PUSH_FAILING,
              message: messageOf(f, error, profileWide),
              workload: profileWide ? null : f.workload,
              mailboxId: profileWide ? null : f.mailbox.id,
              profileId: f.mailbox.profileId,
            });
        await tx.mailboxSubscription.updateMany({
          where: unlinked,
          data: { alertId: (standing ?? created)!.id },
        });
        return created;
      });
      if (alert) {
        raised++;
        deps.logger.warn(
          { alertId: alert.id, mailboxId: alert.mailboxId, profileId: alert.profileId, code: error.code },
          'change-notification subscription keeps failing: alert raised',
        );
      }
    }
    return raised;
  }

  /**
   * Subscriptions named by an alert that work again (`unlink`), or alerts whose subscriptions were
   * deleted: each alert no subscription names any more is resolved. Returns the alerts resolved.
   */
  async function settle(
    byProfile: ReadonlyMap<string, { unlink: string[]; alertIds: string[] }>,
    now: Date,
    why: 'works' | 'unwanted',
  ): Promise<number> {
    let resolved = 0;
    for (const [profileId, { unlink, alertIds }] of byProfile) {
      resolved += await deps.prisma.$transaction(async (tx) => {
        await lock(tx, profileId);
        if (unlink.length) {
          await tx.mailboxSubscription.updateMany({ where: { id: { in: unlink } }, data: { alertId: null } });
        }
        let n = 0;
        for (const alertId of new Set(alertIds)) {
          if (await tx.mailboxSubscription.count({ where: { alertId } })) continue;
          if (await resolve(tx, alertId, now, why)) n++;
        }
        return n;
      });
    }
    return resolved;
  }

  async function resolve(tx: Tx, alertId: string, now: Date, why: 'works' | 'unwanted') {
    const alert = await tx.alert.findUnique({
      where: { id: alertId },
      include: { mailbox: { select: { address: true } }, profile: { select: { name: true } } },
    });
    if (!alert) return false;
    if (!alert.acknowledgedAt)
      await tx.alert.update({ where: { id: alertId }, data: { acknowledgedAt: now } });
    const what = alert.mailbox
      ? `Change notifications for ${alert.workload ? fromDbWorkload(alert.workload) : 'the workloads'} of ${alert.mailbox.address}`
      : `Change notifications for the mailboxes of profile ${alert.profile?.name ?? alert.profileId}`;
    await raiseAlert(tx, {
      severity: AlertSeverity.Information,
      code: PUSH_RECOVERED,
      message:
        why === 'works'
          ? `${what} work again since ${when(now)}: changes reach the fleet within seconds again. The Warning of ${when(alert.createdAt)} is resolved.`
          : `${what} are no longer wanted (workload turned off or folder untracked) since ${when(now)}. The Warning of ${when(alert.createdAt)} is resolved.`,
      workload: alert.workload,
      mailboxId: alert.mailboxId,
      profileId: alert.profileId!,
    });
    deps.logger.info(
      { alertId, mailboxId: alert.mailboxId, profileId: alert.profileId, why },
      'push alert resolved',
    );
    return true;
  }

  /** Rows (with their alertId and profile) grouped for settle(). */
  function group(
    rows: readonly { id: string; alertId: string | null; profileId: string }[],
    unlink: boolean,
  ) {
    const byProfile = new Map<string, { unlink: string[]; alertIds: string[] }>();
    for (const r of rows) {
      if (!r.alertId) continue;
      const g = byProfile.get(r.profileId) ?? { unlink: [], alertIds: [] };
      if (unlink) g.unlink.push(r.id);
      g.alertIds.push(r.alertId);
      byProfile.set(r.profileId, g);
    }
    return byProfile;
  }

  return {
    failing,
    /** These subscriptions work again. */
    recovered: (rows: readonly { id: string; alertId: string | null; profileId: string }[], now: Date) =>
      settle(group(rows, true), now, 'works'),
    /** These subscriptions were deleted (no workload wants them). */
    deleted: (rows: readonly { id: string; alertId: string | null; profileId: string }[], now: Date) =>
      settle(group(rows, false), now, 'unwanted'),
  };
}

export type PushAlerts = ReturnType<typeof createPushAlerts>;
