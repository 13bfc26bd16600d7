import { AlertSeverity, Prisma, RunOutcome, toDbWorkload } from '@syncfleet/db';
import type { SyncError } from '@syncfleet/errors';
import { notifyOwner, raiseAlert } from './alerts';
import type { Claim } from './claim';
import { recordRuns } from './finish-batch';
import { consequenceOf } from './policy';
import { nextRunAt } from './schedule';
import type { CycleResult, EngineResources, MailboxWithProfile } from './types';

export interface Timing {
  startedAt: Date;
  finishedAt: Date;
  jobId?: string;
}

interface RunRecord {
  outcome: RunOutcome;
  itemsProcessed: number;
  itemsFailed: number;
  errorCode?: string;
}

/**
 * A failed cycle's end: release the claim with the error policy's changes, and record the SyncRun
 * — one statement, landing only while our claim still holds (processingStartedAt identifies it).
 */
function failureStatement(
  res: Pick<EngineResources, 'host'>,
  claim: Claim,
  timing: Timing,
  set: Prisma.Sql[],
  run: RunRecord,
): Prisma.Sql {
  const { lastDurationMs, averageDurationMs } = durations(claim, timing);
  return Prisma.sql`
    WITH done AS (
      UPDATE "MailboxWorkload" SET
        "processingState" = 'Idle', "processingHost" = NULL, "processingLeaseUntil" = NULL,
        "lastDurationMs" = ${lastDurationMs}::int, "averageDurationMs" = ${averageDurationMs}::int,
        "cycleCount" = "cycleCount" + 1, "updatedAt" = ${timing.finishedAt}::timestamp, ${Prisma.join(set)}
      WHERE "mailboxId" = ${claim.mailboxId}::uuid AND "workload" = ${claim.workload}::"Workload"
        AND "processingState" = 'Processing' AND "processingStartedAt" = ${claim.startedAt}::timestamp
      RETURNING "mailboxId", "workload", ${timing.jobId ?? null}::text AS "jobId",
                ${timing.startedAt}::timestamp AS "startedAt", ${timing.finishedAt}::timestamp AS "finishedAt",
                ${run.outcome}::"RunOutcome" AS "outcome", ${run.itemsProcessed}::int AS "itemsProcessed",
                ${run.itemsFailed}::int AS "itemsFailed", ${run.errorCode ?? null}::text AS "errorCode"),
    ${recordRuns(res.host)}
    SELECT count(*)::int AS n FROM done`;
}

function durations(claim: Claim, timing: Timing) {
  const ms = timing.finishedAt.getTime() - timing.startedAt.getTime();
  const n = claim.row.cycleCount;
  return {
    lastDurationMs: ms,
    averageDurationMs: Math.round(((claim.row.averageDurationMs ?? ms) * n + ms) / (n + 1)),
  };
}

/**
 * A cycle ended normally (or yielded): record it, its sync positions, and its next run, computed
 * from now. Recorded together with other cycles finishing at the same moment (finish-batch.ts).
 */
export async function finishSuccess(
  res: EngineResources,
  claim: Claim,
  mailbox: MailboxWithProfile,
  result: CycleResult,
  timing: Timing,
  incomingEnabled: boolean,
): Promise<boolean> {
  const nextDueAt = nextRunAt(res.settings, {
    workload: claim.workload,
    finishedAt: timing.finishedAt,
    itemsProcessed: result.itemsProcessed,
    incomingEnabled,
    profileMinPollingSec: mailbox.profile.minPollingIntervalSec,
    yielded: result.yielded ?? false,
    pushHealthyUntil: claim.row.pushHealthyUntil,
  });
  return res.finishes.record({
    mailboxId: claim.mailboxId,
    workload: claim.workload,
    startedAt: claim.startedAt,
    finishedAt: timing.finishedAt,
    nextDueAt,
    ...durations(claim, timing),
    itemsProcessed: result.itemsProcessed,
    itemsFailed: result.itemsFailed,
    checkpoint: result.checkpoint === undefined ? undefined : JSON.stringify(result.checkpoint),
    outcome: result.yielded ? RunOutcome.Yielded : RunOutcome.Success,
    jobId: timing.jobId ?? null,
    positions: result.positions ?? [],
  });
}

