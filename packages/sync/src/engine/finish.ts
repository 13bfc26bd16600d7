import { AlertSeverity, Prisma, RunOutcome } from '@syncfleet/db';
import type { SyncError } from '@syncfleet/graph';
import { notifyOwner, raiseAlert } from './alerts';
import { whileClaimed, type Claim } from './claim';
import { consequenceOf } from './policy';
import { nextRunAt } from './schedule';
import type { CycleResult, EngineResources, MailboxWithProfile } from './types';
import { toDbWorkload } from '@syncfleet/db';

interface Timing {
  startedAt: Date;
  finishedAt: Date;
  jobId?: string;
}

function durationFields(claim: Claim, timing: Timing) {
  const ms = timing.finishedAt.getTime() - timing.startedAt.getTime();
  const n = claim.row.cycleCount;
  const average = Math.round(((claim.row.averageDurationMs ?? ms) * n + ms) / (n + 1));
  return { lastDurationMs: ms, averageDurationMs: average, cycleCount: { increment: 1 } };
}

function runRow(
  claim: Claim,
  timing: Timing,
  host: string,
  outcome: RunOutcome,
  processed: number,
  failed: number,
  errorCode?: string,
) {
  return {
    mailboxId: claim.mailboxId,
    workload: toDbWorkload(claim.workload),
    jobId: timing.jobId ?? null,
    host,
    startedAt: timing.startedAt,
    finishedAt: timing.finishedAt,
    outcome,
    itemsProcessed: processed,
    itemsFailed: failed,
    errorCode: errorCode ?? null,
  };
}

const IDLE = { processingState: 'Idle' as const, processingHost: null, processingLeaseUntil: null };

/** A cycle ended normally: record it and schedule the next one from now. */
export async function finishSuccess(
  res: EngineResources,
  claim: Claim,
  mailbox: MailboxWithProfile,
  result: CycleResult,
  timing: Timing,
  incomingEnabled: boolean,
): Promise<boolean> {
  const next = nextRunAt(res.settings, {
    workload: claim.workload,
    finishedAt: timing.finishedAt,
    itemsProcessed: result.itemsProcessed,
    incomingEnabled,
    profileMinPollingSec: mailbox.profile.minPollingIntervalSec,
    yielded: result.yielded ?? false,
  });
  const { lastDurationMs, averageDurationMs } = durationFields(claim, timing);
  const outcome = result.yielded ? RunOutcome.Yielded : RunOutcome.Success;
  const checkpoint = result.checkpoint === undefined ? null : JSON.stringify(result.checkpoint);
  // One statement, one round trip, atomic: release the claim and record the run. It lands only while
  // our claim still holds (processingStartedAt identifies it).
  const inserted = await res.prisma.$executeRaw(Prisma.sql`
    WITH done AS (
      UPDATE "MailboxWorkload" SET
        "processingState" = 'Idle', "processingHost" = NULL, "processingLeaseUntil" = NULL,
        "lastDurationMs" = ${lastDurationMs}, "averageDurationMs" = ${averageDurationMs},
        "cycleCount" = "cycleCount" + 1, "status" = 'Success', "transientFailureCount" = 0,
        "lastSuccessAt" = ${timing.finishedAt}, "nextDueAt" = ${next}, "postponedUntil" = NULL,
        "itemsProcessed" = ${result.itemsProcessed}, "itemsFailed" = ${result.itemsFailed},
        "checkpoint" = CASE WHEN ${result.checkpoint !== undefined} THEN ${checkpoint}::jsonb ELSE "checkpoint" END,
        "updatedAt" = ${timing.finishedAt}
      WHERE "mailboxId" = ${claim.mailboxId}::uuid AND "workload" = ${claim.workload}::"Workload"
        AND "processingState" = 'Processing' AND "processingStartedAt" = ${claim.startedAt}
      RETURNING "mailboxId", "workload")
    INSERT INTO "SyncRun" ("mailboxId", "workload", "jobId", "host", "startedAt", "finishedAt", "outcome", "itemsProcessed", "itemsFailed")
    SELECT "mailboxId", "workload", ${timing.jobId ?? null}, ${res.host}, ${timing.startedAt}, ${timing.finishedAt},
           ${outcome}::"RunOutcome", ${result.itemsProcessed}, ${result.itemsFailed}
    FROM done`);
  return inserted === 1;
}

