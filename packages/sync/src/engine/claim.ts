import {
  Prisma,
  rowDecoder,
  toDbWorkload,
  type EmailServerProfile,
  type Mailbox,
  type MailboxWorkload,
} from '@syncfleet/db';
import { WORKLOAD_DEFINITIONS, type WorkloadName } from '@syncfleet/workloads';
import { createBatcher } from './batch';
import { claimable } from './claimable';
import type { EngineResources, MailboxWithProfile, WorkloadHandler } from './types';

export interface Claim {
  mailboxId: string;
  workload: WorkloadName;
  /** Identifies this claim: later writes only land while it still holds. */
  startedAt: Date;
  row: MailboxWorkload;
}

export interface ClaimedCycle {
  claim: Claim;
  mailbox: MailboxWithProfile;
  /** Incoming email is on for the mailbox (adaptive cadences widen). */
  incomingEnabled: boolean;
  /** What the handler's `preload` selected in the same statement (null without one). */
  preloaded: unknown;
}

const decodeWorkload = rowDecoder<MailboxWorkload>()(
  'nextDueAt',
  'postponedUntil',
  'lastAttemptAt',
  'lastSuccessAt',
  'lastErrorAt',
  'processingStartedAt',
  'processingLeaseUntil',
  'enqueuedAt',
  'wakeRequestedAt',
  'pushHealthyUntil',
  'updatedAt',
);
const decodeMailbox = rowDecoder<Mailbox>()('processEmailFrom', 'createdAt', 'updatedAt');
const decodeProfile = rowDecoder<EmailServerProfile>()('processEmailFrom', 'createdAt', 'updatedAt');

interface ClaimRow {
  workload: unknown;
  mailbox: unknown;
  profile: unknown;
  incomingEnabled: boolean;
  preloaded: unknown;
}

interface ClaimRequest {
  mailboxId: string;
  workload: WorkloadName;
  handler?: Pick<WorkloadHandler, 'preload'>;
}

export type Claimer = (request: ClaimRequest) => Promise<ClaimedCycle | null>;

/**
 * Atomically takes due (mailbox, workload)s for their jobs and loads what each cycle needs — the
 * mailbox, its profile, whether incoming email is on, and the handler's own preload — in ONE
 * statement for every claim asked for at the same moment (batch.ts). At most one job at a time runs
 * a (mailbox, workload), even if Redis lost its data and the scheduler queued it again: the claim
 * is a lease in PostgreSQL, renewed while the job runs; a dead job's lease expires and frees it.
 */
export function createClaimer(res: Pick<EngineResources, 'sql' | 'clock' | 'host' | 'settings'>): Claimer {
  return createBatcher(async (requests: ClaimRequest[]) => {
    const results = new Map<ClaimRequest, ClaimedCycle>();
    const byWorkload = new Map<WorkloadName, ClaimRequest[]>();
    for (const r of requests) byWorkload.set(r.workload, [...(byWorkload.get(r.workload) ?? []), r]);
    await Promise.all(
      [...byWorkload].map(async ([workload, group]) => {
        // A mailbox asked for twice at once (its job queued again) is claimed by the first only.
        const first = new Map<string, ClaimRequest>();
        for (const r of group) if (!first.has(r.mailboxId)) first.set(r.mailboxId, r);
        const claimed = await claimMany(res, workload, [...first.keys()], group[0]!.handler);
        for (const c of claimed) results.set(first.get(c.claim.mailboxId)!, c);
      }),
    );
    return requests.map((r) => results.get(r) ?? null);
  });
}

async function claimMany(
  res: Pick<EngineResources, 'sql' | 'clock' | 'host' | 'settings'>,
  workload: WorkloadName,
  mailboxIds: string[],
  handler?: Pick<WorkloadHandler, 'preload'>,
): Promise<ClaimedCycle[]> {
  const now = res.clock();
  const leaseUntil = new Date(now.getTime() + res.settings.claimLeaseMs);
  const preload = handler?.preload?.(Prisma.sql`c."mailboxId"`) ?? Prisma.sql`NULL::jsonb`;
  // Only an adaptive cadence looks at whether incoming email is on (schedule.ts).
  const incomingEnabled =
    WORKLOAD_DEFINITIONS[workload].cadence.kind === 'adaptive'
      ? Prisma.sql`EXISTS (SELECT 1 FROM "MailboxWorkload" i
                   WHERE i."mailboxId" = c."mailboxId" AND i."workload" = 'incoming-email'
                     AND i.enabled AND i.method = 'ServerSideSync')`
      : Prisma.sql`false`;
  const rows = await res.sql.query<ClaimRow>(
    Prisma.sql`
    WITH c AS (
      UPDATE "MailboxWorkload" w
      SET "processingState" = 'Processing', "processingHost" = ${res.host},
          "processingStartedAt" = ${now}::timestamp, "processingLeaseUntil" = ${leaseUntil}::timestamp,
          "lastAttemptAt" = ${now}::timestamp, "updatedAt" = ${now}::timestamp
      FROM "Mailbox" m
      WHERE w."mailboxId" = m.id AND w."mailboxId" = ANY(${mailboxIds}::uuid[])
        AND w."workload" = ${workload}::"Workload" AND ${claimable(now)}
      RETURNING w.*)
    SELECT to_jsonb(c) AS workload, to_jsonb(m) AS mailbox, to_jsonb(p) AS profile,
           ${incomingEnabled} AS "incomingEnabled",
           ${preload} AS preloaded
    FROM c JOIN "Mailbox" m ON m.id = c."mailboxId" JOIN "EmailServerProfile" p ON p.id = m."profileId"`,
    { prepare: true },
  );
  return rows.map((row) => {
    const mailbox = decodeMailbox(row.mailbox);
    return {
      // The raw row carries the enum's database label (the workload's name), Prisma's rows its member.
      claim: {
        mailboxId: mailbox.id,
        workload,
        startedAt: now,
        row: { ...decodeWorkload(row.workload), workload: toDbWorkload(workload) },
      },
      mailbox: { ...mailbox, profile: decodeProfile(row.profile) },
      incomingEnabled: row.incomingEnabled,
      preloaded: row.preloaded,
    };
  });
}

/** Claims one (mailbox, workload) for a job, together with any others claimed at the same moment. */
export function claimCycle(
  res: Pick<EngineResources, 'claims'>,
  mailboxId: string,
  workload: WorkloadName,
  handler?: Pick<WorkloadHandler, 'preload'>,
): Promise<ClaimedCycle | null> {
  return res.claims({ mailboxId, workload, handler });
}

/** Extends the claim; false when it was lost (another job took over after our lease expired). */
export async function renewClaim(
  res: Pick<EngineResources, 'prisma' | 'clock' | 'settings'>,
  claim: Claim,
): Promise<boolean> {
  const leaseUntil = new Date(res.clock().getTime() + res.settings.claimLeaseMs);
  const updated = await res.prisma.mailboxWorkload.updateMany({
    where: whileClaimed(claim),
    data: { processingLeaseUntil: leaseUntil },
  });
  return updated.count === 1;
}

/** The where-clause that makes a write land only while our claim holds. */
function whileClaimed(claim: Claim) {
  return {
    mailboxId: claim.mailboxId,
    workload: toDbWorkload(claim.workload),
    processingState: 'Processing' as const,
    processingStartedAt: claim.startedAt,
  };
}
