import { Prisma } from '@syncfleet/db';

/**
 * The one rule for "this (mailbox, workload) may run now", used by the scheduler's due query and by
 * the claim, so the two can never disagree: an approved mailbox, the workload enabled on server-side
 * sync, due, not postponed (Retry-After, retry delay), and not held by a live claim (an expired
 * lease means the job that held it died). `w` is the MailboxWorkload row, `m` its Mailbox.
 */
export function claimable(now: Date): Prisma.Sql {
  return Prisma.sql`w."nextDueAt" <= ${now}::timestamp AND ${claimableOnceDue(now)}`;
}

/** `claimable` without the due time: what a request to run at once (wake.ts) still has to respect. */
export function claimableOnceDue(now: Date): Prisma.Sql {
  return Prisma.sql`w.enabled AND w.method = 'ServerSideSync' AND m."approvalState" = 'Approved'
    AND (w."postponedUntil" IS NULL OR w."postponedUntil" <= ${now}::timestamp)
    AND (w."processingState" = 'Idle' OR w."processingLeaseUntil" < ${now}::timestamp)`;
}
