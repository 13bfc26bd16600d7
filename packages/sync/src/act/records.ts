import { SyncError } from '@syncfleet/errors';
import type { Db, OwnerType, Prisma, Task, TaskImportance, TaskStatus } from '@syncfleet/db';
import { stampChanges } from './changes';
import type { Address, ContactWithEmails } from './fields';

/**
 * The application side of ACT: every write of a contact or task goes through these functions (the
 * REST API calls them; so can any application code in this repository). Each write bumps the
 * record's version (optimistic concurrency: If-Match), stamps the change sequence (changes.ts), and
 * marks the record for the owner's next ACT cycle (`pushPending`).
 */

export interface Owner {
  ownerType: OwnerType;
  ownerId: string;
}

export interface ContactInput {
  displayName?: string | null;
  givenName?: string | null;
  middleName?: string | null;
  surname?: string | null;
  emailAddresses?: { address: string; name?: string | null }[];
  businessPhones?: string[];
  homePhones?: string[];
  mobilePhone?: string | null;
  companyName?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  businessAddress?: Partial<Address> | null;
  categories?: string[];
  notes?: string | null;
}

export interface TaskInput {
  subject?: string;
  body?: string | null;
  status?: TaskStatus;
  importance?: TaskImportance;
  startAt?: Date | null;
  dueAt?: Date | null;
  reminderAt?: Date | null;
  completedAt?: Date | null;
  categories?: string[];
  regarding?: { type: string; id: string } | null;
}

/** PATCH with a stale If-Match: the record changed since the caller read it. */
export class VersionMismatchError extends SyncError {
  constructor(
    readonly recordKind: string,
    readonly id: string,
    readonly current: number,
  ) {
    super(
      'Conflict',
      `The ${recordKind} ${id} is at version ${current}; reload it and apply the change again.`,
      {
        code: 'VersionMismatch',
      },
    );
  }
}

export class RecordNotFoundError extends SyncError {
  constructor(
    readonly recordKind: string,
    readonly id: string,
  ) {
    super('NotFound', `No ${recordKind} ${id}`, { code: 'RecordNotFound' });
  }
}

const CONTACT_INCLUDE = { emails: { orderBy: { position: 'asc' } } } as const;

/** A busy pool must not fail an application write after Prisma's 2-second default wait. */
const TX = { maxWait: 10_000, timeout: 30_000 };

function displayNameOf(input: ContactInput): string | undefined {
  if (input.displayName !== undefined) return input.displayName ?? '';
  return undefined;
}

function contactData(input: ContactInput): Prisma.ContactUncheckedUpdateInput {
  const data: Prisma.ContactUncheckedUpdateInput = {};
  const name = displayNameOf(input);
  if (name !== undefined) data.fullName = name;
  for (const k of [
    'givenName',
    'middleName',
    'surname',
    'mobilePhone',
    'jobTitle',
    'department',
    'notes',
  ] as const) {
    if (input[k] !== undefined) data[k] = input[k] ?? null;
  }
  if (input.companyName !== undefined) data.accountName = input.companyName ?? null;
  if (input.businessPhones !== undefined) data.businessPhones = input.businessPhones;
  if (input.homePhones !== undefined) data.homePhones = input.homePhones;
  if (input.categories !== undefined) data.categories = input.categories;
  if (input.businessAddress !== undefined) {
    data.businessAddress = input.businessAddress
      ? {
          street: input.businessAddress.street ?? null,
          city: input.businessAddress.city ?? null,
          state: input.businessAddress.state ?? null,
          postalCode: input.businessAddress.postalCode ?? null,
          countryOrRegion: input.businessAddress.countryOrRegion ?? null,
        }
      : (null as unknown as Prisma.InputJsonValue);
  }
  return data;
}

async function replaceEmails(
  tx: Prisma.TransactionClient,
  contactId: string,
  emails: ContactInput['emailAddresses'],
): Promise<void> {
  if (emails === undefined) return;
  await tx.contactEmail.deleteMany({ where: { contactId } });
  const seen = new Set<string>();
  const rows = emails
    .map((e, position) => ({ contactId, address: e.address.toLowerCase(), name: e.name ?? null, position }))
    .filter((e) => !seen.has(e.address) && seen.add(e.address));
  if (rows.length) await tx.contactEmail.createMany({ data: rows });
}

export async function createContact(
  prisma: Db,
  owner: Owner,
  input: ContactInput,
): Promise<ContactWithEmails> {
  return prisma.$transaction(async (tx) => {
    const created = await tx.contact.create({
      data: {
        ...(contactData(input) as Prisma.ContactUncheckedCreateInput),
        fullName: displayNameOf(input) ?? [input.givenName, input.surname].filter(Boolean).join(' '),
        ownerType: owner.ownerType,
        ownerId: owner.ownerId,
        pushPending: true,
      },
    });
    await replaceEmails(tx, created.id, input.emailAddresses);
    await stampChanges(tx, [{ kind: 'contact', recordId: created.id, operation: 'create', source: 'app' }]);
    return tx.contact.findUniqueOrThrow({ where: { id: created.id }, include: CONTACT_INCLUDE });
  }, TX);
}

