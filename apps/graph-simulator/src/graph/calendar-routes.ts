import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import type { Item, Mailbox } from '../store/model';
import {
  calendarEventKind,
  changesSchedule,
  deleteSeries,
  localise,
  materialiseSeries,
  patchTimes,
  renderEvent,
} from './calendar-model';
import type { GraphCtx } from './context';
import { asObject, json, mailboxOf } from './context';
import { ifMatchFails, listItems } from './listing';
import {
  respond,
  sendCancellation,
  sendMeetingRequests,
  sendOccurrenceChange,
  type MeetingResponse,
} from './meetings';
import { itemNotFound } from './message-routes';
import { parseSelect } from './odata';
import { isErrorResponse } from './pim-model';
import { preferredTimeZone } from './time-zones';

/**
 * Calendar routes (event: list/create/get/update/delete, event: instances, calendarView, event:
 * delta on calendarView, accept/tentativelyAccept/decline/cancel — learn.microsoft.com/graph/api/
 * user-list-events, user-post-events, event-get, event-update, event-delete, event-list-instances,
 * user-list-calendarview, event-delta, event-accept, event-decline, event-tentativelyaccept,
 * event-cancel). Time zones and recurrence: calendar-model.ts; meeting messages: meetings.ts.
 *
 * `Prefer: outlook.timezone="…"` renders start/end in that zone (Windows or IANA name) and is
 * echoed in `Preference-Applied`; without it they come in UTC ("By default, the start and end
 * times are returned in UTC", user-list-events "Support various time zones").
 */

const containerNotFound = () =>
  graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');
const badRequest = (message: string) => graphError(400, 'ErrorInvalidRequest', message);

function calendarOf(ctx: GraphCtx) {
  return ctx.deps.store.container(mailboxOf(ctx), 'calendar', 'calendar');
}

export function eventOf(ctx: GraphCtx, id: string): Item | undefined {
  const item = ctx.deps.store.dataOf(mailboxOf(ctx)).items.get(id);
  return item && item.kind === 'event' ? item : undefined;
}

const meetingDeps = (ctx: GraphCtx) => ({ store: ctx.deps.store, deliveries: ctx.deps.deliveries });

/** Adds `Preference-Applied: outlook.timezone="…"` when the caller asked for a zone we apply. */
function withZone(res: SimResponse, zone: string | undefined): SimResponse {
  if (!zone) return res;
  const applied = res.headers?.['preference-applied'];
  const tz = `outlook.timezone="${zone}"`;
  res.headers = { ...res.headers, 'preference-applied': applied ? `${applied}, ${tz}` : tz };
  return res;
}

