import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { SimResponse } from '../http/types';
import type { Item, Mailbox } from '../store/model';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import type { Delivery } from './deliveries';
import type { Recipient } from './mail-model';
import { domainOf, fileAttachment, messageFields, newInternetMessageId, recipient } from './mail-model';
import { findMessage, invalidHeaders, itemNotFound } from './message-routes';
import { serializeItem } from './odata';

const noRecipients = () =>
  graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is required, but none were found.');

function hasRecipients(fields: Record<string, unknown>): boolean {
  return ['toRecipients', 'ccRecipients', 'bccRecipients'].some(
    (k) => Array.isArray(fields[k]) && (fields[k] as unknown[]).length > 0,
  );
}

/**
 * Sends a stored draft (message: send): 202 at once; transport delivers it and moves it to Sent
 * Items later (transport.ts). A second send while the first is still in flight is not merged with
 * it: how Exchange treats that is not documented, so the simulator takes the unkind reading and
 * sends the message again — a client must never re-send a draft it already submitted.
 */
function sendDraft(ctx: GraphCtx, mailbox: Mailbox, item: Item, via: Delivery['via']): SimResponse {
  if (!item.fields.isDraft) {
    return graphError(400, 'ErrorInvalidOperation', 'Only draft messages can be sent.');
  }
  if (!hasRecipients(item.fields)) return noRecipients();
  const { transport } = ctx.deps;
  if (item.fields._submittedAt) {
    transport.submit({ mailbox, fields: { ...item.fields }, saveToSentItems: false, via });
  } else {
    item.fields._submittedAt = ctx.deps.store.stamp();
    transport.submit({ mailbox, draftId: item.id, saveToSentItems: true, via });
  }
  return { status: 202 };
}

function draftReply(ctx: GraphCtx, original: Item, comment: string, all: boolean): Item {
  const mailbox = mailboxOf(ctx);
  const { store } = ctx.deps;
  const f = original.fields;
  const from = f.from as Recipient | null;
  const to = from ? [from] : [];
  const cc = all
    ? [...((f.toRecipients as Recipient[]) ?? []), ...((f.ccRecipients as Recipient[]) ?? [])].filter(
        (r) => r.emailAddress.address.toLowerCase() !== mailbox.address,
      )
    : [];
  const refs = [f._references, f.internetMessageId].filter((x) => typeof x === 'string').join(' ');
  const drafts = store.container(mailbox, 'drafts', 'mailFolder');
  const subject = String(f.subject ?? '');
  return store.createItem(
    mailbox,
    'message',
    drafts?.id ?? original.parentId,
    messageFields({
      subject: /^re:/i.test(subject) ? subject : `RE: ${subject}`,
      body: { contentType: 'html', content: comment },
      toRecipients: to,
      ccRecipients: cc,
      isDraft: true,
      isRead: true,
      from: recipient(mailbox.address, mailbox.displayName),
      internetMessageId: newInternetMessageId(store, domainOf(mailbox.address)),
      conversationId: f.conversationId,
      _inReplyTo: f.internetMessageId,
      _references: refs,
    }),
  );
}

export function sendRoutes(): Array<Route<GraphCtx>> {
  return [
    {
      method: 'POST',
      pattern: 'users/:u/sendMail',
      handler: (ctx, _p, req) => {
        const mailbox = mailboxOf(ctx);
        const { store } = ctx.deps;
        const body = asObject(req.body);
        const message = asObject(body?.message);
        if (!message) return graphError(400, 'ErrorInvalidRequest', "The 'message' parameter is required.");
        const bad = invalidHeaders(message.internetMessageHeaders);
        if (bad) return bad;
        const fields = messageFields({
          ...message,
          attachments: Array.isArray(message.attachments)
            ? message.attachments.map((a) => fileAttachment(store, asObject(a) ?? {}))
            : [],
          from: message.from ?? recipient(mailbox.address, mailbox.displayName),
          internetMessageId: newInternetMessageId(store, domainOf(mailbox.address)),
          conversationId: store.ids.next('AAQkAG', 60),
          isDraft: false,
          isRead: true,
        });
        if (!hasRecipients(fields)) return noRecipients();
        // saveToSentItems defaults to true (user: sendMail).
        ctx.deps.transport.submit({
          mailbox,
          fields,
          saveToSentItems: body?.saveToSentItems !== false,
          via: 'sendMail',
        });
        return { status: 202 };
      },
    },
    {
      method: 'POST',
      pattern: 'users/:u/messages/:id/send',
      handler: (ctx, [, id = '']) => {
        const item = findMessage(ctx, id);
        return item ? sendDraft(ctx, mailboxOf(ctx), item, 'send') : itemNotFound();
      },
    },
    ...(['createReply', 'createReplyAll'] as const).map((action) => ({
      method: 'POST',
      pattern: `users/:u/messages/:id/${action}`,
      handler: (ctx: GraphCtx, [, id = '']: string[], req: { body: unknown }) => {
        const item = findMessage(ctx, id);
        if (!item) return itemNotFound();
        const comment = String(asObject(req.body)?.comment ?? '');
        return json(201, serializeItem(draftReply(ctx, item, comment, action === 'createReplyAll')));
      },
    })),
    ...(['reply', 'replyAll'] as const).map((action) => ({
      method: 'POST',
      pattern: `users/:u/messages/:id/${action}`,
      handler: (ctx: GraphCtx, [, id = '']: string[], req: { body: unknown }) => {
        const item = findMessage(ctx, id);
        if (!item) return itemNotFound();
        const comment = String(asObject(req.body)?.comment ?? '');
        const draft = draftReply(ctx, item, comment, action === 'replyAll');
        return sendDraft(ctx, mailboxOf(ctx), draft, 'reply');
      },
    })),
  ];
}
