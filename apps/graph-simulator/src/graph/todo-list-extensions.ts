import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import { openExtensionJson } from './extensions';

/**
 * Open extensions on a To Do list (todoTaskList is a supported resource of open extensions:
 * "Create open extension", https://learn.microsoft.com/graph/api/opentypeextension-post-opentypeextension;
 * "Get open extension", https://learn.microsoft.com/graph/api/opentypeextension-get; "Update open
 * extension", https://learn.microsoft.com/graph/api/opentypeextension-update — for resources that
 * are not directory objects the body replaces the extension's data). Syncfleet keeps its ACT
 * ownership marker in one (docs/act-sync.md#ownership).
 */
export function todoListExtensionRoutes(): Array<Route<GraphCtx>> {
  const base = 'users/:u/todo/lists/:c/extensions';
  const listOf = (ctx: GraphCtx, c: string) => ctx.deps.store.container(mailboxOf(ctx), c, 'todoList');
  const listGone = () => graphError(404, 'ErrorItemNotFound', 'The specified list could not be found.');
  const extensionGone = () => graphError(404, 'ErrorItemNotFound', 'The specified extension was not found.');
  return [
    {
      method: 'GET',
      pattern: `${base}/:name`,
      handler: (ctx, [, c = '', name = '']) => {
        const list = listOf(ctx, c);
        if (!list) return listGone();
        const data = list.extensions?.[name];
        return data ? json(200, openExtensionJson(name, data)) : extensionGone();
      },
    },
    {
      method: 'POST',
      pattern: base,
      handler: (ctx, [, c = ''], req) => {
        const list = listOf(ctx, c);
        if (!list) return listGone();
        const { '@odata.type': type, extensionName, ...data } = asObject(req.body) ?? {};
        if (type !== 'microsoft.graph.openTypeExtension' && type !== '#microsoft.graph.openTypeExtension')
          return graphError(
            400,
            'invalidRequest',
            "'@odata.type' must be 'microsoft.graph.openTypeExtension'.",
          );
        if (typeof extensionName !== 'string' || !extensionName)
          return graphError(400, 'invalidRequest', 'extensionName is required.');
        list.extensions ??= {};
        if (list.extensions[extensionName])
          return graphError(409, 'NameAlreadyExists', 'An extension with this name already exists.');
        list.extensions[extensionName] = data;
        return json(201, openExtensionJson(extensionName, data));
      },
    },
    {
      method: 'PATCH',
      pattern: `${base}/:name`,
      handler: (ctx, [, c = '', name = ''], req) => {
        const list = listOf(ctx, c);
        if (!list) return listGone();
        if (!list.extensions?.[name]) return extensionGone();
        const { '@odata.type': _type, extensionName: _name, id: _id, ...data } = asObject(req.body) ?? {};
        list.extensions[name] = data;
        return json(200, openExtensionJson(name, data));
      },
    },
    {
      method: 'DELETE',
      pattern: `${base}/:name`,
      handler: (ctx, [, c = '', name = '']) => {
        const list = listOf(ctx, c);
        if (!list) return listGone();
        if (!list.extensions?.[name]) return extensionGone();
        delete list.extensions[name];
        return { status: 204 };
      },
    },
  ];
}
