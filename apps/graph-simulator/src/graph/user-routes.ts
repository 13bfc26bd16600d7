import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { Container, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import { listPlain } from './listing';
import { parseSelect } from './odata';

/**
 * user resource: the default properties (user: get, "Optional query parameters"); `proxyAddresses`
 * is "Returned only on $select", so it and any other non-default property come only when selected.
 */
export function userJson(mailbox: Mailbox, select?: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: mailbox.id,
    displayName: mailbox.displayName,
    mail: mailbox.address,
    userPrincipalName: mailbox.userPrincipalName,
    businessPhones: [],
    givenName: null,
    surname: null,
    jobTitle: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
  };
  if (!select) return all;
  const out: Record<string, unknown> = { id: mailbox.id };
  for (const name of select) {
    if (name === 'proxyAddresses') out.proxyAddresses = [...mailbox.proxyAddresses];
    else if (name in all) out[name] = all[name];
  }
  return out;
}

/**
 * `$filter` of user: list as far as the fleet uses it: `mail eq '…'`, `userPrincipalName eq '…'`
 * and `proxyAddresses/any(x:x eq 'smtp:…')` (user resource: mail "Supports $filter (eq, …)";
 * proxyAddresses "Supports $filter (eq, …)", "the any operator is required for filter expressions
 * on multi-valued properties"), joined by `or`. Values compare case-insensitively, as the directory
 * does. Anything else → 400 (the simulator's limit, not Graph's).
 */
function userFilter(expr: string): { values: string[]; test: (m: Mailbox) => boolean } | { error: string } {
  const clauses = expr.split(/\s+or\s+/i);
  const tests: Array<(m: Mailbox) => boolean> = [];
  const values: string[] = [];
  for (const clause of clauses) {
    const text = clause
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .trim();
    const eq = /^(mail|userPrincipalName)\s+eq\s+'((?:[^']|'')*)'$/i.exec(text);
    if (eq) {
      const value = (eq[2] ?? '').replace(/''/g, "'").toLowerCase();
      values.push(value);
      tests.push(
        eq[1]?.toLowerCase() === 'mail' ? (m) => m.address === value : (m) => m.userPrincipalName === value,
      );
      continue;
    }
    const any = /^proxyAddresses\/any\((\w+):\s*\1\s+eq\s+'((?:[^']|'')*)'\)$/i.exec(text);
    if (any) {
      const value = (any[2] ?? '').replace(/''/g, "'").toLowerCase();
      values.push(value.replace(/^smtp:/, ''));
      tests.push((m) => m.proxyAddresses.some((p) => p.toLowerCase() === value));
      continue;
    }
    return {
      error: `Unsupported or invalid query filter clause specified for property of resource 'User': ${text}`,
    };
  }
  return { values, test: (m) => tests.some((t) => t(m)) };
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
    {
      // user: list, with $filter (Test & Enable resolves an SMTP address this way).
      method: 'GET',
      pattern: 'users',
      handler: (ctx, _p, req) => {
        const expr = req.query.get('$filter');
        const filter = expr ? userFilter(expr) : undefined;
        if (filter && 'error' in filter) {
          return graphError(400, 'Request_UnsupportedQuery', filter.error);
        }
        const select = parseSelect(req.query.get('$select'));
        const store = ctx.deps.store;
        // Every supported clause names an address: look those up instead of scanning the tenant.
        const candidates = filter
          ? filter.values.map((v) => store.findMailbox(v)).filter((m): m is Mailbox => !!m)
          : store.mailboxes.values();
        const users = [...new Set(candidates)].filter(
          (m) => m.tenantId === ctx.claims.tid && store.isStorageMailbox(m) && (!filter || filter.test(m)),
        );
        return listPlain(
          req,
          users.map((m) => userJson(m, select)),
          'users',
        );
      },
    },
    {
      method: 'GET',
      pattern: 'users/:u',
      handler: (ctx, _p, req) => json(200, userJson(mailboxOf(ctx), parseSelect(req.query.get('$select')))),
    },
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
