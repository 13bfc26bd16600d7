import type { TokenClaims } from '../auth/tokens';
import { createEvent, deleteEvent, eventAction, eventOf, updateEvent } from '../graph/calendar-routes';
import type { GraphCtx } from '../graph/context';
import { itemNotFound } from '../graph/message-routes';
import type { Route } from '../http/router';
import type { SimResponse } from '../http/types';
import type { SimCore } from '../sim';
import { adminError } from './respond';

/**
 * The user's own Outlook changes to their calendar (`/_sim/mailboxes/{m}/events…`): the same event
 * logic as Graph's routes — recurrence, time zones, and meeting messages to attendees when the user
 * organizes a meeting, responses when they answer one (calendar-routes.ts, meetings.ts).
 */
export function calendarAdminRoutes(): Array<Route<SimCore>> {
  const asUser = (sim: SimCore, key: string): GraphCtx | SimResponse => {
    const mailbox = sim.store.findMailbox(key);
    if (!mailbox || !sim.store.isStorageMailbox(mailbox)) {
      return adminError(404, `mailbox '${key}' not found`, 'mailbox');
    }
    const claims: TokenClaims = { tid: mailbox.tenantId, appid: 'outlook', iat: 0, exp: 0 };
    return { deps: sim, claims, mailbox };
  };
  const isCtx = (v: GraphCtx | SimResponse): v is GraphCtx => 'deps' in v;
  return [
    {
      method: 'POST',
      pattern: 'mailboxes/:m/events',
      handler: (sim, [m = ''], req) => {
        const ctx = asUser(sim, m);
        return isCtx(ctx) ? createEvent(ctx, req) : ctx;
      },
    },
    {
      method: 'PATCH',
      pattern: 'mailboxes/:m/events/:id',
      handler: (sim, [m = '', id = ''], req) => {
        const ctx = asUser(sim, m);
        if (!isCtx(ctx)) return ctx;
        const item = eventOf(ctx, id);
        return item ? updateEvent(ctx, item, req) : itemNotFound();
      },
    },
    {
      method: 'DELETE',
      pattern: 'mailboxes/:m/events/:id',
      handler: (sim, [m = '', id = ''], req) => {
        const ctx = asUser(sim, m);
        if (!isCtx(ctx)) return ctx;
        const item = eventOf(ctx, id);
        return item ? deleteEvent(ctx, item, req) : itemNotFound();
      },
    },
    {
      method: 'POST',
      pattern: 'mailboxes/:m/events/:id/:action',
      handler: (sim, [m = '', id = '', action = ''], req) => {
        const ctx = asUser(sim, m);
        return isCtx(ctx) ? eventAction(ctx, id, action, req) : ctx;
      },
    },
  ];
}
