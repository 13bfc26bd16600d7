import { AlertSeverity } from '@syncfleet/db';
import type { OwnerType, Prisma } from '@syncfleet/db';
import { conflict } from './errors';

/**
 * One mailbox per owner, one owner per mailbox; mapping it again breaks the previous mapping
 * (docs/dynamics-server-side-sync.md#mailbox).
 * Our schema makes the owner columns required, so breaking a mapping cannot leave the old mailbox
 * ownerless: it keeps the owner type, gets the placeholder id `unmapped:<oldMailboxId>`, all its
 * workloads are disabled (nothing may sync for nobody) and it gets a Warning alert saying where the
 * owner went. The administrator then maps it to someone else or deletes it.
 */
export const unmappedOwnerId = (mailboxId: string) => `unmapped:${mailboxId}`;

export async function claimOwner(
  tx: Prisma.TransactionClient,
  input: {
    owner: { type: OwnerType; id: string };
    /** The mailbox taking the owner (undefined while it is being created). */
    mailboxId?: string;
    mailboxAddress: string;
    remap: boolean;
    now: Date;
  },
): Promise<string | undefined> {
  const { owner, remap, now } = input;
  const current = await tx.mailbox.findUnique({
    where: { ownerType_ownerId: { ownerType: owner.type, ownerId: owner.id } },
    select: { id: true, address: true, profileId: true },
  });
  if (!current || current.id === input.mailboxId) return undefined;
  if (!remap)
    throw conflict(
      `${owner.type} "${owner.id}" is already mapped to mailbox ${current.address} (${current.id}). ` +
        'Send "remap": true to break that mapping and map the owner to this mailbox.',
    );
  await tx.mailbox.update({
    where: { id: current.id },
    data: { ownerId: unmappedOwnerId(current.id) },
  });
  await tx.mailboxWorkload.updateMany({ where: { mailboxId: current.id }, data: { enabled: false } });
  await tx.alert.create({
    data: {
      severity: AlertSeverity.Warning,
      code: 'OwnerRemapped',
      message:
        `${owner.type} "${owner.id}" was mapped to mailbox ${input.mailboxAddress}; this mailbox has no owner ` +
        'any more and its synchronization was disabled. Map it to an owner and run Test & Enable, or delete it.',
      mailboxId: current.id,
      profileId: current.profileId,
      createdAt: now,
    },
  });
  return current.id;
}
