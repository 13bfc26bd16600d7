import type { PartyRole, Prisma } from '@syncfleet/db';
import type { ParsedMessage, Party } from './message';

type Tx = Prisma.TransactionClient;

/**
 * Contacts by address, case-insensitive, across every address of every contact (ContactEmail holds
 * them lower-cased). An address shared by several contacts goes to the oldest one, deterministically.
 */
export async function contactsByAddress(tx: Tx, addresses: string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const map = new Map<string, string>();
  if (wanted.length === 0) return map;
  const rows = await tx.contactEmail.findMany({
    where: { address: { in: wanted } },
    select: { address: true, contactId: true, contact: { select: { createdAt: true } } },
  });
  rows.sort(
    (a, b) =>
      a.contact.createdAt.getTime() - b.contact.createdAt.getTime() || a.contactId.localeCompare(b.contactId),
  );
  for (const row of rows) if (!map.has(row.address)) map.set(row.address, row.contactId);
  return map;
}

export function addressesOf(message: ParsedMessage): string[] {
  return [message.from, ...message.to, ...message.cc, ...message.bcc]
    .filter((p): p is Party => p !== null)
    .map((p) => p.address);
}

export function partyRows(
  emailId: string,
  message: ParsedMessage,
  contacts: Map<string, string>,
): Prisma.EmailPartyCreateManyInput[] {
  const rows: Prisma.EmailPartyCreateManyInput[] = [];
  const add = (role: PartyRole, p: Party) =>
    rows.push({
      emailId,
      role,
      address: p.address,
      name: p.name,
      contactId: contacts.get(p.address) ?? null,
    });
  if (message.from) add('From', message.from);
  for (const p of message.to) add('To', p);
  for (const p of message.cc) add('Cc', p);
  for (const p of message.bcc) add('Bcc', p);
  return rows;
}
