import { randomUUID } from 'node:crypto';
import type { Prisma } from '@syncfleet/db';
import type { ParsedMessage } from './message';

type Tx = Prisma.TransactionClient;

/**
 * Exactly-once promotion, enforced by the database (docs/dynamics-server-side-sync.md#incoming-email;
 * Graph may replay an item within a delta round: docs/microsoft-graph.md#delta-queries):
 * - `EmailActivity.internetMessageId` is unique: the same Internet message in several mailboxes is
 *   ONE activity. Inserts are `ON CONFLICT DO NOTHING`, so two workers promoting it at the same
 *   time (different mailboxes) cannot both insert: the loser waits for the winner's commit and links.
 * - `MailboxItemLink` is unique per (mailbox, Graph item) and per (mailbox, activity): a delta replay
 *   finds its link and changes nothing.
 */

export interface LinkPlace {
  mailboxId: string;
  /** The synced folder key ('inbox' or a tracked folder's Graph id). */
  folderId: string;
}

export type LinkRow = {
  id: string;
  emailId: string;
  changeKey: string | null;
  folderId: string;
  removedInExchange: boolean;
};

export function findLink(tx: Tx, mailboxId: string, graphItemId: string): Promise<LinkRow | null> {
  return tx.mailboxItemLink.findUnique({
    where: { mailboxId_graphItemId: { mailboxId, graphItemId } },
    select: { id: true, emailId: true, changeKey: true, folderId: true, removedInExchange: true },
  });
}

/** A replayed item: only the link's Exchange-side facts may move; application data stays. */
export async function refreshLink(
  tx: Tx,
  link: LinkRow,
  message: Pick<ParsedMessage, 'changeKey'>,
  place: LinkPlace,
) {
  if (link.changeKey === message.changeKey && link.folderId === place.folderId && !link.removedInExchange) {
    return false;
  }
  await tx.mailboxItemLink.update({
    where: { id: link.id },
    data: { changeKey: message.changeKey, folderId: place.folderId, removedInExchange: false },
  });
  return true;
}

/**
 * Links an activity to this mailbox's item. One link per (mailbox, activity): a message moved to a
 * tracked folder (new Graph id unless immutable ids are used) moves its link instead of adding one.
 */
export async function linkEmail(tx: Tx, emailId: string, message: ParsedMessage, place: LinkPlace) {
  const data = {
    graphItemId: message.graphId,
    changeKey: message.changeKey,
    folderId: place.folderId,
    removedInExchange: false,
  };
  await tx.mailboxItemLink.upsert({
    where: { mailboxId_emailId: { mailboxId: place.mailboxId, emailId } },
    create: { mailboxId: place.mailboxId, emailId, ...data },
    update: data,
  });
}

/** `@removed`: the item left the folder in Exchange. The application's copy is kept. */
export async function markRemoved(tx: Tx, mailboxId: string, graphItemIds: string[]): Promise<number> {
  if (graphItemIds.length === 0) return 0;
  const { count } = await tx.mailboxItemLink.updateMany({
    where: { mailboxId, graphItemId: { in: graphItemIds }, removedInExchange: false },
    data: { removedInExchange: true },
  });
  return count;
}

export interface KnownEmail {
  id: string;
  direction: 'Incoming' | 'Outgoing';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The activity this message already is, if any: by internetMessageId, or — for mail the outgoing
 * workload sent, recognised by its `x-syncfleet-id` header — by that activity's id.
 */
export async function findKnownEmail(tx: Tx, message: ParsedMessage): Promise<KnownEmail | null> {
  const byMessageId = await tx.emailActivity.findUnique({
    where: { internetMessageId: message.internetMessageId },
    select: { id: true, direction: true },
  });
  if (byMessageId) return byMessageId;
  if (message.syncfleetId && UUID.test(message.syncfleetId)) {
    return tx.emailActivity.findFirst({
      where: { id: message.syncfleetId, direction: 'Outgoing' },
      select: { id: true, direction: true },
    });
  }
  return null;
}

/**
 * Inserts the activity unless another transaction already holds this internetMessageId.
 * Returns the id that owns the message and whether this call created it.
 */
export async function insertActivity(
  tx: Tx,
  data: Omit<Prisma.EmailActivityCreateManyInput, 'id' | 'internetMessageId'> & { internetMessageId: string },
): Promise<{ id: string; created: boolean }> {
  const id = randomUUID();
  const created = await tx.emailActivity.createManyAndReturn({
    data: [{ ...data, id }],
    skipDuplicates: true,
    select: { id: true },
  });
  if (created.length === 1) return { id, created: true };
  const winner = await tx.emailActivity.findUniqueOrThrow({
    where: { internetMessageId: data.internetMessageId },
    select: { id: true },
  });
  return { id: winner.id, created: false };
}
