import { fromDbWorkload, type Db } from '@syncfleet/db';
import { mailboxBacklog } from './backlog';
import { notFound } from './errors';
import { alertView, mailboxView, runView } from './serialize';

export const RECENT_LIMIT = 20;

/**
 * Dynamics' "Download Mailbox Details": everything an administrator (or support) needs about one
 * mailbox, every time in UTC ISO-8601 ('Z').
 */
export async function loadMailboxDetails(prisma: Db, id: string, now: Date) {
  const mailbox = await prisma.mailbox.findUnique({
    where: { id },
    include: {
      workloads: true,
      folders: { orderBy: { folderId: 'asc' } },
      profile: { select: { id: true, name: true, tenantId: true, maxConcurrentConnections: true } },
      alerts: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: RECENT_LIMIT },
      runs: { orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], take: RECENT_LIMIT },
      subscriptions: { orderBy: [{ workload: 'asc' }, { resource: 'asc' }] },
    },
  });
  if (!mailbox) throw notFound('Mailbox', id);
  const { workloads, ...view } = mailboxView({
    ...mailbox,
    folders: mailbox.folders.filter((f) => f.tracked),
  });
  const [backlog, failedEmails] = await Promise.all([
    mailboxBacklog(prisma, id),
    prisma.emailActivity.findMany({
      where: { ownerMailboxId: id, status: { in: ['Failed', 'Bounced'] } },
      orderBy: { updatedAt: 'desc' },
      take: RECENT_LIMIT,
      select: {
        id: true,
        subject: true,
        status: true,
        failureReason: true,
        sendAttemptCount: true,
        updatedAt: true,
      },
    }),
  ]);
  return {
    generatedAt: now.toISOString(),
    mailbox: view,
    profile: mailbox.profile,
    workloads,
    changeNotifications: {
      /** Per workload: while its subscriptions are healthy, when the first expires (polling is the safety net). */
      healthyUntil: Object.fromEntries(
        mailbox.workloads.map((w) => [fromDbWorkload(w.workload), w.pushHealthyUntil?.toISOString() ?? null]),
      ),
      subscriptions: mailbox.subscriptions.map((s) => ({
        workload: fromDbWorkload(s.workload),
        resource: s.resource,
        state: s.state,
        expiresAt: s.expiresAt?.toISOString() ?? null,
        lastNotificationAt: s.lastNotificationAt?.toISOString() ?? null,
        notificationCount: s.notificationCount,
        lastLifecycleEvent: s.lastLifecycleEvent,
        lastLifecycleAt: s.lastLifecycleAt?.toISOString() ?? null,
        failureCount: s.failureCount,
        /** When its current run of failures began (a Warning alert follows after PUSH_ALERT_AFTER_SEC). */
        failingSince: s.failingSince?.toISOString() ?? null,
        alertId: s.alertId,
        lastError: s.lastErrorCode ? { code: s.lastErrorCode, message: s.lastErrorMessage } : null,
      })),
    },
    recentAlerts: mailbox.alerts.map(alertView),
    recentRuns: mailbox.runs.map(runView),
    /** Item-level errors: this mailbox's emails that failed to send or bounced. */
    itemErrors: failedEmails.map((e) => ({
      emailId: e.id,
      subject: e.subject,
      status: e.status,
      reason: e.failureReason,
      attempts: e.sendAttemptCount,
      at: e.updatedAt.toISOString(),
    })),
    /** Items waiting to be synced, per kind (backlog.ts). */
    backlog,
    /** Delta state of the Inbox and each tracked folder. */
    folders: mailbox.folders.map((f) => ({
      folderId: f.folderId,
      displayName: f.displayName,
      tracked: f.tracked,
      roundStartedAt: f.roundStartedAt?.toISOString() ?? null,
      hasDeltaLink: f.deltaLink !== null,
      midRound: f.nextLink !== null,
      updatedAt: f.updatedAt.toISOString(),
    })),
  };
}

export type MailboxDetails = Awaited<ReturnType<typeof loadMailboxDetails>>;

const show = (value: unknown) =>
  value === null || value === undefined || value === '' ? '-' : String(value);

