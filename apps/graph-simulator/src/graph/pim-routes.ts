import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import type { Container } from '../store/model';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import { expansionOf, extendedPropertyFilter } from './extensions';
import { ifMatchFails, listItems, listPlain } from './listing';
import { itemNotFound } from './message-routes';
import { parseSelect, serializeItem } from './odata';
import type { PimKind } from './pim-model';
import { contactKind, isErrorResponse, taskKind } from './pim-model';

const containerNotFound = () =>
  graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');

/** CRUD for events, contacts and To Do tasks under a collection path; `:c` (if present) names the container. */
function crud(kind: PimKind, collection: string, containerParam: boolean): Array<Route<GraphCtx>> {
  const containerOf = (ctx: GraphCtx, params: string[]): Container | undefined =>
    ctx.deps.store.container(
      mailboxOf(ctx),
      containerParam ? (params[1] ?? '') : kind.defaultContainer,
      kind.containerKind,
    );
  const itemOf = (ctx: GraphCtx, params: string[]) => {
    const container = containerOf(ctx, params);
    const id = params[containerParam ? 2 : 1] ?? '';
    const item = ctx.deps.store.dataOf(mailboxOf(ctx)).items.get(id);
    return item && item.kind === kind.kind && (!containerParam || item.parentId === container?.id)
      ? item
      : undefined;
  };
  const body = (req: SimRequest) => asObject(req.body);

  return [
    {
      method: 'GET',
      pattern: collection,
      handler: (ctx, params, req) => {
        const container = containerOf(ctx, params);
        if (!container) return containerNotFound();
        let items = ctx.deps.store.itemsIn(mailboxOf(ctx), container.id);
        // Extended-property filters (extensions.ts) are applied here; other filters by listItems.
        const byProperty = extendedPropertyFilter(req.query.get('$filter'));
        if (byProperty) items = items.filter(byProperty);
        const query = new URLSearchParams(req.query);
        if (byProperty) query.delete('$filter');
        return listItems({ ...req, query }, items, {
          context: kind.context,
          expand: expansionOf(req.query.get('$expand')),
        });
      },
    },
    {
      method: 'POST',
      pattern: collection,
      handler: (ctx, params, req) => {
        const container = containerOf(ctx, params);
        const input = body(req);
        if (!container) return containerNotFound();
        if (!input) return graphError(400, 'ErrorInvalidRequest', 'The request body must be a JSON object.');
        const fields = kind.build(ctx.deps.store, mailboxOf(ctx), input);
        if (isErrorResponse(fields)) return fields;
        const item = ctx.deps.store.createItem(
          mailboxOf(ctx),
          kind.kind,
          container.id,
          fields as Record<string, unknown>,
        );
        return json(201, serializeItem(item));
      },
    },
    {
      method: 'GET',
      pattern: `${collection}/:id`,
      handler: (ctx, params, req) => {
        const item = itemOf(ctx, params);
        if (!item) return itemNotFound();
        const out = serializeItem(item, parseSelect(req.query.get('$select')));
        expansionOf(req.query.get('$expand'))?.(item, out);
        return json(200, out);
      },
    },
    {
      method: 'PATCH',
      pattern: `${collection}/:id`,
      handler: (ctx, params, req) => {
        const item = itemOf(ctx, params);
        if (!item) return itemNotFound();
        const conflict = ifMatchFails(req, item);
        if (conflict) return conflict;
        const input = body(req);
        if (!input) return graphError(400, 'ErrorInvalidRequest', 'The request body must be a JSON object.');
        const patch = kind.patch(input, item);
        if (isErrorResponse(patch)) return patch;
        ctx.deps.store.updateItem(mailboxOf(ctx), item, patch as Record<string, unknown>);
        return json(200, serializeItem(item));
      },
    },
    {
      method: 'DELETE',
      pattern: `${collection}/:id`,
      handler: (ctx, params, req) => {
        const item = itemOf(ctx, params);
        if (!item) return itemNotFound();
        const conflict = ifMatchFails(req, item);
        if (conflict) return conflict;
        ctx.deps.store.deleteItem(mailboxOf(ctx), item);
        return { status: 204 };
      },
    },
  ];
}

