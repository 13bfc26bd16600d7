import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import type { Item } from '../store/model';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import { initialQueryOf } from './delta';
import { ifMatchFails, listItems } from './listing';
import {
  MAX_INLINE_ATTACHMENT_BYTES,
  domainOf,
  fileAttachment,
  messageFields,
  newInternetMessageId,
  recipient,
} from './mail-model';
import { parseFilter, parseSelect, preferImmutableId, serializeItem } from './odata';

/** Properties a client may PATCH on a message (others are read-only in Graph). */
const WRITABLE = new Set([
  'subject',
  'body',
  'isRead',
  'importance',
  'categories',
  'flag',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'from',
  'sender',
  'inferenceClassification',
  'internetMessageHeaders',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
]);

export const itemNotFound = (): SimResponse =>
  graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

export function findMessage(ctx: GraphCtx, id: string): Item | undefined {
  const item = ctx.deps.store.dataOf(mailboxOf(ctx)).items.get(id);
  return item && item.kind === 'message' ? item : undefined;
}

/** Custom headers a message may carry at creation (reported limit of Exchange Online; see README ledger). */
export const MAX_CUSTOM_HEADERS = 5;

/**
 * Custom headers: "Add custom headers only when creating a message, and name them starting with
 * 'x-'" (message resource type). Real tenants also refuse an empty list and more than 5 headers
 * (reported in Graph SDK issues; not on the page): the simulator refuses them too.
 */
export function invalidHeaders(headers: unknown): SimResponse | undefined {
  if (headers === undefined) return undefined;
  if (!Array.isArray(headers))
    return graphError(400, 'ErrorInvalidRequest', 'internetMessageHeaders must be an array.');
  if (headers.length === 0)
    return graphError(
      400,
      'InvalidInternetMessageHeaderCollection',
      'The internet message header collection cannot be empty.',
    );
  if (headers.length > MAX_CUSTOM_HEADERS)
    return graphError(
      400,
      'InvalidInternetMessageHeaderCollection',
      `Maximum number of headers in one message should be less than or equal to ${MAX_CUSTOM_HEADERS}.`,
    );
  for (const h of headers) {
    const name = asObject(h)?.name;
    if (typeof name !== 'string' || !/^x-/i.test(name)) {
      return graphError(
        400,
        'InvalidInternetMessageHeader',
        `The internet message header name '${String(name)}' should start with 'x-' or 'X-'.`,
      );
    }
  }
  return undefined;
}

/** The copy filed in Sent Items keeps the standard headers but not the custom x- ones (observed). */
export function withoutCustomHeaders(fields: Record<string, unknown>): Record<string, unknown> {
  const headers = fields.internetMessageHeaders;
  if (!Array.isArray(headers)) return fields;
  const kept = headers.filter((h) => !/^x-/i.test(String(asObject(h)?.name ?? '')));
  return { ...fields, internetMessageHeaders: kept };
}

const DELTA_FILTER = /^\s*receivedDateTime\s+(ge|gt)\s+\S+\s*$/i;

/**
 * message: delta, "OData query parameters": "The only supported $filter expressions are
 * receivedDateTime ge {value} or receivedDateTime gt {value}", the only $orderby is
 * "receivedDateTime desc", and "There is no support for $search". Anything else is a 400.
 */
function deltaFilterOf(req: SimRequest): ((item: Item) => boolean) | SimResponse | undefined {
  const raw = req.query.get('$filter');
  const orderBy = req.query.get('$orderby');
  if (req.query.has('$search'))
    return graphError(
      400,
      'ErrorInvalidUrlQuery',
      'The query parameter $search is not supported with delta.',
    );
  if (orderBy && !/^\s*receivedDateTime\s+desc\s*$/i.test(orderBy))
    return graphError(
      400,
      'ErrorInvalidUrlQuery',
      `The $orderby expression '${orderBy}' is not supported with delta.`,
    );
  if (!raw) return undefined;
  const parsed = DELTA_FILTER.test(raw) ? parseFilter(raw) : undefined;
  if (!parsed || 'error' in parsed)
    return graphError(
      400,
      'ErrorInvalidUrlQueryFilter',
      `The $filter expression '${raw}' is not supported with delta: only receivedDateTime ge|gt {value}.`,
    );
  return parsed;
}

