import type { Route } from '../http/router';
import { graphError } from '../http/errors';
import type { GraphCtx } from './context';
import { asObject } from './context';

export function subscriptionRoutes(): Array<Route<GraphCtx>> {
  const bodyOf = (body: unknown) => asObject(body);
  return [
    {
      method: 'POST',
      pattern: 'subscriptions',
      handler: (ctx, _p, req) => {
        const body = bodyOf(req.body);
        return body
          ? ctx.deps.subscriptions.create(body, ctx.claims)
          : graphError(400, 'InvalidRequest', 'Body required.');
      },
    },
    { method: 'GET', pattern: 'subscriptions', handler: (ctx) => ctx.deps.subscriptions.list(ctx.claims) },
    {
      method: 'GET',
      pattern: 'subscriptions/:id',
      handler: (ctx, [id = '']) => ctx.deps.subscriptions.get(id, ctx.claims),
    },
    {
      method: 'PATCH',
      pattern: 'subscriptions/:id',
      handler: (ctx, [id = ''], req) => ctx.deps.subscriptions.renew(id, bodyOf(req.body) ?? {}, ctx.claims),
    },
    {
      method: 'POST',
      pattern: 'subscriptions/:id/reauthorize',
      handler: (ctx, [id = '']) => ctx.deps.subscriptions.reauthorize(id, ctx.claims),
    },
    {
      method: 'DELETE',
      pattern: 'subscriptions/:id',
      handler: (ctx, [id = '']) => ctx.deps.subscriptions.remove(id, ctx.claims),
    },
  ];
}
