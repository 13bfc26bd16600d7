import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { Container, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import { listPlain } from './listing';

export function userJson(mailbox: Mailbox): Record<string, unknown> {
  return {
    id: mailbox.id,
    displayName: mailbox.displayName,
    mail: mailbox.address,
    userPrincipalName: mailbox.address,
    businessPhones: [],
    givenName: null,
    surname: null,
    jobTitle: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
  };
}

function folderJson(store: Store, mailbox: Mailbox, folder: Container): Record<string, unknown> {
  const data = store.dataOf(mailbox);
  const children = [...data.containers.values()].filter((c) => c.parentId === folder.id);
  const items = store.itemsIn(mailbox, folder.id);
  return {
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: folder.parentId ?? null,
    childFolderCount: children.length,
    unreadItemCount: items.filter((i) => i.fields.isRead === false).length,
    totalItemCount: items.length,
    isHidden: false,
  };
}

/** GET /users page size: default 100, $top 1–999 (https://learn.microsoft.com/graph/paging). */
const USERS_DEFAULT_TOP = 100;
const USERS_MAX_TOP = 999;

/**
 * GET /users (https://learn.microsoft.com/graph/api/user-list): the tenant's user objects — users
 * and shared mailboxes (a shared mailbox is a user whose sign-in is blocked: accountEnabled false);
 * aliases are addresses, not objects, and distribution lists are groups. Server-side paging with an
 * opaque $skiptoken in @odata.nextLink (the endpoint supports $top but not $skip); $top outside
 * 1–999 is a 400. $select picks properties (id always).
 */
function listUsers(ctx: GraphCtx, req: Parameters<Route<GraphCtx>['handler']>[2]) {
  const topText = req.query.get('$top');
  const top = topText === null ? USERS_DEFAULT_TOP : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > USERS_MAX_TOP)
    return graphError(
      400,
      'Request_UnsupportedQuery',
      `Invalid page size specified: '${topText}'. Must be between 1 and ${USERS_MAX_TOP} inclusive.`,
    );
  const token = req.query.get('$skiptoken');
  const offset =
    token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^o:/, ''));
  if (!Number.isInteger(offset) || offset < 0)
    return graphError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired.');
  const users: Mailbox[] = [];
  for (const [key, mb] of ctx.deps.store.mailboxes)
    if (key === mb.address && mb.tenantId === ctx.claims.tid && (mb.kind === 'user' || mb.kind === 'shared'))
      users.push(mb);
  users.sort((a, b) => a.id.localeCompare(b.id));
  const select = req.query
    .get('$select')
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const view = (mb: Mailbox) => {
    const full: Record<string, unknown> = { ...userJson(mb), accountEnabled: mb.kind !== 'shared' };
    if (!select) return userJson(mb);
    return Object.fromEntries([['id', mb.id], ...select.filter((f) => f in full).map((f) => [f, full[f]])]);
  };
  const body: Record<string, unknown> = {
    '@odata.context': `${req.baseUrl}/v1.0/$metadata#users`,
    value: users.slice(offset, offset + top).map(view),
  };
  if (offset + top < users.length) {
    const q = new URLSearchParams(req.query);
    q.set('$skiptoken', Buffer.from(`o:${offset + top}`).toString('base64url'));
    body['@odata.nextLink'] = `${req.baseUrl}${req.path}?${q.toString().replace(/%24/g, '$')}`;
  }
  return json(200, body);
}

export function userRoutes(): Array<Route<GraphCtx>> {
  const folder = (ctx: GraphCtx, idOrName: string) =>
    ctx.deps.store.container(mailboxOf(ctx), idOrName, 'mailFolder');
  const folderNotFound = () =>
    graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');

  function childList(ctx: GraphCtx, parentId: string, req: Parameters<Route<GraphCtx>['handler']>[2]) {
    const mailbox = mailboxOf(ctx);
    const data = ctx.deps.store.dataOf(mailbox);
    const children = [...data.containers.values()].filter(
      (c) => c.kind === 'mailFolder' && c.parentId === parentId,
    );
    return listPlain(
      req,
      children.map((c) => folderJson(ctx.deps.store, mailbox, c)),
      'mailFolders',
    );
  }

  function createChild(ctx: GraphCtx, parentId: string, body: unknown) {
    const name = asObject(body)?.displayName;
    if (typeof name !== 'string' || !name)
      return graphError(400, 'ErrorInvalidRequest', 'displayName is required.');
    const mailbox = mailboxOf(ctx);
    const data = ctx.deps.store.dataOf(mailbox);
    for (const c of data.containers.values()) {
      if (c.parentId === parentId && c.displayName.toLowerCase() === name.toLowerCase()) {
        return graphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
      }
    }
    const created = ctx.deps.store.newContainer(mailbox, 'mailFolder', name, parentId);
    return json(201, folderJson(ctx.deps.store, mailbox, created));
  }

  return [
    { method: 'GET', pattern: 'users', handler: (ctx, _p, req) => listUsers(ctx, req) },
    { method: 'GET', pattern: 'users/:u', handler: (ctx) => json(200, userJson(mailboxOf(ctx))) },
    {
      method: 'GET',
      pattern: 'users/:u/mailboxSettings',
      handler: () =>
        json(200, {
          timeZone: 'UTC',
          language: { locale: 'en-US', displayName: 'English (United States)' },
          automaticRepliesSetting: { status: 'disabled' },
        }),
    },
    {
      method: 'GET',
      pattern: 'users/:u/mailFolders',
      handler: (ctx, _p, req) => {
        const root = folder(ctx, 'msgfolderroot');
        return root ? childList(ctx, root.id, req) : folderNotFound();
      },
    },
    {
      method: 'POST',
      pattern: 'users/:u/mailFolders',
      handler: (ctx, _p, req) => {
        const root = folder(ctx, 'msgfolderroot');
        return root ? createChild(ctx, root.id, req.body) : folderNotFound();
      },
    },
    {
      method: 'GET',
      pattern: 'users/:u/mailFolders/:f',
      handler: (ctx, [, f = '']) => {
        const found = folder(ctx, f);
        return found ? json(200, folderJson(ctx.deps.store, mailboxOf(ctx), found)) : folderNotFound();
      },
    },
    {
      // mailFolder: delete. The folder goes with its messages; delta links on it then answer 404.
      method: 'DELETE',
      pattern: 'users/:u/mailFolders/:f',
      handler: (ctx, [, f = '']) => {
        const found = folder(ctx, f);
        if (!found) return folderNotFound();
        if (found.wellKnownName)
          return graphError(
            403,
            'ErrorDeleteDistinguishedFolder',
            'Distinguished folders cannot be deleted.',
          );
        ctx.deps.store.deleteContainer(mailboxOf(ctx), found);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: 'users/:u/mailFolders/:f/childFolders',
      handler: (ctx, [, f = ''], req) => {
        const found = folder(ctx, f);
        return found ? childList(ctx, found.id, req) : folderNotFound();
      },
    },
    {
      method: 'POST',
      pattern: 'users/:u/mailFolders/:f/childFolders',
      handler: (ctx, [, f = ''], req) => {
        const found = folder(ctx, f);
        return found ? createChild(ctx, found.id, req.body) : folderNotFound();
      },
    },
  ];
}