export async function updateContact(
  prisma: Db,
  id: string,
  input: ContactInput & { owner?: Owner },
  ifVersion?: number,
): Promise<ContactWithEmails> {
  return prisma.$transaction(async (tx) => {
    const current = await tx.contact.findFirst({ where: { id, deletedAt: null }, select: { version: true } });
    if (!current) throw new RecordNotFoundError('contact', id);
    const updated = await tx.contact.updateMany({
      where: { id, deletedAt: null, ...(ifVersion !== undefined ? { version: ifVersion } : {}) },
      data: {
        ...(contactData(input) as Prisma.ContactUncheckedUpdateManyInput),
        ...(input.owner ? { ownerType: input.owner.ownerType, ownerId: input.owner.ownerId } : {}),
        version: { increment: 1 },
        pushPending: true,
      },
    });
    if (updated.count === 0) throw new VersionMismatchError('contact', id, current.version);
    await replaceEmails(tx, id, input.emailAddresses);
    await stampChanges(tx, [{ kind: 'contact', recordId: id, operation: 'update', source: 'app' }]);
    return tx.contact.findUniqueOrThrow({ where: { id }, include: CONTACT_INCLUDE });
  }, TX);
}

/**
 * Deleted in the application: the row is marked deleted (hidden from the API) until the owner's
 * ACT cycle has deleted the Exchange copy; then the cycle removes its link.
 */
export async function deleteContact(prisma: Db, id: string, ifVersion?: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const current = await tx.contact.findFirst({ where: { id, deletedAt: null }, select: { version: true } });
    if (!current) throw new RecordNotFoundError('contact', id);
    const updated = await tx.contact.updateMany({
      where: { id, deletedAt: null, ...(ifVersion !== undefined ? { version: ifVersion } : {}) },
      data: { deletedAt: new Date(), version: { increment: 1 }, pushPending: true },
    });
    if (updated.count === 0) throw new VersionMismatchError('contact', id, current.version);
    await stampChanges(tx, [{ kind: 'contact', recordId: id, operation: 'delete', source: 'app' }]);
  }, TX);
}

function taskData(input: TaskInput, previous?: Pick<Task, 'status' | 'completedAt'>) {
  const data: Prisma.TaskUncheckedUpdateInput = {};
  for (const k of [
    'subject',
    'body',
    'importance',
    'startAt',
    'dueAt',
    'reminderAt',
    'categories',
  ] as const) {
    if (input[k] !== undefined) (data as Record<string, unknown>)[k] = input[k];
  }
  if (input.regarding !== undefined) {
    data.regardingType = input.regarding?.type ?? null;
    data.regardingId = input.regarding?.id ?? null;
  }
  if (input.status !== undefined && input.status !== previous?.status) {
    data.status = input.status;
    data.statusChangedAt = new Date();
    // Completing stamps the completion time (unless given); reopening clears it, as To Do does.
    data.completedAt = input.status === 'Completed' ? (input.completedAt ?? new Date()) : null;
  } else if (input.completedAt !== undefined && (input.status ?? previous?.status) === 'Completed') {
    data.completedAt = input.completedAt;
  }
  return data;
}

export async function createTask(prisma: Db, owner: Owner, input: TaskInput & { subject: string }) {
  return prisma.$transaction(async (tx) => {
    const created = await tx.task.create({
      data: {
        ...(taskData(input) as Prisma.TaskUncheckedCreateInput),
        subject: input.subject,
        ownerType: owner.ownerType,
        ownerId: owner.ownerId,
        pushPending: true,
      },
    });
    await stampChanges(tx, [{ kind: 'task', recordId: created.id, operation: 'create', source: 'app' }]);
    return tx.task.findUniqueOrThrow({ where: { id: created.id } });
  }, TX);
}

export async function updateTask(
  prisma: Db,
  id: string,
  input: TaskInput & { owner?: Owner },
  ifVersion?: number,
): Promise<Task> {
  return prisma.$transaction(async (tx) => {
    const current = await tx.task.findFirst({ where: { id, deletedAt: null } });
    if (!current) throw new RecordNotFoundError('task', id);
    const updated = await tx.task.updateMany({
      where: { id, deletedAt: null, ...(ifVersion !== undefined ? { version: ifVersion } : {}) },
      data: {
        ...(taskData(input, current) as Prisma.TaskUncheckedUpdateManyInput),
        ...(input.owner ? { ownerType: input.owner.ownerType, ownerId: input.owner.ownerId } : {}),
        version: { increment: 1 },
        pushPending: true,
      },
    });
    if (updated.count === 0) throw new VersionMismatchError('task', id, current.version);
    await stampChanges(tx, [{ kind: 'task', recordId: id, operation: 'update', source: 'app' }]);
    return tx.task.findUniqueOrThrow({ where: { id } });
  }, TX);
}

export async function deleteTask(prisma: Db, id: string, ifVersion?: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const current = await tx.task.findFirst({ where: { id, deletedAt: null }, select: { version: true } });
    if (!current) throw new RecordNotFoundError('task', id);
    const updated = await tx.task.updateMany({
      where: { id, deletedAt: null, ...(ifVersion !== undefined ? { version: ifVersion } : {}) },
      data: { deletedAt: new Date(), version: { increment: 1 }, pushPending: true },
    });
    if (updated.count === 0) throw new VersionMismatchError('task', id, current.version);
    await stampChanges(tx, [{ kind: 'task', recordId: id, operation: 'delete', source: 'app' }]);
  }, TX);
}

/** The mailbox of a record's owner (one owner, one mailbox), for "sync it now". */
export async function ownerMailboxId(prisma: Db, owner: Owner): Promise<string | null> {
  const m = await prisma.mailbox.findUnique({
    where: { ownerType_ownerId: { ownerType: owner.ownerType, ownerId: owner.ownerId } },
    select: { id: true },
  });
  return m?.id ?? null;
}
