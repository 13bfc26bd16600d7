import { Prisma, type Db } from '@syncfleet/db';
import type { ActKind } from './fields';

export type ChangeOperation = 'create' | 'update' | 'delete';
export type ChangeSource = 'app' | 'exchange';

/** What the change sequence covers: the contacts and tasks of ACT, and appointments. */
export type ChangeKind = ActKind | 'appointment';

export interface ChangeInput {
  kind: ChangeKind;
  recordId: string;
  operation: ChangeOperation;
  source: ChangeSource;
  mailboxId?: string | null;
}

/** One transaction-scoped advisory lock key for the change sequence (any constant; ours). */
const CHANGE_SEQUENCE_LOCK = 0x5f_ac_7c_01;

const TABLE: Record<ChangeKind, Prisma.Sql> = {
  contact: Prisma.sql`"Contact"`,
  task: Prisma.sql`"Task"`,
  appointment: Prisma.sql`"Appointment"`,
};

/**
 * Stamps the application change sequence on written records and appends them to AppChange, as the
 * LAST statement of the writing transaction. The sequence is taken under a transaction-scoped
 * advisory lock, held until commit: numbers therefore become visible in the order they were taken,
 * and a reader paging `seq > cursor` never passes a number whose transaction commits later (with a
 * plain sequence, a slow transaction holding 41 could commit after 42 was read). The lock is held
 * only from this statement to the commit.
 */
export async function stampChanges(tx: Prisma.TransactionClient, changes: readonly ChangeInput[]) {
  if (changes.length === 0) return;
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${CHANGE_SEQUENCE_LOCK}::bigint)::text`;
  const rows = await tx.$queryRaw<{ seq: bigint; kind: ChangeKind; recordId: string }[]>`
    INSERT INTO "AppChange" ("kind", "recordId", "operation", "source", "mailboxId")
    SELECT * FROM unnest(${changes.map((c) => c.kind)}::text[], ${changes.map((c) => c.recordId)}::uuid[],
                         ${changes.map((c) => c.operation)}::text[], ${changes.map((c) => c.source)}::text[],
                         ${changes.map((c) => c.mailboxId ?? null)}::uuid[])
    RETURNING "seq", "kind", "recordId"::text`;
  for (const kind of ['contact', 'task', 'appointment'] as const) {
    const mine = rows.filter((r) => r.kind === kind);
    if (!mine.length) continue;
    await tx.$executeRaw`
      UPDATE ${TABLE[kind]} t SET "changeSeq" = c.seq
      FROM unnest(${mine.map((r) => r.recordId)}::uuid[], ${mine.map((r) => r.seq.toString())}::bigint[])
        AS c(id, seq)
      WHERE t.id = c.id AND t."changeSeq" < c.seq`;
  }
}

export interface ChangeView {
  kind: string;
  id: string;
  operation: string;
  source: string;
  mailboxId: string | null;
  sequence: string;
  at: string;
}

/** GET /api/changes: what changed after `after` (a sequence number), oldest first. */
export async function listChanges(
  prisma: Db,
  options: { after: bigint; limit: number; kinds?: string[] },
): Promise<{ changes: ChangeView[]; cursor: string }> {
  const rows = await prisma.appChange.findMany({
    where: { seq: { gt: options.after }, ...(options.kinds ? { kind: { in: options.kinds } } : {}) },
    orderBy: { seq: 'asc' },
    take: options.limit,
  });
  const changes = rows.map((r) => ({
    kind: r.kind,
    id: r.recordId,
    operation: r.operation,
    source: r.source,
    mailboxId: r.mailboxId,
    sequence: r.seq.toString(),
    at: r.createdAt.toISOString(),
  }));
  const last = rows[rows.length - 1];
  return { changes, cursor: (last ? last.seq : options.after).toString() };
}
