import { Prisma, type SqlClient } from '@syncfleet/db';
import { enqueueWorkloads, type WorkloadQueues } from '@syncfleet/queues';
import type { WorkloadName } from '@syncfleet/workloads';
import { claimableOnceDue } from './claimable';

export interface CycleRequest {
  mailboxId: string;
  workload: WorkloadName;
}

export interface WakeDeps {
  sql: SqlClient;
  queues: WorkloadQueues;
  clock?: () => Date;
}

export interface WakeResult {
  /** Jobs handed to the queues now (a job already queued for the same due time counts once). */
  queued: number;
  /** Requests that arrived while a cycle ran: that cycle's finish makes the workload due at once. */
  followUps: number;
}

interface WokenRow {
  mailboxId: string;
  workload: WorkloadName;
  nextDueAt: Date;
  runnable: boolean;
  running: boolean;
}

/**
 * "Sync this mailbox now": an application write, a change notification or an admin asks for a
 * cycle without waiting for the cadence. For each (mailbox, workload) that is enabled on server-side
 * sync, ONE statement makes it due now (never later than it already was), stamps the request, and
 * marks it queued; the job then goes straight to its queue with the scheduler's deterministic id
 * (`<workload>.<mailboxId>.<dueAt>`), so a burst of requests for one mailbox gives one job.
 *
 * A request arriving while a cycle runs is never lost: that cycle's finish sees the stamp is newer
 * than its claim and makes the workload due at its own finish time (finish-batch.ts), and the
 * scheduler's next tick queues it — one more cycle, not one per request. Postponement (Retry-After,
 * retry back-off) and approval still apply: such a workload is made due and runs when they allow.
 * If queueing fails after the commit, the scheduler's requeue pass re-sends the job
 * (REQUEUE_AFTER_MS), as for any job lost between PostgreSQL and Redis.
 */
export async function requestCycles(deps: WakeDeps, requests: readonly CycleRequest[]): Promise<WakeResult> {
  if (!requests.length) return { queued: 0, followUps: 0 };
  const now = (deps.clock ?? (() => new Date()))();
  const rows = await deps.sql.query<WokenRow>(
    Prisma.sql`
    WITH req AS (
      SELECT DISTINCT * FROM unnest(${requests.map((r) => r.mailboxId)}::uuid[],
                                    ${requests.map((r) => r.workload)}::"Workload"[]) AS r(id, workload)),
    cur AS (
      SELECT w."mailboxId", w."workload", ${claimableOnceDue(now)} AS runnable,
             (w."processingState" = 'Processing' AND w."processingLeaseUntil" >= ${now}::timestamp) AS running
      FROM "MailboxWorkload" w JOIN "Mailbox" m ON m.id = w."mailboxId"
        JOIN req r ON r.id = w."mailboxId" AND r.workload = w."workload"
      WHERE w.enabled AND w.method = 'ServerSideSync'
      ORDER BY w."mailboxId", w."workload"
      FOR UPDATE OF w)
    UPDATE "MailboxWorkload" w SET
      "wakeRequestedAt" = ${now}::timestamp,
      "nextDueAt" = LEAST(w."nextDueAt", ${now}::timestamp),
      "enqueuedAt" = CASE WHEN c.runnable THEN ${now}::timestamp ELSE w."enqueuedAt" END
    FROM cur c
    WHERE w."mailboxId" = c."mailboxId" AND w."workload" = c."workload"
    RETURNING w."mailboxId", w."workload"::text AS "workload", w."nextDueAt", c.runnable, c.running`,
    { prepare: true },
  );
  const due = rows.filter((r) => r.runnable);
  await enqueueWorkloads(
    deps.queues,
    due.map((r) => ({ mailboxId: r.mailboxId, workload: r.workload, dueAt: r.nextDueAt.toISOString() })),
  );
  return { queued: due.length, followUps: rows.filter((r) => r.running).length };
}
