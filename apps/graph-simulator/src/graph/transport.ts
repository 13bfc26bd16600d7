import type { SimConfig } from '../config';
import type { Mailbox } from '../store/model';
import type { Store } from '../store/store';
import { deliver } from './deliveries';
import type { Delivery, DeliveryLog } from './deliveries';
import { domainOf, messageFields, newInternetMessageId, recipient } from './mail-model';
import { withoutCustomHeaders } from './message-routes';

/**
 * Exchange Online's transport, asynchronous as documented ("Send mail by using the Microsoft Graph
 * API", outlook-things-to-know-about-send-mail): `sendMail`/`send` answer 202 once the message is
 * saved in Drafts; "most of the steps take place after the method response is returned" — the move
 * to Sent Items (step 4), delivery (6) and non-delivery reports to the sender's Inbox (3, 5, 7).
 * Here those steps run `sendLatencyMs` (+ jitter) after the 202; until then the draft is still in
 * Drafts and unsent-looking (`isDraft: true`), and no Sent Items copy exists.
 */
export type Transport = ReturnType<typeof createTransport>;

export interface Submission {
  mailbox: Mailbox;
  /** The draft being sent (send, reply) — re-read when transport runs; undefined for sendMail. */
  draftId?: string;
  /** sendMail: the message itself. */
  fields?: Record<string, unknown>;
  saveToSentItems: boolean;
  via: Delivery['via'];
}

export function createTransport(deps: {
  store: Store;
  deliveries: DeliveryLog;
  config: Pick<SimConfig, 'sendLatencyMs' | 'sendLatencyJitterMs'>;
}) {
  const timers = new Set<NodeJS.Timeout>();
  const { store } = deps;

  function run(s: Submission): void {
    const data = store.dataOf(s.mailbox);
    const draft = s.draftId ? data.items.get(s.draftId) : undefined;
    // Deleted (or already moved) before transport picked it up: nothing leaves the mailbox.
    if (s.draftId && (!draft || !draft.fields.isDraft)) return;
    const fields = draft ? draft.fields : (s.fields ?? {});
    deliver(store, deps.deliveries, s.mailbox, fields, s.via);
    nonDeliveryReports(s.mailbox, fields);
    const now = store.stamp();
    const sent = store.container(s.mailbox, 'sentitems', 'mailFolder');
    const sentFields = { isDraft: false, isRead: true, sentDateTime: now, receivedDateTime: now };
    if (draft) {
      // message: send always files the sent message in Sent Items (step 4: "moves it from the
      // Drafts folder to the Sent Items folder").
      const moved = store.moveItem(s.mailbox, draft, sent?.id ?? draft.parentId, false);
      moved.fields = withoutCustomHeaders(moved.fields);
      delete moved.fields._submittedAt;
      store.updateItem(s.mailbox, moved, sentFields);
    } else if (s.saveToSentItems && sent) {
      store.createItem(s.mailbox, 'message', sent.id, { ...withoutCustomHeaders(fields), ...sentFields });
    }
  }

  /**
   * Step 5: "Transport detects invalid recipient addresses at this point, for which transport mails
   * the non-delivery reports back to the sender." Invalid here: an address of the sender's own
   * domain with no mailbox, or any address in the reserved `.invalid` domain (RFC 2606). The report
   * is a DSN (RFC 3464: multipart/report; report-type=delivery-status) answering the original's
   * Message-ID in In-Reply-To/References, as Exchange's reports do.
   */
  function nonDeliveryReports(sender: Mailbox, fields: Record<string, unknown>): void {
    const all = ['toRecipients', 'ccRecipients', 'bccRecipients'].flatMap((k) =>
      Array.isArray(fields[k])
        ? (fields[k] as Array<{ emailAddress?: { address?: string } }>).map(
            (r) => r.emailAddress?.address ?? '',
          )
        : [],
    );
    const senderDomain = domainOf(sender.address);
    const bad = all.filter((a) => {
      const domain = domainOf(a.toLowerCase());
      if (domain === 'invalid' || domain.endsWith('.invalid')) return true;
      return domain === senderDomain && !store.findMailbox(a);
    });
    if (bad.length === 0) return;
    const inbox = store.container(sender, 'inbox', 'mailFolder');
    if (!inbox) return;
    const original = String(fields.internetMessageId ?? '');
    const internetMessageId = newInternetMessageId(store, senderDomain);
    const now = store.stamp();
    const from = recipient(
      `MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${senderDomain}`,
      'Microsoft Outlook',
    );
    store.createItem(
      sender,
      'message',
      inbox.id,
      messageFields({
        from,
        sender: from,
        toRecipients: [recipient(sender.address, sender.displayName)],
        subject: `Undeliverable: ${String(fields.subject ?? '')}`,
        body: {
          contentType: 'text',
          content: `Your message couldn't be delivered to ${bad.join(', ')}. The address wasn't found.`,
        },
        internetMessageId,
        conversationId: fields.conversationId,
        internetMessageHeaders: [
          { name: 'Message-ID', value: internetMessageId },
          { name: 'In-Reply-To', value: original },
          { name: 'References', value: original },
          { name: 'Content-Type', value: 'multipart/report; report-type=delivery-status; boundary="sim"' },
          { name: 'X-MS-Exchange-Message-Is-Ndr', value: '' },
        ],
        receivedDateTime: now,
        sentDateTime: now,
        isRead: false,
        isDraft: false,
        attachments: [],
      }),
    );
  }

  /** Accepts a submission (the caller answers 202) and runs it after the configured latency. */
  function submit(s: Submission): void {
    const delay = deps.config.sendLatencyMs + Math.random() * deps.config.sendLatencyJitterMs;
    if (delay <= 0) return run(s);
    const timer = setTimeout(() => {
      timers.delete(timer);
      run(s);
    }, delay);
    timer.unref?.();
    timers.add(timer);
  }

  return {
    submit,
    /** Submissions accepted but not yet processed. */
    pending: () => timers.size,
    clear: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