/** A cycle failed: apply the error policy. Returns the alert raised, if any, after notifying. */
export async function finishFailure(
  res: EngineResources,
  claim: Claim,
  mailbox: MailboxWithProfile,
  error: SyncError,
  timing: Timing,
): Promise<void> {
  const consequence = consequenceOf(error, claim.row.transientFailureCount, res.settings);
  const sameError = claim.row.lastErrorCode === error.code;
  const errorFields = {
    lastErrorCode: error.code,
    lastErrorMessage: error.message,
    lastErrorAt: timing.finishedAt,
    lastErrorCount: sameError ? { increment: 1 } : 1,
    status: 'Failure' as const,
  };
  const workload = toDbWorkload(claim.workload);
  const alert = await res.prisma.$transaction(async (tx) => {
    const data: Prisma.MailboxWorkloadUpdateManyMutationInput = {
      ...IDLE,
      ...durationFields(claim, timing),
      ...errorFields,
    };
    let outcome: RunOutcome = RunOutcome.PermanentFailure;
    let raised: Awaited<ReturnType<typeof raiseAlert>> = null;
    switch (consequence.type) {
      case 'retry':
        outcome = RunOutcome.TransientFailure;
        data.transientFailureCount = consequence.attempt;
        data.nextDueAt = new Date(timing.finishedAt.getTime() + consequence.delayMs);
        if (error.details.retryAfterMs)
          data.postponedUntil = new Date(timing.finishedAt.getTime() + error.details.retryAfterMs);
        if (consequence.attempt === 1) {
          raised = await raiseAlert(tx, {
            severity: AlertSeverity.Warning,
            code: error.code,
            message: `${claim.workload} for ${mailbox.address} failed (${error.message}); retrying every ${Math.round(consequence.delayMs / 1000)} s, up to ${res.settings.transientMaxRetries} times.`,
            workload,
            mailboxId: mailbox.id,
            profileId: mailbox.profileId,
          });
        }
        break;
      case 'disable-workload':
        data.enabled = false;
        data.transientFailureCount = 0;
        raised = await raiseAlert(tx, {
          severity: AlertSeverity.Error,
          code: error.code,
          message: `${claim.workload} for ${mailbox.address} was disabled: ${consequence.reason}. Fix the cause, then Test & Enable the mailbox.`,
          workload,
          mailboxId: mailbox.id,
          profileId: mailbox.profileId,
        });
        break;
      case 'disable-profile':
        data.enabled = false;
        data.transientFailureCount = 0;
        // Every enabled workload of the profile is marked: one failure of the app registration is
        // the same failure for all of its mailboxes. One alert, on the profile.
        await tx.mailboxWorkload.updateMany({
          where: { enabled: true, mailbox: { profileId: mailbox.profileId } },
          data: {
            enabled: false,
            status: 'Failure',
            lastErrorCode: error.code,
            lastErrorMessage: error.message,
            lastErrorAt: timing.finishedAt,
          },
        });
        raised = await raiseAlert(
          tx,
          {
            severity: AlertSeverity.Error,
            code: error.code,
            message: `Profile ${mailbox.profile.name} cannot reach Microsoft 365: ${consequence.reason}. Its mailboxes were disabled; fix the profile, then Test & Enable them.`,
            profileId: mailbox.profileId,
          },
          { dedupe: true },
        );
        break;
    }
    const updated = await tx.mailboxWorkload.updateMany({ where: whileClaimed(claim), data });
    if (updated.count === 1) {
      await tx.syncRun.create({ data: runRow(claim, timing, res.host, outcome, 0, 0, error.code) });
    }
    return raised;
  });
  if (alert && alert.severity === AlertSeverity.Error) await notifyOwner(res, alert);
}