/** Renders every event of a list/delta body in the caller's zone (`@removed` entries as they are). */
function localiseBody(
  res: SimResponse,
  mailbox: Mailbox,
  ctx: GraphCtx,
  zone: string | undefined,
): SimResponse {
  const body = res.body as { value?: Array<Record<string, unknown>> } | undefined;
  if (res.status !== 200 || !Array.isArray(body?.value)) return withZone(res, zone);
  const items = ctx.deps.store.dataOf(mailbox).items;
  body.value = body.value.map((entry) => {
    const item = typeof entry.id === 'string' ? items.get(entry.id) : undefined;
    return item && !entry['@removed'] ? localise(entry, item.fields, zone) : entry;
  });
  return withZone(res, zone);
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

const overlaps = (item: Item, [from, to]: [number, number]) =>
  Number(item.fields._startMs) < to && Number(item.fields._endMs) > from;

/** What calendarView (and its delta) shows: occurrences, exceptions and single instances. */
const inView = (item: Item) => item.fields.type !== 'seriesMaster';

const attendeeAddresses = (item: Item) =>
  ((item.fields.attendees as Array<{ emailAddress: { address: string } }> | undefined) ?? []).map((a) =>
    a.emailAddress.address.toLowerCase(),
  );

/** Organizer-side effects of a created or changed meeting (single instance or series master). */
function afterOrganizerChange(ctx: GraphCtx, item: Item, before?: string[]): void {
  if (item.fields.isOrganizer !== true) return;
  const now = attendeeAddresses(item);
  const removed = (before ?? []).filter((a) => !now.includes(a));
  if (now.length > 0 || removed.length > 0)
    sendMeetingRequests(meetingDeps(ctx), mailboxOf(ctx), item, removed);
}

export function createEvent(ctx: GraphCtx, req: SimRequest): SimResponse {
  const calendar = calendarOf(ctx);
  const input = asObject(req.body);
  if (!calendar) return containerNotFound();
  if (!input) return badRequest('The request body must be a JSON object.');
  const mailbox = mailboxOf(ctx);
  const fields = calendarEventKind.build(ctx.deps.store, mailbox, input);
  if (isErrorResponse(fields)) return fields;
  const item = ctx.deps.store.createItem(mailbox, 'event', calendar.id, fields as Record<string, unknown>);
  if (item.fields.type === 'seriesMaster') materialiseSeries(ctx.deps.store, mailbox, item);
  afterOrganizerChange(ctx, item);
  const zone = preferredTimeZone(req.headers.prefer);
  return withZone(json(201, renderEvent(item, zone)), zone);
}

export function updateEvent(ctx: GraphCtx, item: Item, req: SimRequest): SimResponse {
  const conflict = ifMatchFails(req, item);
  if (conflict) return conflict;
  const input = asObject(req.body);
  if (!input) return badRequest('The request body must be a JSON object.');
  const validated = calendarEventKind.patch(input);
  if (isErrorResponse(validated)) return validated;
  const patch = patchTimes(item, validated as Record<string, unknown>);
  if (isErrorResponse(patch)) return patch;
  if (item.fields.type !== 'seriesMaster' && 'recurrence' in patch && patch.recurrence) {
    if (item.fields.type !== 'singleInstance') return badRequest('An occurrence cannot have a recurrence.');
    patch.type = 'seriesMaster';
  }
  // An occurrence changed on its own becomes an exception (event resource, type).
  if (item.fields.type === 'occurrence') patch.type = 'exception';
  const mailbox = mailboxOf(ctx);
  const before = attendeeAddresses(item);
  ctx.deps.store.updateItem(mailbox, item, patch);
  if (item.fields.type === 'seriesMaster') {
    if (changesSchedule(patch) || Object.keys(patch).length > 0)
      materialiseSeries(ctx.deps.store, mailbox, item);
  }
  if (item.fields.type === 'singleInstance' || item.fields.type === 'seriesMaster') {
    afterOrganizerChange(ctx, item, before);
  } else if (item.fields.isOrganizer === true) {
    const master = ctx.deps.store.dataOf(mailbox).items.get(String(item.fields.seriesMasterId));
    if (master) sendOccurrenceChange(meetingDeps(ctx), mailbox, master, item, false);
  }
  const zone = preferredTimeZone(req.headers.prefer);
  return withZone(json(200, renderEvent(item, zone)), zone);
}

/** Deletes an event; an occurrence becomes a cancelled occurrence of its series. */
export function deleteEvent(ctx: GraphCtx, item: Item, req: SimRequest, comment?: string): SimResponse {
  const conflict = ifMatchFails(req, item);
  if (conflict) return conflict;
  const mailbox = mailboxOf(ctx);
  const store = ctx.deps.store;
  if (item.fields.type === 'occurrence' || item.fields.type === 'exception') {
    const master = store.dataOf(mailbox).items.get(String(item.fields.seriesMasterId));
    if (master) {
      if (item.fields.isOrganizer === true)
        sendOccurrenceChange(meetingDeps(ctx), mailbox, master, item, true);
      const cancelled = [...((master.fields._cancelledOccurrences as string[] | undefined) ?? [])];
      cancelled.push(String(item.fields.originalStart));
      master.fields._cancelledOccurrences = cancelled;
    }
    store.deleteItem(mailbox, item);
    return { status: 204 };
  }
  // "event: delete": a meeting deleted by its organizer is cancelled for its attendees.
  if (item.fields.isOrganizer === true && attendeeAddresses(item).length > 0) {
    sendCancellation(meetingDeps(ctx), mailbox, item, undefined, comment);
  }
  if (item.fields.type === 'seriesMaster') deleteSeries(store, mailbox, item);
  else store.deleteItem(mailbox, item);
  return { status: 204 };
}

const RESPONSES: Record<string, MeetingResponse> = {
  accept: 'accepted',
  tentativelyaccept: 'tentativelyAccepted',
  decline: 'declined',
};

/**
 * event: cancel (organizer only: attendees get a cancellation, the event goes) and event: accept /
 * tentativelyAccept / decline (attendees only; `sendResponse` default true) — 202 Accepted.
 */
export function eventAction(ctx: GraphCtx, id: string, action: string, req: SimRequest): SimResponse {
  const item = eventOf(ctx, id);
  const name = action.toLowerCase();
  const response = RESPONSES[name];
  if (name !== 'cancel' && !response) {
    return graphError(400, 'BadRequest', `Resource not found for the segment '${action}'.`);
  }
  if (!item) return itemNotFound();
  const body = asObject(req.body) ?? {};
  const comment = typeof body.comment === 'string' ? body.comment : undefined;
  if (!response) {
    if (item.fields.isOrganizer !== true) {
      return badRequest("Your request can't be completed. You need to be an organizer to cancel a meeting.");
    }
    const res = deleteEvent(ctx, item, req, comment);
    return res.status === 204 ? { status: 202 } : res;
  }
  if (item.fields.isOrganizer === true) {
    return badRequest("Your request can't be completed. You can't respond to a meeting you organized.");
  }
  respond(meetingDeps(ctx), mailboxOf(ctx), item, response, body.sendResponse !== false, comment);
  return { status: 202 };
}

function collectionRoutes(collection: string): Array<Route<GraphCtx>> {
  return [
    {
      // user: list events — single instances and series masters (not occurrences or exceptions).
      method: 'GET',
      pattern: collection,
      handler: (ctx, _p, req) => {
        const calendar = calendarOf(ctx);
        if (!calendar) return containerNotFound();
        const mailbox = mailboxOf(ctx);
        const items = ctx.deps.store
          .itemsIn(mailbox, calendar.id)
          .filter((i) => i.fields.type === 'singleInstance' || i.fields.type === 'seriesMaster');
        const zone = preferredTimeZone(req.headers.prefer);
        return localiseBody(listItems(req, items, { context: 'users/events' }), mailbox, ctx, zone);
      },
    },
    { method: 'POST', pattern: collection, handler: (ctx, _p, req) => createEvent(ctx, req) },
    {
      method: 'GET',
      pattern: `${collection}/:id`,
      handler: (ctx, [, id = ''], req) => {
        const item = eventOf(ctx, id);
        if (!item) return itemNotFound();
        const zone = preferredTimeZone(req.headers.prefer);
        return withZone(json(200, renderEvent(item, zone, parseSelect(req.query.get('$select')))), zone);
      },
    },
    {
      method: 'PATCH',
      pattern: `${collection}/:id`,
      handler: (ctx, [, id = ''], req) => {
        const item = eventOf(ctx, id);
        return item ? updateEvent(ctx, item, req) : itemNotFound();
      },
    },
    {
      method: 'DELETE',
      pattern: `${collection}/:id`,
      handler: (ctx, [, id = ''], req) => {
        const item = eventOf(ctx, id);
        return item ? deleteEvent(ctx, item, req) : itemNotFound();
      },
    },
    {
      // event: list instances — the occurrences and exceptions of a series in a window.
      method: 'GET',
      pattern: `${collection}/:id/instances`,
      handler: (ctx, [, id = ''], req) => {
        const master = eventOf(ctx, id);
        if (!master || master.fields.type !== 'seriesMaster') return itemNotFound();
        const w = window(req);
        if (!Array.isArray(w)) return w;
        const mailbox = mailboxOf(ctx);
        const items = ctx.deps.store
          .itemsIn(mailbox, master.parentId)
          .filter((i) => i.fields.seriesMasterId === master.id && overlaps(i, w))
          .sort((a, b) => Number(a.fields._startMs) - Number(b.fields._startMs));
        const zone = preferredTimeZone(req.headers.prefer);
        return localiseBody(listItems(req, items, { context: 'users/events' }), mailbox, ctx, zone);
      },
    },
    {
      method: 'POST',
      pattern: `${collection}/:id/:action`,
      handler: (ctx, [, id = '', action = ''], req) => eventAction(ctx, id, action, req),
    },
  ];
}

export function calendarRoutes(): Array<Route<GraphCtx>> {
  return [
    ...collectionRoutes('users/:u/events'),
    ...collectionRoutes('users/:u/calendar/events'),
    {
      // user: list calendarView — occurrences, exceptions and single instances in the window.
      method: 'GET',
      pattern: 'users/:u/calendarView',
      handler: (ctx, _p, req) => {
        const w = window(req);
        if (!Array.isArray(w)) return w;
        const calendar = calendarOf(ctx);
        const mailbox = mailboxOf(ctx);
        const items = calendar ? ctx.deps.store.itemsIn(mailbox, calendar.id) : [];
        const inside = items
          .filter((i) => inView(i) && overlaps(i, w))
          .sort((a, b) => Number(a.fields._startMs) - Number(b.fields._startMs));
        const zone = preferredTimeZone(req.headers.prefer);
        return localiseBody(listItems(req, inside, { context: 'users/calendarView' }), mailbox, ctx, zone);
      },
    },
    {
      // event: delta on calendarView — the window's occurrences, exceptions and single instances;
      // no $select/$filter/$orderby (event: delta); what leaves the window comes as @removed.
      method: 'GET',
      pattern: 'users/:u/calendarView/delta',
      handler: (ctx, _p, req) => {
        const mailbox = mailboxOf(ctx);
        const zone = preferredTimeZone(req.headers.prefer);
        const res = ctx.deps.delta.handle(req, mailbox, () => {
          const calendar = calendarOf(ctx);
          if (!calendar) return containerNotFound();
          const w = window(req);
          if (!Array.isArray(w)) return w;
          return {
            mailboxId: mailbox.id,
            kind: 'event',
            parentId: calendar.id,
            window: w,
            filter: inView,
            pathBase: req.path.slice('/v1.0'.length),
          };
        });
        return localiseBody(res, mailbox, ctx, zone);
      },
    },
  ];
}