/** A cycle failed: apply the error policy (docs/dynamics-server-side-sync.md#error-policy). */
export async function finishFailure(
  res: EngineResources,
  claim: Claim,
  mailbox: MailboxWithProfile,
  error: SyncError,
  timing: Timing,
): Promise<void> {
  const consequence = consequenceOf(error, claim.row.transientFailureCount, res.settings);
  const set = [
    Prisma.sql`"status" = 'Failure', "lastErrorCode" = ${error.code}::text, "lastErrorMessage" = ${error.message}::text`,
    Prisma.sql`"lastErrorAt" = ${timing.finishedAt}::timestamp`,
    claim.row.lastErrorCode === error.code
      ? Prisma.sql`"lastErrorCount" = "lastErrorCount" + 1`
      : Prisma.sql`"lastErrorCount" = 1`,
  ];
  const workload = claim.workload;
  const alert = await res.prisma.$transaction(async (tx) => {
    let outcome: RunOutcome = RunOutcome.PermanentFailure;
    let raised: Awaited<ReturnType<typeof raiseAlert>> = null;
    switch (consequence.type) {
      case 'retry': {
        outcome = RunOutcome.TransientFailure;
        const retryAt = new Date(timing.finishedAt.getTime() + consequence.delayMs);
        set.push(
          Prisma.sql`"transientFailureCount" = ${consequence.attempt}::int, "nextDueAt" = ${retryAt}::timestamp`,
        );
        if (error.details.retryAfterMs) {
          const postponed = new Date(timing.finishedAt.getTime() + error.details.retryAfterMs);
          set.push(Prisma.sql`"postponedUntil" = ${postponed}::timestamp`);
        }
        if (consequence.attempt === 1) {
          raised = await raiseAlert(tx, {
            severity: AlertSeverity.Warning,
            code: error.code,
            message: `${workload} for ${mailbox.address} failed (${error.message}); retrying every ${Math.round(consequence.delayMs / 1000)} s, up to ${res.settings.transientMaxRetries} times.`,
            workload: toDbWorkload(claim.workload),
            mailboxId: mailbox.id,
            profileId: mailbox.profileId,
          });
        }
        break;
      }
      case 'postpone': {
        // App-wide (our infrastructure): try again later; the mailbox's retry count is untouched.
        outcome = RunOutcome.TransientFailure;
        const retryAt = new Date(timing.finishedAt.getTime() + consequence.delayMs);
        set.push(Prisma.sql`"nextDueAt" = ${retryAt}::timestamp`);
        if (error.details.retryAfterMs) {
          const postponed = new Date(timing.finishedAt.getTime() + error.details.retryAfterMs);
          set.push(Prisma.sql`"postponedUntil" = ${postponed}::timestamp`);
        }
        break;
      }
      case 'disable-workload':
        set.push(Prisma.sql`"enabled" = false, "transientFailureCount" = 0`);
        raised = await raiseAlert(tx, {
          severity: AlertSeverity.Error,
          code: error.code,
          message: `${workload} for ${mailbox.address} was disabled: ${consequence.reason}. Fix the cause, then Test & Enable the mailbox.`,
          workload: toDbWorkload(claim.workload),
          mailboxId: mailbox.id,
          profileId: mailbox.profileId,
        });
        break;
      case 'disable-profile':
        set.push(Prisma.sql`"enabled" = false, "transientFailureCount" = 0`);
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
    const run = { outcome, itemsProcessed: 0, itemsFailed: 0, errorCode: error.code };
    await tx.$queryRaw(failureStatement(res, claim, timing, set, run));
    return raised;
  });
  if (alert && alert.severity === AlertSeverity.Error) await notifyOwner(res, alert);
}