function patchOf(body: unknown): Record<string, unknown> | SimResponse {
  const input = asObject(body);
  if (!input) return graphError(400, 'ErrorInvalidRequest', 'The request body must be a JSON object.');
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (WRITABLE.has(k)) patch[k] = v;
  return patch;
}

export function messageRoutes(): Array<Route<GraphCtx>> {
  const folderOf = (ctx: GraphCtx, f: string) => ctx.deps.store.container(mailboxOf(ctx), f, 'mailFolder');

  const get = (ctx: GraphCtx, id: string, req: SimRequest): SimResponse => {
    const item = findMessage(ctx, id);
    return item ? json(200, serializeItem(item, parseSelect(req.query.get('$select')))) : itemNotFound();
  };

  const patch = (ctx: GraphCtx, id: string, req: SimRequest): SimResponse => {
    const item = findMessage(ctx, id);
    if (!item) return itemNotFound();
    const conflict = ifMatchFails(req, item);
    if (conflict) return conflict;
    const changes = patchOf(req.body);
    if ('status' in changes) return changes as SimResponse;
    if ('internetMessageHeaders' in changes) {
      // "Add custom headers only when creating a message" (message resource type).
      return item.fields.isDraft
        ? graphError(
            400,
            'ErrorInvalidRequest',
            'internetMessageHeaders can only be set when the message is created.',
          )
        : graphError(
            400,
            'ErrorInvalidPropertyUpdateSentMessage',
            'Update operation is invalid for property of a sent message.',
          );
    }
    ctx.deps.store.updateItem(mailboxOf(ctx), item, changes);
    return json(200, serializeItem(item));
  };

  const remove = (ctx: GraphCtx, id: string, req: SimRequest): SimResponse => {
    const item = findMessage(ctx, id);
    if (!item) return itemNotFound();
    const conflict = ifMatchFails(req, item);
    if (conflict) return conflict;
    ctx.deps.store.deleteItem(mailboxOf(ctx), item);
    return { status: 204 };
  };

  const create = (ctx: GraphCtx, folderId: string, req: SimRequest): SimResponse => {
    const input = asObject(req.body);
    if (!input) return graphError(400, 'ErrorInvalidRequest', 'The request body must be a JSON object.');
    const bad = invalidHeaders(input.internetMessageHeaders);
    if (bad) return bad;
    const mailbox = mailboxOf(ctx);
    const { store } = ctx.deps;
    const attachments = Array.isArray(input.attachments)
      ? input.attachments.map((a) => fileAttachment(store, asObject(a) ?? {}))
      : [];
    const fields = messageFields({
      ...input,
      attachments,
      isDraft: true,
      isRead: true,
      receivedDateTime: undefined,
      internetMessageId: newInternetMessageId(store, domainOf(mailbox.address)),
      conversationId: store.ids.next('AAQkAG', 60),
      from: input.from ?? recipient(mailbox.address, mailbox.displayName),
    });
    const item = store.createItem(mailbox, 'message', folderId, fields);
    return json(201, serializeItem(item));
  };

  const move = (ctx: GraphCtx, id: string, req: SimRequest): SimResponse => {
    const item = findMessage(ctx, id);
    if (!item) return itemNotFound();
    const destinationId = asObject(req.body)?.destinationId;
    if (typeof destinationId !== 'string')
      return graphError(400, 'ErrorInvalidRequest', 'destinationId is required.');
    const dest = folderOf(ctx, destinationId);
    if (!dest)
      return graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');
    const moved = ctx.deps.store.moveItem(
      mailboxOf(ctx),
      item,
      dest.id,
      preferImmutableId(req.headers.prefer),
    );
    return json(201, serializeItem(moved));
  };

  const list = (ctx: GraphCtx, folderIds: string[] | undefined, req: SimRequest): SimResponse => {
    const { store } = ctx.deps;
    const mailbox = mailboxOf(ctx);
    const items = folderIds
      ? folderIds.flatMap((f) => store.itemsIn(mailbox, f))
      : store.itemsOfKind(mailbox, 'message');
    return listItems(req, items, { defaultOrder: 'receivedDateTime desc', context: 'users/messages' });
  };

  const attachments = (ctx: GraphCtx, id: string): SimResponse => {
    const item = findMessage(ctx, id);
    if (!item) return itemNotFound();
    return json(200, { value: (item.fields.attachments as unknown[]) ?? [] });
  };

  const delta = (ctx: GraphCtx, f: string, req: SimRequest): SimResponse => {
    const mailbox = mailboxOf(ctx);
    return ctx.deps.delta.handle(req, mailbox, () => {
      const folder = folderOf(ctx, f);
      if (!folder)
        return graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');
      const filter = deltaFilterOf(req);
      if (filter && 'status' in filter) return filter;
      return {
        mailboxId: mailbox.id,
        kind: 'message',
        parentId: folder.id,
        filter,
        select: parseSelect(req.query.get('$select')),
        initialQuery: initialQueryOf(req),
        pathBase: req.path.slice('/v1.0'.length),
      };
    });
  };

  return [
    { method: 'GET', pattern: 'users/:u/messages', handler: (ctx, _p, req) => list(ctx, undefined, req) },
    {
      method: 'GET',
      pattern: 'users/:u/mailFolders/:f/messages',
      handler: (ctx, [, f = ''], req) => {
        const folder = folderOf(ctx, f);
        return folder ? list(ctx, [folder.id], req) : itemNotFound();
      },
    },
    {
      method: 'GET',
      pattern: 'users/:u/mailFolders/:f/messages/delta',
      handler: (ctx, [, f = ''], req) => delta(ctx, f, req),
    },
    {
      method: 'POST',
      pattern: 'users/:u/messages',
      handler: (ctx, _p, req) => {
        const drafts = folderOf(ctx, 'drafts');
        return drafts ? create(ctx, drafts.id, req) : itemNotFound();
      },
    },
    {
      method: 'POST',
      pattern: 'users/:u/mailFolders/:f/messages',
      handler: (ctx, [, f = ''], req) => {
        const folder = folderOf(ctx, f);
        return folder ? create(ctx, folder.id, req) : itemNotFound();
      },
    },
    {
      method: 'GET',
      pattern: 'users/:u/messages/:id',
      handler: (ctx, [, id = ''], req) => get(ctx, id, req),
    },
    {
      method: 'GET',
      pattern: 'users/:u/mailFolders/:f/messages/:id',
      handler: (ctx, [, , id = ''], req) => get(ctx, id, req),
    },
    {
      method: 'PATCH',
      pattern: 'users/:u/messages/:id',
      handler: (ctx, [, id = ''], req) => patch(ctx, id, req),
    },
    {
      method: 'PATCH',
      pattern: 'users/:u/mailFolders/:f/messages/:id',
      handler: (ctx, [, , id = ''], req) => patch(ctx, id, req),
    },
    {
      method: 'DELETE',
      pattern: 'users/:u/messages/:id',
      handler: (ctx, [, id = ''], req) => remove(ctx, id, req),
    },
    {
      method: 'DELETE',
      pattern: 'users/:u/mailFolders/:f/messages/:id',
      handler: (ctx, [, , id = ''], req) => remove(ctx, id, req),
    },
    {
      method: 'POST',
      pattern: 'users/:u/messages/:id/move',
      handler: (ctx, [, id = ''], req) => move(ctx, id, req),
    },
    {
      method: 'GET',
      pattern: 'users/:u/messages/:id/attachments',
      handler: (ctx, [, id = '']) => attachments(ctx, id),
    },
    {
      method: 'GET',
      pattern: 'users/:u/messages/:id/attachments/:a',
      handler: (ctx, [, id = '', a = '']) => {
        const item = findMessage(ctx, id);
        const found = ((item?.fields.attachments as Array<{ id: string }>) ?? []).find((x) => x.id === a);
        return found ? json(200, found) : itemNotFound();
      },
    },
    {
      method: 'POST',
      pattern: 'users/:u/messages/:id/attachments',
      handler: (ctx, [, id = ''], req) => {
        const item = findMessage(ctx, id);
        if (!item) return itemNotFound();
        const input = asObject(req.body) ?? {};
        const attachment = fileAttachment(ctx.deps.store, input);
        if ((attachment.size as number) > MAX_INLINE_ATTACHMENT_BYTES) {
          return graphError(
            413,
            'ErrorRequestEntityTooLarge',
            'Attachments over 3 MB need an upload session.',
          );
        }
        const list = [...((item.fields.attachments as unknown[]) ?? []), attachment];
        ctx.deps.store.updateItem(mailboxOf(ctx), item, { attachments: list, hasAttachments: true });
        return json(201, attachment);
      },
    },
  ];
}
