import { Prisma, type MailboxWorkload } from '@syncfleet/db';
import type { WorkloadName } from '@syncfleet/queues';
import type { EngineResources } from './types';
import { toDbWorkload } from '@syncfleet/db';

export interface Claim {
  mailboxId: string;
  workload: WorkloadName;
  /** Identifies this claim: later writes only land while it still holds. */
  startedAt: Date;
  row: MailboxWorkload;
}

/**
 * Atomically takes a due (mailbox, workload) for this job. At most one job at a time runs a
 * (mailbox, workload), even if Redis lost its data and the scheduler queued it again: the claim is
 * a lease in PostgreSQL, renewed while the job runs; a dead job's lease expires and frees it.
 */
export async function claimWorkload(
  res: Pick<EngineResources, 'prisma' | 'clock' | 'host' | 'settings'>,
  mailboxId: string,
  workload: WorkloadName,
): Promise<Claim | null> {
  const now = res.clock();
  const leaseUntil = new Date(now.getTime() + res.settings.claimLeaseMs);
  const rows = await res.prisma.$queryRaw<MailboxWorkload[]>(Prisma.sql`
    UPDATE "MailboxWorkload" w
    SET "processingState" = 'Processing', "processingHost" = ${res.host},
        "processingStartedAt" = ${now}, "processingLeaseUntil" = ${leaseUntil},
        "lastAttemptAt" = ${now}, "updatedAt" = ${now}
    FROM "Mailbox" m
    WHERE w."mailboxId" = m.id
      AND w."mailboxId" = ${mailboxId}::uuid
      AND w."workload" = ${workload}::"Workload"
      AND w.enabled AND w.method = 'ServerSideSync' AND m."approvalState" = 'Approved'
      AND w."nextDueAt" <= ${now}
      AND (w."postponedUntil" IS NULL OR w."postponedUntil" <= ${now})
      AND (w."processingState" = 'Idle' OR w."processingLeaseUntil" < ${now})
    RETURNING w.*`);
  const row = rows[0];
  return row ? { mailboxId, workload, startedAt: now, row } : null;
}

/** Extends the claim; false when it was lost (another job took over after our lease expired). */
export async function renewClaim(
  res: Pick<EngineResources, 'prisma' | 'clock' | 'settings'>,
  claim: Claim,
): Promise<boolean> {
  const leaseUntil = new Date(res.clock().getTime() + res.settings.claimLeaseMs);
  const updated = await res.prisma.mailboxWorkload.updateMany({
    where: {
      mailboxId: claim.mailboxId,
      workload: toDbWorkload(claim.workload),
      processingState: 'Processing',
      processingStartedAt: claim.startedAt,
    },
    data: { processingLeaseUntil: leaseUntil },
  });
  return updated.count === 1;
}

/** The where-clause that makes a write land only while our claim holds. */
export function whileClaimed(claim: Claim) {
  return {
    mailboxId: claim.mailboxId,
    workload: toDbWorkload(claim.workload),
    processingState: 'Processing' as const,
    processingStartedAt: claim.startedAt,
  };
}
