import { z } from 'zod';
import { Prisma } from '@syncfleet/db';
import { WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';

/**
 * The mailbox filter shared by the list (query string), the bulk operations (JSON body) and the
 * dashboard: one definition, so "approve everything this list shows" selects exactly those rows.
 * Workload conditions (status, enabled, not processed, errors) apply to `workload` when it is
 * given, else to any of the mailbox's workloads.
 */
export const mailboxFilterFields = {
  /** Part of the address or display name (case-insensitive). */
  q: z.string().trim().min(1).max(320).optional(),
  profileId: z.uuid({ error: 'must be a UUID' }).optional(),
  approvalState: z.enum(['Empty', 'Approved', 'PendingApproval', 'Rejected']).optional(),
  workload: z.enum(WORKLOAD_NAMES).optional(),
  status: z.enum(['NotRun', 'Success', 'Failure']).optional(),
  enabled: z.enum(['true', 'false']).optional(),
  /** Enabled, and no processing attempt within this many minutes (Dynamics' "Date of Last Processing Attempt"). */
  notProcessedMin: z.coerce.number().int().min(1).max(525_600).optional(),
  /** A workload whose last cycle failed or that carries an error. */
  hasErrors: z.enum(['true', 'false']).optional(),
};

export const mailboxFilterSchema = z.strictObject(mailboxFilterFields);
export type MailboxFilter = z.output<typeof mailboxFilterSchema>;

export const MAILBOX_SORTS = ['address', 'lastAttempt', 'lag', 'errors'] as const;
export type MailboxSort = (typeof MAILBOX_SORTS)[number];

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The WHERE clause over `"Mailbox" m` for a filter. Parameters are bound, never interpolated. */
export function mailboxWhere(filter: MailboxFilter, now: Date): Prisma.Sql {
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter.q) {
    const pattern = likePattern(filter.q);
    conditions.push(Prisma.sql`(m."address" ILIKE ${pattern} OR m."displayName" ILIKE ${pattern})`);
  }
  if (filter.profileId) conditions.push(Prisma.sql`m."profileId" = ${filter.profileId}::uuid`);
  if (filter.approvalState)
    conditions.push(Prisma.sql`m."approvalState" = ${filter.approvalState}::"ApprovalState"`);
  const workload: Prisma.Sql[] = [];
  if (filter.workload) workload.push(Prisma.sql`w."workload" = ${filter.workload}::"Workload"`);
  if (filter.status) workload.push(Prisma.sql`w."status" = ${filter.status}::"WorkloadStatus"`);
  if (filter.enabled) workload.push(Prisma.sql`w."enabled" = ${filter.enabled === 'true'}`);
  if (filter.notProcessedMin !== undefined) {
    const before = new Date(now.getTime() - filter.notProcessedMin * 60_000).toISOString();
    workload.push(
      Prisma.sql`w."enabled" AND (w."lastAttemptAt" IS NULL OR w."lastAttemptAt" < ${before}::timestamp)`,
    );
  }
  if (filter.hasErrors === 'true')
    workload.push(Prisma.sql`(w."status" = 'Failure' OR w."lastErrorCode" IS NOT NULL)`);
  if (filter.hasErrors === 'false')
    workload.push(Prisma.sql`w."status" <> 'Failure' AND w."lastErrorCode" IS NULL`);
  if (workload.length)
    conditions.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "MailboxWorkload" w WHERE w."mailboxId" = m."id" AND ${Prisma.join(workload, ' AND ')})`,
    );
  return Prisma.join(conditions, ' AND ');
}

/**
 * ORDER BY for a sort. Sorting by a workload's column joins that one workload's row (1:1 by its
 * primary key): the filter's workload, else the first defined one.
 */
function orderBy(sort: MailboxSort, descending: boolean): Prisma.Sql {
  const dir = descending ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  switch (sort) {
    case 'address':
      return Prisma.sql`m."address" ${dir}`;
    case 'lastAttempt':
      return Prisma.sql`s."lastAttemptAt" ${dir} NULLS LAST, m."address"`;
    // Lag: how long an enabled workload has been due. Most late first = enabled, earliest nextDueAt.
    case 'lag':
      return descending
        ? Prisma.sql`s."enabled" DESC, s."nextDueAt" ASC, m."address"`
        : Prisma.sql`s."enabled" ASC, s."nextDueAt" DESC, m."address"`;
    case 'errors':
      return Prisma.sql`s."lastErrorCount" ${dir}, s."transientFailureCount" ${dir}, m."address"`;
  }
}

export interface MailboxPageQuery {
  filter: MailboxFilter;
  sort: MailboxSort;
  descending: boolean;
  limit: number;
  offset: number;
}

/** One page of mailbox ids in the requested order, and how many match. */
export async function mailboxPage(
  prisma: { $queryRaw<T>(query: Prisma.Sql): Promise<T> },
  query: MailboxPageQuery,
  now: Date,
): Promise<{ ids: string[]; total: number }> {
  const where = mailboxWhere(query.filter, now);
  const sortWorkload: WorkloadName = query.filter.workload ?? WORKLOAD_NAMES[0]!;
  const join =
    query.sort === 'address'
      ? Prisma.empty
      : Prisma.sql`JOIN "MailboxWorkload" s ON s."mailboxId" = m."id" AND s."workload" = ${sortWorkload}::"Workload"`;
  const [rows, counted] = await Promise.all([
    prisma.$queryRaw<{ id: string }[]>(
      Prisma.sql`SELECT m."id" FROM "Mailbox" m ${join} WHERE ${where}
        ORDER BY ${orderBy(query.sort, query.descending)}, m."id" LIMIT ${query.limit} OFFSET ${query.offset}`,
    ),
    prisma.$queryRaw<{ total: bigint }[]>(
      Prisma.sql`SELECT count(*) AS total FROM "Mailbox" m WHERE ${where}`,
    ),
  ]);
  return { ids: rows.map((r) => r.id), total: Number(counted[0]?.total ?? 0) };
}
