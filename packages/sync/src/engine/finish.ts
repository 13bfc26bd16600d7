import { AlertSeverity, Prisma, RunOutcome, toDbWorkload } from '@syncfleet/db';
import type { SyncError } from '@syncfleet/errors';
import { notifyOwner, raiseAlert } from './alerts';
import type { Claim } from './claim';
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
 * Inside a finish statement: true while the cycle's claim still holds (the `done` step below
 * released it). A handler's deferred write (CycleResult.deferredWrites) must be guarded by it, so
 * that it lands exactly when the cycle's outcome does.
 */
export const CLAIM_HELD = Prisma.sql`EXISTS (SELECT 1 FROM done)`;

/**
 * The one way a cycle ends, success or failure: release the claim and update the workload row,
 * record the SyncRun, and apply the handler's deferred writes — ONE statement, atomic, landing only
 * while our claim still holds (processingStartedAt identifies it). Returns the statement; it yields
 * one row `{ n }`, 1 when it landed.
 */
function finishStatement(
  res: Pick<EngineResources, 'host'>,
  claim: Claim,
  timing: Timing,
  set: Prisma.Sql[],
  run: RunRecord,
  deferredWrites: readonly Prisma.Sql[] = [],
): Prisma.Sql {
  const ms = timing.finishedAt.getTime() - timing.startedAt.getTime();
  const n = claim.row.cycleCount;
  const average = Math.round(((claim.row.averageDurationMs ?? ms) * n + ms) / (n + 1));
  const deferred = deferredWrites.map((write, i) => Prisma.sql`, ${Prisma.raw(`d${i}`)} AS (${write})`);
  return Prisma.sql`
    WITH done AS (
      UPDATE "MailboxWorkload" SET
        "processingState" = 'Idle', "processingHost" = NULL, "processingLeaseUntil" = NULL,
        "lastDurationMs" = ${ms}::int, "averageDurationMs" = ${average}::int, "cycleCount" = "cycleCount" + 1,
        "updatedAt" = ${timing.finishedAt}::timestamp, ${Prisma.join(set)}
      WHERE "mailboxId" = ${claim.mailboxId}::uuid AND "workload" = ${claim.workload}::"Workload"
        AND "processingState" = 'Processing' AND "processingStartedAt" = ${claim.startedAt}::timestamp
      RETURNING "mailboxId", "workload"),
    run AS (
      INSERT INTO "SyncRun" ("mailboxId", "workload", "jobId", "host", "startedAt", "finishedAt", "outcome",
                             "itemsProcessed", "itemsFailed", "errorCode")
      SELECT "mailboxId", "workload", ${timing.jobId ?? null}::text, ${res.host}::text,
             ${timing.startedAt}::timestamp, ${timing.finishedAt}::timestamp, ${run.outcome}::"RunOutcome",
             ${run.itemsProcessed}::int, ${run.itemsFailed}::int, ${run.errorCode ?? null}::text
      FROM done)
    ${deferred.length ? Prisma.join(deferred, '') : Prisma.empty}
    SELECT count(*)::int AS n FROM done`;
}

/** A cycle ended normally (or yielded): record it and schedule the next one from now. */
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
  const set = [
    Prisma.sql`"status" = 'Success', "transientFailureCount" = 0, "lastSuccessAt" = ${timing.finishedAt}::timestamp`,
    Prisma.sql`"nextDueAt" = ${next}::timestamp, "postponedUntil" = NULL`,
    Prisma.sql`"itemsProcessed" = ${result.itemsProcessed}::int, "itemsFailed" = ${result.itemsFailed}::int`,
  ];
  if (result.checkpoint !== undefined)
    set.push(Prisma.sql`"checkpoint" = ${JSON.stringify(result.checkpoint)}::jsonb`);
  const run = {
    outcome: result.yielded ? RunOutcome.Yielded : RunOutcome.Success,
    itemsProcessed: result.itemsProcessed,
    itemsFailed: result.itemsFailed,
  };
  const [row] = await res.sql.query<{ n: number }>(
    finishStatement(res, claim, timing, set, run, result.deferredWrites),
    { prepare: true },
  );
  return row?.n === 1;
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
    await tx.$queryRaw(finishStatement(res, claim, timing, set, run));
    return raised;
  });
  if (alert && alert.severity === AlertSeverity.Error) await notifyOwner(res, alert);
}

/**
 * Applies a cycle's deferred writes when it ran WITHOUT a claim (tests and tools that call a
 * handler directly): nothing to guard, so the claim counts as held.
 */
export async function applyUnclaimedWrites(
  res: Pick<EngineResources, 'sql'>,
  writes: readonly Prisma.Sql[] = [],
): Promise<void> {
  if (!writes.length) return;
  const steps = writes.map((write, i) => Prisma.sql`, ${Prisma.raw(`d${i}`)} AS (${write})`);
  await res.sql.query(Prisma.sql`WITH done AS (SELECT 1) ${Prisma.join(steps, '')} SELECT 1`);
}