function section(title: string, rows: [string, unknown][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    title,
    '-'.repeat(title.length),
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${show(value)}`),
    '',
  ];
}

/** The same content as plain text, for attaching to a support ticket. */
export function renderDetailsText(details: MailboxDetails): string {
  const { mailbox, profile } = details;
  const lines = [
    `Syncfleet mailbox details: ${mailbox.address}`,
    `Generated at ${details.generatedAt} (all times UTC)`,
    '',
    ...section('Mailbox', [
      ['Id', mailbox.id],
      ['Address', mailbox.address],
      ['Display name', mailbox.displayName],
      ['Owner', `${mailbox.owner.type} ${mailbox.owner.id}`],
      ['Approval state', mailbox.approvalState],
      ['Process email from', mailbox.processEmailFrom],
      ['Incoming filter', mailbox.incomingFilter ?? 'fleet default'],
      ['Tracked folders', (mailbox.trackedFolders ?? []).map((f) => f.displayName ?? f.folderId).join(', ')],
      ['Graph user id', mailbox.graphUserId],
      ['Profile', `${profile.name} (${profile.id})`],
      ['Tenant', profile.tenantId],
    ]),
  ];
  for (const w of details.workloads) {
    lines.push(
      ...section(`Workload ${w.workload}`, [
        ['Method', w.method],
        ['Enabled', w.enabled ? 'yes' : 'no'],
        ['Status', w.status],
        ['Processing state', w.processingState],
        ['Processing host', w.processingHost],
        ['Last attempt', w.lastAttemptAt],
        ['Next scheduled run', w.nextDueAt],
        ['Postponed until', w.postponedUntil],
        ['Last success', w.lastSuccessAt],
        ['Last error', w.lastError ? `${w.lastError.code}: ${show(w.lastError.message)}` : null],
        ['Last error count', w.lastError?.count],
        ['Last error at', w.lastError?.occurredAt],
        ['Transient failures', w.transientFailureCount],
        ['Items processed (last cycle)', w.itemsProcessed],
        ['Items failed (last cycle)', w.itemsFailed],
        ['Last duration (ms)', w.lastDurationMs],
        ['Average duration (ms)', w.averageDurationMs],
      ]),
    );
  }
  const push = details.changeNotifications;
  lines.push('Change notifications (push)', '---------------------------');
  for (const [workload, until] of Object.entries(push.healthyUntil))
    lines.push(`${workload.padEnd(14)}  ${until ? `healthy until ${until}` : 'polled at its cadence'}`);
  if (!push.subscriptions.length) lines.push('(no subscriptions)');
  for (const s of push.subscriptions)
    lines.push(
      `${s.workload.padEnd(14)}  ${s.state.padEnd(23)}  ${s.resource}  expires ${show(s.expiresAt)}  ` +
        `notifications ${s.notificationCount} (last ${show(s.lastNotificationAt)})  ` +
        `lifecycle ${show(s.lastLifecycleEvent)}${s.lastError ? `  error ${s.lastError.code}` : ''}` +
        (s.failingSince ? `  failing since ${s.failingSince}${s.alertId ? ' (alerted)' : ''}` : ''),
    );
  lines.push(
    ...section(
      'Backlog (items waiting to be synced)',
      details.backlog.map((b) => [b.label, b.count ? `${b.count} (oldest ${b.oldest})` : 0]),
    ),
  );
  lines.push(`Item errors (last ${RECENT_LIMIT})`, '--------------------');
  if (!details.itemErrors.length) lines.push('(none)');
  for (const e of details.itemErrors)
    lines.push(`${e.at}  ${e.status.padEnd(8)}  ${e.subject}: ${show(e.reason)}`);
  lines.push('');
  lines.push(`Recent alerts (last ${RECENT_LIMIT})`, '-----------------------');
  if (!details.recentAlerts.length) lines.push('(none)');
  for (const a of details.recentAlerts)
    lines.push(
      `${a.createdAt}  ${a.severity.padEnd(11)}  ${show(a.workload).padEnd(14)}  ${a.code}: ${a.message}`,
    );
  lines.push('', `Recent runs (last ${RECENT_LIMIT})`, '---------------------');
  if (!details.recentRuns.length) lines.push('(none)');
  for (const r of details.recentRuns)
    lines.push(
      `${r.startedAt}  ${r.workload.padEnd(14)}  ${r.outcome.padEnd(16)}  ${r.durationMs} ms  ` +
        `processed ${r.itemsProcessed}  failed ${r.itemsFailed}  ${r.errorCode ?? ''}`.trimEnd(),
    );
  return `${lines.join('\n')}\n`;
}

/** A file name safe in a Content-Disposition header. */
export function detailsFileName(address: string): string {
  return `mailbox-${address.replace(/[^A-Za-z0-9@._+-]/g, '_')}-details.txt`;
}
