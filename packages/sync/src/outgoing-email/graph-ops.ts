import type { EmailActivity, EmailAttachment, EmailParty } from '@syncfleet/db';
import { nonIdempotentRetryOptions, type MailboxGraph } from '@syncfleet/graph';
import { SYNCFLEET_HEADER } from '../message-headers';

export type EmailToSend = EmailActivity & { parties: EmailParty[]; attachments: EmailAttachment[] };

export interface GraphMessageRef {
  id: string;
  isDraft: boolean;
  internetMessageId: string | null;
  conversationId: string | null;
  sentDateTime: string | null;
}

interface GraphMessage {
  id: string;
  isDraft?: boolean;
  internetMessageId?: string | null;
  conversationId?: string | null;
  sentDateTime?: string | null;
  internetMessageHeaders?: { name: string; value: string }[];
}

const REF_FIELDS = 'id,isDraft,internetMessageId,conversationId,sentDateTime';

const ref = (m: GraphMessage): GraphMessageRef => ({
  id: m.id,
  isDraft: m.isDraft === true,
  internetMessageId: m.internetMessageId ?? null,
  conversationId: m.conversationId ?? null,
  sentDateTime: m.sentDateTime ?? null,
});

const recipients = (email: EmailToSend, role: EmailParty['role']) =>
  email.parties
    .filter((p) => p.role === role)
    .map((p) => ({ emailAddress: p.name ? { address: p.address, name: p.name } : { address: p.address } }));

/** The body of the draft's POST, built once: its size is what the mailbox's upload budget counts. */
export interface DraftPayload {
  json: Record<string, unknown>;
  /** Bytes of the JSON request body (what Outlook counts toward "150 MB upload … in 5 minutes"). */
  bytes: number;
}

export function draftPayload(email: EmailToSend, subject: string): DraftPayload {
  const body = email.bodyHtml
    ? { contentType: 'html', content: email.bodyHtml }
    : { contentType: 'text', content: email.bodyText ?? '' };
  const json = {
    subject,
    body,
    toRecipients: recipients(email, 'To'),
    ccRecipients: recipients(email, 'Cc'),
    bccRecipients: recipients(email, 'Bcc'),
    internetMessageHeaders: [{ name: SYNCFLEET_HEADER, value: email.id }],
    attachments: email.attachments
      .filter((a) => a.content)
      .map((a) => ({
        '@odata.type': '#microsoft.graph.fileAttachment',
        name: a.name,
        contentType: a.contentType,
        contentBytes: Buffer.from(a.content!).toString('base64'),
      })),
  };
  return { json, bytes: Buffer.byteLength(JSON.stringify(json)) };
}

/**
 * POST /users/{id}/messages (user: post messages) → 201 with the draft's id, internetMessageId and
 * conversationId. The draft carries our header, so a draft whose id we failed to record is found
 * again (findOrphanDraft) instead of being created twice.
 */
export async function createDraft(
  graph: MailboxGraph,
  user: string,
  payload: DraftPayload,
): Promise<GraphMessageRef> {
  const created = (await graph.api(`${user}/messages`).post(payload.json)) as GraphMessage;
  return ref(created);
}

/**
 * POST /users/{id}/messages/{id}/send (message: send) → 202; Exchange moves the draft to Sent Items
 * later. A 504 is never retried by the Graph client: the send may have been accepted, and a second
 * one while the first is in Exchange's asynchronous send could deliver twice. An unanswered send
 * leaves the email Sending with sendSubmittedAt set; the resumed attempt waits for the copy.
 */
export async function sendDraft(graph: MailboxGraph, user: string, draftId: string): Promise<void> {
  await graph
    .api(`${user}/messages/${encodeURIComponent(draftId)}/send`, [nonIdempotentRetryOptions()])
    .post(null);
}

/**
 * Every message of the mailbox (any folder: Drafts, Outbox, Sent Items, moved elsewhere) with this
 * internetMessageId. Graph supports `$filter` on internetMessageId for messages.
 */
export async function findByInternetMessageId(
  graph: MailboxGraph,
  user: string,
  internetMessageId: string,
): Promise<GraphMessageRef[]> {
  const page = (await graph
    .api(`${user}/messages`)
    .filter(`internetMessageId eq '${internetMessageId.replace(/'/g, "''")}'`)
    .select(REF_FIELDS)
    .top(10)
    .get()) as { value: GraphMessage[] };
  return page.value.map(ref);
}

/** How many of the newest drafts are searched for a draft whose id was not recorded (crash window). */
export const ORPHAN_DRAFT_SCAN = 100;

/**
 * A draft we created for `emailId` but did not get to record (crash between POST and the database
 * update). `$filter` on internetMessageHeaders is not supported, so the newest drafts are listed
 * with the headers selected (custom headers are returned only with $select) and matched here.
 */
export async function findOrphanDraft(
  graph: MailboxGraph,
  user: string,
  emailId: string,
): Promise<GraphMessageRef | null> {
  const page = (await graph
    .api(`${user}/mailFolders/drafts/messages`)
    .select(`${REF_FIELDS},internetMessageHeaders`)
    .orderby('createdDateTime desc')
    .top(ORPHAN_DRAFT_SCAN)
    .get()) as { value: GraphMessage[] };
  const match = page.value.find((m) =>
    (m.internetMessageHeaders ?? []).some(
      (h) => h.name.toLowerCase() === SYNCFLEET_HEADER && h.value === emailId,
    ),
  );
  return match ? ref(match) : null;
}

export async function deleteMessage(graph: MailboxGraph, user: string, id: string): Promise<void> {
  await graph.api(`${user}/messages/${encodeURIComponent(id)}`).delete();
}
