import type { z } from 'zod';
import {
  conversationFor,
  domainOf,
  fileAttachment,
  messageFields,
  newInternetMessageId,
  recipient,
} from '../graph/mail-model';
import type { Header } from '../graph/mail-model';
import type { Item, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import type { inboundInput } from './schemas';

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Mail arriving from outside the tenant: lands in the Inbox (or `folder`), threaded by In-Reply-To. */
export function inbound(store: Store, mailbox: Mailbox, input: z.infer<typeof inboundInput>): Item | string {
  const folder = store.container(mailbox, input.folder ?? 'inbox', 'mailFolder');
  if (!folder) return 'folder';
  const internetMessageId = input.internetMessageId ?? newInternetMessageId(store, domainOf(input.from));
  const headers: Header[] = [{ name: 'Message-ID', value: internetMessageId }];
  if (input.inReplyTo) headers.push({ name: 'In-Reply-To', value: input.inReplyTo });
  if (input.references) headers.push({ name: 'References', value: input.references });
  for (const [name, value] of Object.entries(input.headers ?? {})) headers.push({ name, value });
  const from = recipient(input.from);
  const to = list(input.to);
  return store.createItem(
    mailbox,
    'message',
    folder.id,
    messageFields({
      from,
      sender: from,
      toRecipients: (to.length ? to : [mailbox.address]).map((a) => recipient(a)),
      ccRecipients: list(input.cc).map((a) => recipient(a)),
      subject: input.subject,
      body: { contentType: input.bodyContentType ?? 'text', content: input.body },
      internetMessageId,
      conversationId:
        input.conversationId ?? conversationFor(store, mailbox, input.inReplyTo, input.references),
      internetMessageHeaders: headers,
      receivedDateTime: input.receivedDateTime,
      sentDateTime: input.receivedDateTime,
      isRead: input.isRead ?? false,
      attachments: (input.attachments ?? []).map((a) => fileAttachment(store, a)),
      _inReplyTo: input.inReplyTo,
      _references: input.references,
    }),
  );
}
