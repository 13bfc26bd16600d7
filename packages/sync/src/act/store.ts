import type { ActLink, Prisma } from '@syncfleet/db';
import type { ChangeInput } from './changes';
import {
  contactFromApp,
  contactToApp,
  taskFromApp,
  taskToApp,
  type ActKind,
  type ContactWithEmails,
  type EmailEntry,
  type Fields,
} from './fields';

/**
 * Reading and writing application records as canonical fields (fields.ts), for the cycle. Writes
 * made by a cycle collect their change-sequence stamps (source "exchange") in `stamps`, stamped by
 * the page at its end (changes.ts: the sequence lock is held only from there to the commit), and do
 * NOT mark the record for pushing: what came from Exchange is not sent back.
 */
export interface AppRecord {
  id: string;
  version: number;
  updatedAt: Date;
  statusChangedAt?: Date;
  deletedAt: Date | null;
  pushPending: boolean;
  categories: string[];
  status?: string;
  completedAt?: Date | null;
  fields: Fields;
}

export async function lockRecord(
  tx: Prisma.TransactionClient,
  kind: ActKind,
  id: string,
): Promise<AppRecord | null> {
  if (kind === 'contact') {
    await tx.$queryRaw`SELECT 1 FROM "Contact" WHERE id = ${id}::uuid FOR UPDATE`;
    const c = await tx.contact.findUnique({ where: { id }, include: { emails: true } });
    return c ? contactRecord(c) : null;
  }
  await tx.$queryRaw`SELECT 1 FROM "Task" WHERE id = ${id}::uuid FOR UPDATE`;
  const t = await tx.task.findUnique({ where: { id } });
  return t
    ? {
        id: t.id,
        version: t.version,
        updatedAt: t.updatedAt,
        statusChangedAt: t.statusChangedAt,
        deletedAt: t.deletedAt,
        pushPending: t.pushPending,
        categories: t.categories as string[],
        status: t.status,
        completedAt: t.completedAt,
        fields: taskFromApp(t),
      }
    : null;
}

export function contactRecord(c: ContactWithEmails): AppRecord {
  return {
    id: c.id,
    version: c.version,
    updatedAt: c.updatedAt,
    deletedAt: c.deletedAt,
    pushPending: c.pushPending,
    categories: c.categories as string[],
    fields: contactFromApp(c),
  };
}

async function writeEmails(tx: Prisma.TransactionClient, contactId: string, emails: EmailEntry[]) {
  await tx.contactEmail.deleteMany({ where: { contactId } });
  const seen = new Set<string>();
  const rows = emails
    .filter((e) => !seen.has(e.address) && seen.add(e.address))
    .map((e, position) => ({ contactId, address: e.address, name: e.name, position }));
  if (rows.length) await tx.contactEmail.createMany({ data: rows });
}

/** Creates an application record from Exchange's fields, owned by the mailbox's owner. */
export async function createFromExchange(
  tx: Prisma.TransactionClient,
  kind: ActKind,
  owner: { ownerType: 'User' | 'Queue'; ownerId: string },
  fields: Fields,
  mailboxId: string,
  stamps: ChangeInput[],
): Promise<{ id: string; version: number }> {
  let created: { id: string; version: number };
  if (kind === 'contact') {
    created = await tx.contact.create({
      data: { ...(contactToApp(fields) as Prisma.ContactUncheckedCreateInput), ...owner },
      select: { id: true, version: true },
    });
    await writeEmails(tx, created.id, (fields.emailAddresses as EmailEntry[]) ?? []);
  } else {
    created = await tx.task.create({
      data: { ...(taskToApp(fields) as Prisma.TaskUncheckedCreateInput), ...owner },
      select: { id: true, version: true },
    });
  }
  stamps.push({ kind, recordId: created.id, operation: 'create', source: 'exchange', mailboxId });
  return created;
}

/**
 * Writes merged fields to the application record (only the given ones). `stillPending`: the record
 * keeps (or gets) its push mark — the merge left values Exchange does not have yet.
 */
export async function updateFromExchange(
  tx: Prisma.TransactionClient,
  kind: ActKind,
  record: AppRecord,
  changes: Fields,
  stillPending: boolean,
  mailboxId: string,
  stamps: ChangeInput[],
): Promise<number> {
  const version = record.version + 1;
  if (kind === 'contact') {
    const { emailAddresses, ...rest } = changes;
    await tx.contact.update({
      where: { id: record.id },
      data: {
        ...(contactToApp(rest) as Prisma.ContactUncheckedUpdateInput),
        version,
        pushPending: stillPending,
      },
    });
    if (emailAddresses !== undefined) await writeEmails(tx, record.id, emailAddresses as EmailEntry[]);
  } else {
    const data = taskToApp(changes) as Prisma.TaskUncheckedUpdateInput;
    if (changes.status !== undefined && changes.status !== record.status) data.statusChangedAt = new Date();
    await tx.task.update({ where: { id: record.id }, data: { ...data, version, pushPending: stillPending } });
  }
  stamps.push({ kind, recordId: record.id, operation: 'update', source: 'exchange', mailboxId });
  return version;
}

/** Deleted in Exchange under the Delete policy: the record is deleted in the app too. */
export async function deleteFromExchange(
  tx: Prisma.TransactionClient,
  kind: ActKind,
  recordId: string,
  mailboxId: string,
  stamps: ChangeInput[],
): Promise<void> {
  const data = { deletedAt: new Date(), pushPending: false, version: { increment: 1 } };
  const n =
    kind === 'contact'
      ? await tx.contact.updateMany({ where: { id: recordId, deletedAt: null }, data })
      : await tx.task.updateMany({ where: { id: recordId, deletedAt: null }, data });
  if (n.count) stamps.push({ kind, recordId, operation: 'delete', source: 'exchange', mailboxId });
}

/** Clears the push mark if the record is still at the version the cycle pushed. */
export async function clearPending(
  tx: Prisma.TransactionClient | Prisma.TransactionClient,
  kind: ActKind,
  id: string,
  version: number,
): Promise<void> {
  if (kind === 'contact')
    await tx.contact.updateMany({ where: { id, version }, data: { pushPending: false } });
  else await tx.task.updateMany({ where: { id, version }, data: { pushPending: false } });
}

export type { ActLink };
