import type { ChangeInput } from '../act/changes';
import { AlertSeverity, EmailStatus, type IncomingFilter, type Prisma } from '@syncfleet/db';
import { raiseAlert } from '../engine/alerts';
import type { MailboxWithProfile } from '../engine/types';
import { findTrackingToken } from '../tracking-token';
import type { FetchedAttachment } from './attachments';
import { correlate, smartMatchHash } from './correlation';
import { findKnownEmail, findLink, insertActivity, linkEmail, refreshLink, type LinkPlace } from './dedupe';
import type { ParsedMessage } from './message';
import { addressesOf, contactsByAddress, partyRows } from './parties';
import { shouldPromote } from './policy';
import type { IncomingSettings } from './settings';

type Tx = Prisma.TransactionClient;

export type Outcome =
  | 'promoted' // a new email activity
  | 'linked' // an activity that already existed (another mailbox, or the app sent it) gained a link
  | 'replayed' // delta repeated an item already linked: nothing changed but the link's changeKey
  | 'filtered' // the mailbox's filter does not promote it
  | 'before-process-email-from'
  | 'own-unlinked' // carries our x-syncfleet-id but its activity is gone: never promoted again
  | 'bounce' // a non-delivery report: marks the outgoing email it answers Bounced, never promoted
  | 'meeting-message' // a meeting request/response/cancellation: the calendar's, never promoted as email
  | 'updated' // a partial update (changed properties only) of a linked message: the link follows
  | 'update-of-unknown'; // a partial update of a message never promoted (filtered, older): nothing to do

export interface PageScope {
  tx: Tx;
  mailbox: MailboxWithProfile;
  place: LinkPlace;
  inTrackedFolder: boolean;
  filter: IncomingFilter;
  processEmailFrom: Date | null;
  settings: IncomingSettings;
  /** Attachments fetched before the transaction (Graph calls never run inside one). */
  attachments: Map<string, FetchedAttachment[]>;
  /** Email activities this page created or changed: stamped on the change sequence at its end. */
  changes: ChangeInput[];
}

/** One message of a delta page, inside the page's transaction. */
export async function applyMessage(scope: PageScope, message: ParsedMessage): Promise<Outcome> {
  const { tx, place } = scope;
  const link = await findLink(tx, place.mailboxId, message.graphId);
  if (link) {
    await refreshLink(tx, link, message, place);
    return 'replayed';
  }
  if (message.deliveryReport) return recordBounce(scope, message);
  // A meeting message is not correspondence: the meeting itself is synced from the calendar (its
  // event carries the same iCalUId), so the message stays in the Inbox, not promoted as an email.
  if (message.meetingMessage) return 'meeting-message';
  const known = await findKnownEmail(tx, message);
  if (known) {
    await linkEmail(tx, known.id, message, place);
    return 'linked';
  }
  if (message.syncfleetId) return 'own-unlinked';
  // Graph's $filter already holds older mail back; this also covers a date moved later mid-round.
  if (scope.processEmailFrom && message.receivedAt < scope.processEmailFrom)
    return 'before-process-email-from';

  const prefix = scope.settings.trackingTokenPrefix;
  const hash = smartMatchHash(message, prefix);
  const correlation = await correlate(tx, message, scope.settings, hash);
  const contacts = await contactsByAddress(tx, addressesOf(message));
  const promote = shouldPromote(scope.filter, {
    correlated: correlation !== null,
    senderIsContact: message.from !== null && contacts.has(message.from.address),
    inTrackedFolder: scope.inTrackedFolder,
  });
  if (!promote) return 'filtered';

  const { id, created } = await insertActivity(tx, {
    direction: 'Incoming',
    status: 'Received',
    subject: message.subject,
    bodyText: message.bodyText,
    bodyHtml: message.bodyHtml,
    internetMessageId: message.internetMessageId,
    conversationId: message.conversationId,
    inReplyTo: message.inReplyTo,
    references: message.references.length > 0 ? message.references.join(' ') : null,
    trackingToken: findTrackingToken(message.subject, prefix),
    smartMatchHash: hash,
    regardingType: correlation?.regardingType ?? null,
    regardingId: correlation?.regardingId ?? null,
    sentAt: message.sentAt,
    receivedAt: message.receivedAt,
    ownerMailboxId: place.mailboxId,
  });
  if (created) {
    scope.changes.push({
      kind: 'email',
      recordId: id,
      operation: 'create',
      source: 'exchange',
      mailboxId: place.mailboxId,
    });
    const parties = partyRows(id, message, contacts);
    if (parties.length > 0) await tx.emailParty.createMany({ data: parties });
    await storeAttachments(scope, id, message);
  }
  await linkEmail(tx, id, message, place);
  return created ? 'promoted' : 'linked';
}

