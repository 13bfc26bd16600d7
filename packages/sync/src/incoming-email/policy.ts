import type { IncomingFilter } from '@syncfleet/db';
import type { MailboxWithProfile } from '../engine/types';

/**
 * What a mailbox promotes (docs/dynamics-server-side-sync.md#promotion-filters). Mail a user puts
 * in a tracked folder is promoted whatever the filter: dragging it there is the user asking for it
 * (folder tracking).
 */
export interface PromotionFacts {
  /** The message answers (or continues) an email activity the app already has. */
  correlated: boolean;
  /** The sender's address belongs to a Contact. */
  senderIsContact: boolean;
  /** The message was found in a tracked folder (not the Inbox). */
  inTrackedFolder: boolean;
}

export function effectiveFilter(
  mailbox: Pick<MailboxWithProfile, 'incomingFilter'>,
  fleetDefault: IncomingFilter,
): IncomingFilter {
  return mailbox.incomingFilter ?? fleetDefault;
}

export function shouldPromote(filter: IncomingFilter, facts: PromotionFacts): boolean {
  if (facts.inTrackedFolder) return true;
  switch (filter) {
    case 'All':
      return true;
    case 'ResponsesToAppEmail':
      return facts.correlated;
    case 'FromKnownContacts':
      return facts.senderIsContact;
    case 'None':
      return false;
  }
}

/** Process Email From: the mailbox's own date, else the profile's, else no lower bound. */
export function processEmailFrom(mailbox: MailboxWithProfile): Date | null {
  return mailbox.processEmailFrom ?? mailbox.profile.processEmailFrom ?? null;
}

/** Graph only filters delta on receivedDateTime ge/gt (message: delta, "Query parameters"). */
export function deltaFilter(from: Date | null): string | null {
  return from ? `receivedDateTime ge ${from.toISOString().replace(/\.000Z$/, 'Z')}` : null;
}
