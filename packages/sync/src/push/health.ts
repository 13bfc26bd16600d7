import { Prisma, type SqlClient } from '@syncfleet/db';

export interface WorkloadKey {
  mailboxId: string;
  workload: string;
}

/**
 * Recomputes `MailboxWorkload.pushHealthyUntil` for these workloads from their subscriptions: while
 * every one is Active and unexpired, the time the first expires; otherwise NULL (the workload polls
 * at its normal cadence, engine/schedule.ts). Returns the workloads whose health was lost.
 */
export async function refreshHealth(
  sql: SqlClient,
  keys: readonly WorkloadKey[],
  now: Date,
): Promise<WorkloadKey[]> {
  if (!keys.length) return [];
  return sql
    .query<WorkloadKey>(
      Prisma.sql`
    WITH k AS (
      SELECT DISTINCT * FROM unnest(${keys.map((k) => k.mailboxId)}::uuid[],
                                    ${keys.map((k) => k.workload)}::"Workload"[]) AS k(id, workload)),
    h AS (
      SELECT k.id, k.workload,
        (SELECT CASE WHEN count(*) > 0 AND bool_and(s.state = 'Active' AND s."expiresAt" > ${now}::timestamp)
                     THEN min(s."expiresAt") END
           FROM "MailboxSubscription" s WHERE s."mailboxId" = k.id AND s.workload = k.workload) AS until
      FROM k),
    old AS (
      SELECT w."mailboxId", w.workload, w."pushHealthyUntil" AS was FROM "MailboxWorkload" w
        JOIN h ON h.id = w."mailboxId" AND h.workload = w.workload)
    UPDATE "MailboxWorkload" w SET "pushHealthyUntil" = h.until
    FROM h JOIN old ON old."mailboxId" = h.id AND old.workload = h.workload
    WHERE w."mailboxId" = h.id AND w.workload = h.workload AND w."pushHealthyUntil" IS DISTINCT FROM h.until
    RETURNING CASE WHEN h.until IS NULL AND old.was IS NOT NULL THEN w."mailboxId" END AS "mailboxId",
              w.workload::text AS workload`,
    )
    .then((rows) => rows.filter((r) => r.mailboxId !== null));
}