async function storeAttachments(scope: PageScope, emailId: string, message: ParsedMessage) {
  const fetched = scope.attachments.get(message.graphId) ?? [];
  if (fetched.length === 0) return;
  await scope.tx.emailAttachment.createMany({
    data: fetched.map((a) => ({
      emailId,
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      content: a.content ? new Uint8Array(a.content) : null,
      skipped: a.skipped,
    })),
  });
  const skipped = fetched.filter((a) => a.skipped);
  if (skipped.length > 0) {
    await raiseAlert(scope.tx, {
      severity: AlertSeverity.Information,
      code: 'AttachmentSkipped',
      message:
        `Email ${message.internetMessageId}: ${skipped.map((a) => `"${a.name}" (${a.size} bytes)`).join(', ')} ` +
        `over ATTACHMENT_MAX_BYTES=${scope.settings.attachmentMaxBytes}; stored as metadata only.`,
      workload: 'IncomingEmail',
      mailboxId: scope.mailbox.id,
      profileId: scope.mailbox.profileId,
    });
  }
}

/**
 * A non-delivery report for mail the app sent: the report answers the original's Message-ID
 * (In-Reply-To / References), so the outgoing email is found by the internetMessageId recorded
 * before sending. It becomes Bounced with a Warning alert naming the report; the report itself is
 * never promoted. Replays find the email already Bounced and change nothing.
 */
async function recordBounce(scope: PageScope, message: ParsedMessage): Promise<Outcome> {
  const originals = [...new Set([message.inReplyTo, ...message.references].filter((x): x is string => !!x))];
  if (originals.length === 0) return 'bounce';
  const bounced = await scope.tx.emailActivity.updateManyAndReturn({
    where: {
      internetMessageId: { in: originals },
      direction: 'Outgoing',
      status: EmailStatus.Sent,
    },
    data: {
      status: EmailStatus.Bounced,
      failureReason: `Non-delivery report: ${message.subject}`.slice(0, 1000),
    },
    select: { id: true, internetMessageId: true, subject: true },
  });
  for (const email of bounced) {
    scope.changes.push({
      kind: 'email',
      recordId: email.id,
      operation: 'update',
      source: 'exchange',
      mailboxId: scope.mailbox.id,
    });
    await raiseAlert(scope.tx, {
      severity: AlertSeverity.Warning,
      code: 'EmailBounced',
      message:
        `Email "${email.subject}" (${email.internetMessageId}) was not delivered: ` +
        `Exchange returned a non-delivery report ("${message.subject}"). Check the recipients.`,
      workload: 'OutgoingEmail',
      mailboxId: scope.mailbox.id,
      profileId: scope.mailbox.profileId,
    });
  }
  return 'bounce';
}

/**
 * A partial delta entry (id + changed properties): an update of a message. If this mailbox links it,
 * the link takes the new changeKey and folder; otherwise the message was never promoted here (the
 * filter, Process Email From) and an update does not change that — its full form came earlier.
 */
export async function applyPartialUpdate(
  scope: Pick<PageScope, 'tx' | 'place'>,
  graphId: string,
  changeKey: string | null,
): Promise<Outcome> {
  const link = await findLink(scope.tx, scope.place.mailboxId, graphId);
  if (!link) return 'update-of-unknown';
  await refreshLink(scope.tx, link, { changeKey: changeKey ?? link.changeKey }, scope.place);
  return 'updated';
}

/** A malformed item fails alone: recorded as an alert in the page's transaction. */
export async function recordMalformed(
  scope: Pick<PageScope, 'tx' | 'mailbox'>,
  graphId: string | null,
  reason: string,
): Promise<void> {
  await raiseAlert(scope.tx, {
    severity: AlertSeverity.Warning,
    code: 'IncomingItemMalformed',
    message: `Message ${graphId ?? '(no id)'} was not promoted: ${reason}.`,
    workload: 'IncomingEmail',
    mailboxId: scope.mailbox.id,
    profileId: scope.mailbox.profileId,
  });
}
