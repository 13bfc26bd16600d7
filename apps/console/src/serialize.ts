import { fromDbWorkload } from '@syncfleet/db';
import type {
  Alert,
  EmailServerProfile,
  Mailbox,
  MailboxFolderSync,
  MailboxWorkload,
  SyncRun,
} from '@syncfleet/db';
import { WORKLOAD_NAMES } from '@syncfleet/workloads';
import { effectiveActSettings } from './act-settings';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/**
 * A profile as the API shows it. Built field by field (never by spreading the row) so the sealed
 * secret and its key id can never slip into a response.
 */
export function profileView(profile: EmailServerProfile) {
  return {
    id: profile.id,
    name: profile.name,
    tenantId: profile.tenantId,
    clientId: profile.clientId,
    hasClientSecret: profile.clientSecretCiphertext.length > 0,
    authorityUrl: profile.authorityUrl,
    graphBaseUrl: profile.graphBaseUrl,
    maxConcurrentConnections: profile.maxConcurrentConnections,
    minPollingIntervalSec: profile.minPollingIntervalSec,
    processEmailFrom: iso(profile.processEmailFrom),
    connectionTimeoutSec: profile.connectionTimeoutSec,
    ownerEmail: profile.ownerEmail,
    notificationMailboxId: profile.notificationMailboxId,
    webhookUrl: profile.webhookUrl,
    hasWebhookSecret: profile.webhookSecretCiphertext !== null,
    digestQuietSec: profile.digestQuietSec,
    actConflictPolicy: profile.actConflictPolicy,
    actDeletePolicy: profile.actDeletePolicy,
    actInvitationPolicy: profile.actInvitationPolicy,
    /** What the sync engine uses, defaults included (the shape a PATCH takes). */
    actSettings: effectiveActSettings(profile),
    /** What is stored: only the keys an admin set (the rest are defaults). */
    actSettingsStored: profile.actSettings ?? {},
    createdAt: iso(profile.createdAt),
    updatedAt: iso(profile.updatedAt),
  };
}

export function workloadView(row: MailboxWorkload) {
  return {
    workload: fromDbWorkload(row.workload),
    method: row.method,
    enabled: row.enabled,
    status: row.status,
    processingState: row.processingState,
    processingHost: row.processingHost,
    processingStartedAt: iso(row.processingStartedAt),
    lastAttemptAt: iso(row.lastAttemptAt),
    nextDueAt: iso(row.nextDueAt),
    postponedUntil: iso(row.postponedUntil),
    lastSuccessAt: iso(row.lastSuccessAt),
    lastError: row.lastErrorCode
      ? {
          code: row.lastErrorCode,
          message: row.lastErrorMessage,
          count: row.lastErrorCount,
          occurredAt: iso(row.lastErrorAt),
        }
      : null,
    transientFailureCount: row.transientFailureCount,
    itemsProcessed: row.itemsProcessed,
    itemsFailed: row.itemsFailed,
    lastDurationMs: row.lastDurationMs,
    averageDurationMs: row.averageDurationMs,
    cycleCount: row.cycleCount,
  };
}

const order = (row: MailboxWorkload) => WORKLOAD_NAMES.indexOf(fromDbWorkload(row.workload));

export function mailboxView(
  mailbox: Mailbox & { workloads?: MailboxWorkload[]; folders?: MailboxFolderSync[] },
) {
  return {
    id: mailbox.id,
    address: mailbox.address,
    displayName: mailbox.displayName,
    owner: { type: mailbox.ownerType, id: mailbox.ownerId },
    profileId: mailbox.profileId,
    approvalState: mailbox.approvalState,
    processEmailFrom: iso(mailbox.processEmailFrom),
    /** null = the fleet default (INCOMING_DEFAULT_FILTER). */
    incomingFilter: mailbox.incomingFilter,
    ...(mailbox.folders && {
      trackedFolders: mailbox.folders
        .filter((f) => f.tracked)
        .map((f) => ({ folderId: f.folderId, displayName: f.displayName })),
    }),
    graphUserId: mailbox.graphUserId,
    createdAt: iso(mailbox.createdAt),
    updatedAt: iso(mailbox.updatedAt),
    workloads: [...(mailbox.workloads ?? [])].sort((a, b) => order(a) - order(b)).map(workloadView),
  };
}

export function alertView(alert: Alert) {
  return {
    id: alert.id,
    severity: alert.severity,
    code: alert.code,
    message: alert.message,
    workload: alert.workload ? fromDbWorkload(alert.workload) : null,
    mailboxId: alert.mailboxId,
    profileId: alert.profileId,
    createdAt: iso(alert.createdAt),
    acknowledgedAt: iso(alert.acknowledgedAt),
    notifiedAt: iso(alert.notifiedAt),
  };
}

export function runView(run: SyncRun) {
  return {
    id: run.id.toString(),
    workload: fromDbWorkload(run.workload),
    jobId: run.jobId,
    host: run.host,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs: run.finishedAt.getTime() - run.startedAt.getTime(),
    outcome: run.outcome,
    itemsProcessed: run.itemsProcessed,
    itemsFailed: run.itemsFailed,
    errorCode: run.errorCode,
  };
}
