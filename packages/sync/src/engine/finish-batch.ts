import { Prisma, type RunOutcome, type SqlClient } from '@syncfleet/db';
import type { WorkloadName } from '@syncfleet/workloads';
import { createBatcher, retryingConflicts } from './batch';

/**
 * Where a delta round stands for one folder (or other synced collection) of a mailbox: saved with
 * the cycle's record when the cycle had nothing else to write (engine/types.ts CycleResult.positions).
 */
export interface SyncPosition {
  folderId: string;
  nextLink: string | null;
  deltaLink: string | null;
  roundStartedAt: Date | null;
}

/** A cycle that ended normally, as the finish statement records it. */
export interface FinishedCycle {
  mailboxId: string;
  workload: WorkloadName;
  /** Identifies the claim: the record lands only while it still holds. */
  startedAt: Date;
  finishedAt: Date;
  nextDueAt: Date;
  lastDurationMs: number;
  averageDurationMs: number;
  itemsProcessed: number;
  itemsFailed: number;
  /** JSON text of the new checkpoint; undefined keeps the stored one. */
  checkpoint?: string | null;
  outcome: RunOutcome;
  jobId: string | null;
  positions: SyncPosition[];
}

/**
 * The SyncRun rows for every cycle in `done`, which must return "mailboxId", "workload", "jobId",
 * "startedAt", "finishedAt", "outcome", "itemsProcessed", "itemsFailed" and "errorCode": the one way
 * a run is recorded, for successes (below) and failures (finish.ts) alike.
 */
export function recordRuns(host: string): Prisma.Sql {
  return Prisma.sql`run AS (
    INSERT INTO "SyncRun" ("mailboxId", "workload", "jobId", "host", "startedAt", "finishedAt", "outcome",
                           "itemsProcessed", "itemsFailed", "errorCode")
    SELECT "mailboxId", "workload", "jobId", ${host}::text, "startedAt", "finishedAt", "outcome",
           "itemsProcessed", "itemsFailed", "errorCode"
    FROM done)`;
}

/**
 * Records many finished cycles in ONE statement: each cycle's claim released and workload row
 * updated (only while that claim still holds), its SyncRun inserted, its sync positions saved.
 * Returns the cycles whose claim held, as "<mailboxId>|<workload>|<startedAt ms>".
 */
