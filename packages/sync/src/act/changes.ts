import type { Db, Prisma } from '@syncfleet/db';
import type { ActKind } from './fields';

export type ChangeOperation = 'create' | 'update' | 'delete';
export type ChangeSource = 'app' | 'exchange';

/**
 * What the change sequence covers: the contacts and tasks of ACT, appointments, and email
 * activities (promoted by incoming email, created through the API, sent or bounced).
 */
export type ChangeKind = ActKind | 'appointment' | 'email';

export interface ChangeInput {
  kind: ChangeKind;
  recordId: string;
  operation: ChangeOperation;
  source: ChangeSource;
  mailboxId?: string | null;
}

/** One transaction-scoped advisory lock key for the change sequence (any constant; ours). */
const CHANGE_SEQUENCE_LOCK = 0x5f_ac_7c_01;

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
  // One statement appends the changes and stamps the records they name.
  await tx.$queryRaw`
    WITH ins AS (
      INSERT INTO "AppChange" ("kind", "recordId", "operation", "source", "mailboxId")
      SELECT * FROM unnest(${changes.map((c) => c.kind)}::text[], ${changes.map((c) => c.recordId)}::uuid[],
                           ${changes.map((c) => c.operation)}::text[], ${changes.map((c) => c.source)}::text[],
                           ${changes.map((c) => c.mailboxId ?? null)}::uuid[])
      RETURNING "seq", "kind", "recordId"),
    latest AS (SELECT "kind", "recordId", max("seq") AS seq FROM ins GROUP BY "kind", "recordId"),
    contacts AS (
      UPDATE "Contact" t SET "changeSeq" = l.seq FROM latest l
      WHERE l."kind" = 'contact' AND t.id = l."recordId" AND t."changeSeq" < l.seq RETURNING 1),
    tasks AS (
      UPDATE "Task" t SET "changeSeq" = l.seq FROM latest l
      WHERE l."kind" = 'task' AND t.id = l."recordId" AND t."changeSeq" < l.seq RETURNING 1),
    appointments AS (
      UPDATE "Appointment" t SET "changeSeq" = l.seq FROM latest l
      WHERE l."kind" = 'appointment' AND t.id = l."recordId" AND t."changeSeq" < l.seq RETURNING 1)
    SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM tasks)
         + (SELECT count(*) FROM appointments) AS stamped`;
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