function containerJson(c: Container): Record<string, unknown> {
  if (c.kind === 'todoList') {
    return {
      '@odata.etag': `W/"${c.changeKey}"`,
      id: c.id,
      displayName: c.displayName,
      isOwner: true,
      isShared: false,
      wellknownListName: c.wellKnownName === 'defaultList' ? 'defaultList' : 'none',
    };
  }
  return { id: c.id, displayName: c.displayName, parentFolderId: c.parentId ?? null, changeKey: c.changeKey };
}

function window(req: SimRequest): [number, number] | SimResponse {
  const start = Date.parse(req.query.get('startDateTime') ?? '');
  const end = Date.parse(req.query.get('endDateTime') ?? '');
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return graphError(
      400,
      'ErrorInvalidParameter',
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
    );
  }
  return [start, end];
}

function containers(kind: PimKind, pattern: string): Array<Route<GraphCtx>> {
  return [
    {
      method: 'GET',
      pattern,
      handler: (ctx, _p, req) => {
        const all = [...ctx.deps.store.dataOf(mailboxOf(ctx)).containers.values()];
        return listPlain(req, all.filter((c) => c.kind === kind.containerKind).map(containerJson), pattern);
      },
    },
    {
      method: 'POST',
      pattern,
      handler: (ctx, _p, req) => {
        const name = asObject(req.body)?.displayName;
        if (typeof name !== 'string' || !name)
          return graphError(400, 'ErrorInvalidRequest', 'displayName is required.');
        return json(
          201,
          containerJson(ctx.deps.store.newContainer(mailboxOf(ctx), kind.containerKind, name)),
        );
      },
    },
    {
      method: 'GET',
      pattern: `${pattern}/:c`,
      handler: (ctx, [, c = '']) => {
        const found = ctx.deps.store.container(mailboxOf(ctx), c, kind.containerKind);
        return found ? json(200, containerJson(found)) : containerNotFound();
      },
    },
  ];
}

function deltaRoute(kind: PimKind, pattern: string, windowed: boolean): Route<GraphCtx> {
  return {
    method: 'GET',
    pattern,
    handler: (ctx, params, req) => {
      const mailbox = mailboxOf(ctx);
      return ctx.deps.delta.handle(req, mailbox, () => {
        const container = ctx.deps.store.container(
          mailbox,
          windowed ? kind.defaultContainer : (params[1] ?? ''),
          kind.containerKind,
        );
        if (!container) return containerNotFound();
        const w = windowed ? window(req) : undefined;
        if (w && !Array.isArray(w)) return w;
        return {
          mailboxId: mailbox.id,
          kind: kind.kind,
          parentId: container.id,
          window: w,
          // calendarView delta supports no $select (event: delta); contacts and tasks do.
          select: windowed ? undefined : parseSelect(req.query.get('$select')),
          expand: windowed ? undefined : expansionOf(req.query.get('$expand')),
          pathBase: req.path.slice('/v1.0'.length),
        };
      });
    },
  };
}

export function pimRoutes(): Array<Route<GraphCtx>> {
  return [
    // Events, calendarView and its delta: calendar-routes.ts.
    ...containers(contactKind, 'users/:u/contactFolders'),
    ...crud(contactKind, 'users/:u/contacts', false),
    ...crud(contactKind, 'users/:u/contactFolders/:c/contacts', true),
    deltaRoute(contactKind, 'users/:u/contactFolders/:c/contacts/delta', false),
    ...containers(taskKind, 'users/:u/todo/lists'),
    ...crud(taskKind, 'users/:u/todo/lists/:c/tasks', true),
    deltaRoute(taskKind, 'users/:u/todo/lists/:c/tasks/delta', false),
  ];
}