function finishStatement(host: string, cycles: FinishedCycle[]): Prisma.Sql {
  const col = <T>(pick: (c: FinishedCycle) => T) => cycles.map(pick);
  const positions = cycles.flatMap((c) => c.positions.map((p) => ({ ...p, cycle: c })));
  const pos = <T>(pick: (p: (typeof positions)[number]) => T) => positions.map(pick);
  return Prisma.sql`
    WITH input AS (
      SELECT * FROM unnest(
        ${col((c) => c.mailboxId)}::uuid[], ${col((c) => c.workload)}::"Workload"[],
        ${col((c) => c.startedAt.toISOString())}::timestamp[], ${col((c) => c.finishedAt.toISOString())}::timestamp[],
        ${col((c) => c.nextDueAt.toISOString())}::timestamp[], ${col((c) => c.lastDurationMs)}::int[],
        ${col((c) => c.averageDurationMs)}::int[], ${col((c) => c.itemsProcessed)}::int[],
        ${col((c) => c.itemsFailed)}::int[], ${col((c) => c.checkpoint !== undefined)}::boolean[],
        ${col((c) => c.checkpoint ?? null)}::jsonb[], ${col((c) => c.outcome)}::"RunOutcome"[],
        ${col((c) => c.jobId)}::text[]
      ) AS t("mailboxId", "workload", "startedAt", "finishedAt", "nextDueAt", "lastDurationMs",
             "averageDurationMs", "itemsProcessed", "itemsFailed", "setCheckpoint", "checkpoint",
             "outcome", "jobId")),
    done AS (
      UPDATE "MailboxWorkload" w SET
        "processingState" = 'Idle', "processingHost" = NULL, "processingLeaseUntil" = NULL,
        "lastDurationMs" = i."lastDurationMs", "averageDurationMs" = i."averageDurationMs",
        "cycleCount" = w."cycleCount" + 1, "updatedAt" = i."finishedAt",
        "status" = 'Success', "transientFailureCount" = 0, "lastSuccessAt" = i."finishedAt",
        -- A request to run at once that arrived during this cycle (wake.ts) is served right after it.
        "nextDueAt" = CASE WHEN w."wakeRequestedAt" >= w."processingStartedAt"
                           THEN LEAST(i."nextDueAt", i."finishedAt") ELSE i."nextDueAt" END,
        "postponedUntil" = NULL,
        "itemsProcessed" = i."itemsProcessed", "itemsFailed" = i."itemsFailed",
        "checkpoint" = CASE WHEN i."setCheckpoint" THEN i."checkpoint" ELSE w."checkpoint" END
      FROM input i
      WHERE w."mailboxId" = i."mailboxId" AND w."workload" = i."workload"
        AND w."processingState" = 'Processing' AND w."processingStartedAt" = i."startedAt"
      RETURNING w."mailboxId", w."workload", i."jobId", i."startedAt", i."finishedAt", i."outcome",
                i."itemsProcessed", i."itemsFailed", NULL::text AS "errorCode"),
    ${recordRuns(host)},
    positions AS (
      UPDATE "MailboxFolderSync" f SET
        "nextLink" = p."nextLink", "deltaLink" = p."deltaLink", "roundStartedAt" = p."roundStartedAt",
        "updatedAt" = p."finishedAt"
      FROM unnest(
        ${pos((p) => p.cycle.mailboxId)}::uuid[], ${pos((p) => p.cycle.workload)}::"Workload"[],
        ${pos((p) => p.cycle.startedAt.toISOString())}::timestamp[],
        ${pos((p) => p.cycle.finishedAt.toISOString())}::timestamp[], ${pos((p) => p.folderId)}::text[],
        ${pos((p) => p.nextLink)}::text[], ${pos((p) => p.deltaLink)}::text[],
        ${pos((p) => p.roundStartedAt?.toISOString() ?? null)}::timestamp[]
      ) AS p("mailboxId", "workload", "startedAt", "finishedAt", "folderId", "nextLink", "deltaLink", "roundStartedAt")
      WHERE f."mailboxId" = p."mailboxId" AND f."folderId" = p."folderId"
        AND EXISTS (SELECT 1 FROM done d WHERE d."mailboxId" = p."mailboxId" AND d."workload" = p."workload"
                    AND d."startedAt" = p."startedAt"))
    SELECT "mailboxId"::text || '|' || "workload"::text || '|' ||
           (extract(epoch FROM "startedAt") * 1000)::bigint::text AS key
    FROM done`;
}

const keyOf = (c: Pick<FinishedCycle, 'mailboxId' | 'workload' | 'startedAt'>) =>
  `${c.mailboxId}|${c.workload}|${c.startedAt.getTime()}`;

export interface FinishBatcher {
  /** Records the cycle (with others finishing at the same moment); true when its claim held. */
  record(cycle: FinishedCycle): Promise<boolean>;
}

/** Finished cycles are recorded together, many per statement and commit (batch.ts). */
export function createFinishBatcher(sql: SqlClient, host: string): FinishBatcher {
  const record = createBatcher(async (cycles: FinishedCycle[]) => {
    const rows = await retryingConflicts(() => sql.query<{ key: string }>(finishStatement(host, cycles)));
    const landed = new Set(rows.map((r) => r.key));
    return cycles.map((c) => landed.has(keyOf(c)));
  });
  return { record };
}

/**
 * Saves sync positions for a cycle that ran WITHOUT a claim (tests and tools calling a handler
 * directly): nothing to guard.
 */
export async function savePositions(
  sql: SqlClient,
  mailboxId: string,
  positions: readonly SyncPosition[] = [],
  now = new Date(),
): Promise<void> {
  for (const p of positions) {
    await sql.query(Prisma.sql`
      UPDATE "MailboxFolderSync"
      SET "nextLink" = ${p.nextLink}::text, "deltaLink" = ${p.deltaLink}::text,
          "roundStartedAt" = ${p.roundStartedAt}::timestamp, "updatedAt" = ${now}::timestamp
      WHERE "mailboxId" = ${mailboxId}::uuid AND "folderId" = ${p.folderId}::text`);
  }
}
