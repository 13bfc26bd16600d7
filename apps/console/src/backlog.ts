import { Prisma, type Db } from '@syncfleet/db';

/**
 * The backlog: items waiting to be synced, per mailbox and kind — what Dynamics admins had to
 * query by hand from its sync tables. Each kind is one grouped query over its own table; a new kind
 * is one more entry.
 */
interface BacklogKind {
  kind: string;
  label: string;
  /** Rows of (mailboxId, count, oldest) for one mailbox or all of them. */
  query(mailboxId: string | null): Prisma.Sql;
}

const forMailbox = (column: Prisma.Sql, mailboxId: string | null) =>
  mailboxId === null ? Prisma.sql`${column} IS NOT NULL` : Prisma.sql`${column} = ${mailboxId}::uuid`;

export const BACKLOG_KINDS: BacklogKind[] = [
  {
    kind: 'pendingSend',
    label: 'Emails in Pending Send',
    query: (
      id,
    ) => Prisma.sql`SELECT "ownerMailboxId" AS "mailboxId", count(*) AS n, min("createdAt") AS oldest
      FROM "EmailActivity" WHERE "direction" = 'Outgoing' AND "status" = 'PendingSend'
        AND "sendAttemptCount" = 0 AND ${forMailbox(Prisma.sql`"ownerMailboxId"`, id)}
      GROUP BY 1`,
  },
  {
    kind: 'sendRetry',
    label: 'Emails failed once, waiting for a retry',
    query: (
      id,
    ) => Prisma.sql`SELECT "ownerMailboxId" AS "mailboxId", count(*) AS n, min("createdAt") AS oldest
      FROM "EmailActivity" WHERE "direction" = 'Outgoing' AND "status" = 'PendingSend'
        AND "sendAttemptCount" > 0 AND ${forMailbox(Prisma.sql`"ownerMailboxId"`, id)}
      GROUP BY 1`,
  },
  {
    kind: 'sending',
    label: 'Emails sent to Exchange, not yet confirmed',
    query: (
      id,
    ) => Prisma.sql`SELECT "ownerMailboxId" AS "mailboxId", count(*) AS n, min("createdAt") AS oldest
      FROM "EmailActivity" WHERE "direction" = 'Outgoing' AND "status" = 'Sending'
        AND ${forMailbox(Prisma.sql`"ownerMailboxId"`, id)}
      GROUP BY 1`,
  },
  {
    kind: 'workloadRetry',
    label: 'Workloads failed, waiting for a retry',
    query: (id) => Prisma.sql`SELECT "mailboxId", count(*) AS n, min("lastErrorAt") AS oldest
      FROM "MailboxWorkload" WHERE "enabled" AND "transientFailureCount" > 0
        AND ${forMailbox(Prisma.sql`"mailboxId"`, id)}
      GROUP BY 1`,
  },
  ...(['Contact', 'Task'] as const).map((table) => ({
    kind: table === 'Contact' ? 'actContacts' : 'actTasks',
    label: `ACT: ${table === 'Contact' ? 'contacts' : 'tasks'} changed in the app, not yet written to Exchange`,
    // The owner's mailbox writes them (packages/sync/src/act): records flagged pushPending.
    query: (
      id: string | null,
    ) => Prisma.sql`SELECT m.id AS "mailboxId", count(*) AS n, min(r."updatedAt") AS oldest
      FROM ${Prisma.raw(`"${table}"`)} r
        JOIN "Mailbox" m ON m."ownerType" = r."ownerType" AND m."ownerId" = r."ownerId"
      WHERE r."pushPending" AND ${forMailbox(Prisma.sql`m.id`, id)}
      GROUP BY 1`,
  })),
  {
    kind: 'actAppointments',
    label: "ACT: appointments changed in the app, not yet written to their organizer's calendar",
    // Only the organizer's mailbox writes a meeting (packages/sync/src/act/appointments/push.ts).
    query: (id) => Prisma.sql`SELECT p."mailboxId", count(*) AS n, min(a."updatedAt") AS oldest
      FROM "Appointment" a
        JOIN "AppointmentParty" p ON p."appointmentId" = a.id AND p."role" = 'Organizer'
      WHERE a."pushPending" AND ${forMailbox(Prisma.sql`p."mailboxId"`, id)}
      GROUP BY 1`,
  },
  {
    kind: 'actRejected',
    label: 'ACT: items Exchange rejected, waiting for their next edit',
    query: (id) => Prisma.sql`SELECT "mailboxId", count(*) AS n, min("updatedAt") AS oldest
      FROM "ActLink" WHERE "syncState" = 'Failed' AND ${forMailbox(Prisma.sql`"mailboxId"`, id)}
      GROUP BY 1`,
  },
];

interface Row {
  mailboxId: string;
  n: bigint;
  oldest: Date | null;
}

async function rows(prisma: Db, kind: BacklogKind, mailboxId: string | null): Promise<Row[]> {
  return prisma.$queryRaw<Row[]>(kind.query(mailboxId));
}

/** One mailbox's backlog, every kind listed (0 included). */
export async function mailboxBacklog(prisma: Db, mailboxId: string) {
  return Promise.all(
    BACKLOG_KINDS.map(async (kind) => {
      const [row] = await rows(prisma, kind, mailboxId);
      return {
        kind: kind.kind,
        label: kind.label,
        count: Number(row?.n ?? 0),
        oldest: row?.oldest?.toISOString() ?? null,
      };
    }),
  );
}

/** The fleet's backlog: per kind the total and how many mailboxes have some; the mailboxes with most. */
export async function fleetBacklog(prisma: Db, top = 20) {
  const perKind = await Promise.all(BACKLOG_KINDS.map((kind) => rows(prisma, kind, null)));
  const byMailbox = new Map<string, Record<string, number>>();
  const kinds = BACKLOG_KINDS.map((kind, i) => {
    let total = 0;
    let oldest: Date | null = null;
    for (const row of perKind[i]!) {
      const n = Number(row.n);
      total += n;
      if (row.oldest && (!oldest || row.oldest < oldest)) oldest = row.oldest;
      const counts = byMailbox.get(row.mailboxId) ?? {};
      counts[kind.kind] = n;
      byMailbox.set(row.mailboxId, counts);
    }
    return {
      kind: kind.kind,
      label: kind.label,
      total,
      mailboxes: perKind[i]!.length,
      oldest: oldest?.toISOString() ?? null,
    };
  });
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const worst = [...byMailbox.entries()].sort((a, b) => sum(b[1]) - sum(a[1])).slice(0, top);
  const addresses = await prisma.mailbox.findMany({
    where: { id: { in: worst.map(([id]) => id) } },
    select: { id: true, address: true },
  });
  const address = new Map(addresses.map((m) => [m.id, m.address]));
  return {
    kinds,
    mailboxes: worst.map(([mailboxId, counts]) => ({
      mailboxId,
      address: address.get(mailboxId) ?? null,
      total: sum(counts),
      counts,
    })),
  };
}
