import { graphError } from '../http/errors';
import type { SimResponse } from '../http/types';
import type { Item, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import { recipient } from './mail-model';
import { serializeItem } from './odata';
import type { PimKind } from './pim-model';
import { checkRecurrence, occurrenceTimes } from './recurrence';
import { inZone, instantOf } from './time-zones';

/**
 * Outlook events as Microsoft documents them (event resource type,
 * https://learn.microsoft.com/graph/api/resources/event; patternedRecurrence,
 * https://learn.microsoft.com/graph/api/resources/patternedrecurrence; "Schedule repeating
 * appointments as recurring events in Outlook", https://learn.microsoft.com/graph/outlook-schedule-recurring-events):
 *
 * - `type`: singleInstance, occurrence, exception or seriesMaster. A recurring series is a
 *   **seriesMaster** holding `recurrence` (pattern + range); its **occurrences** carry
 *   `seriesMasterId` and `originalStart`; an occurrence changed on its own becomes an
 *   **exception**; a deleted one is a cancelled occurrence and is gone from the series.
 * - `start`/`end` are stored as instants (UTC) and rendered in the caller's `Prefer:
 *   outlook.timezone` (default UTC); `originalStartTimeZone`/`originalEndTimeZone` keep the zone the
 *   event was created in — the zone its recurrence is expanded in, so a daily 09:00 meeting stays at
 *   09:00 local across a DST change.
 *
 * Occurrences are materialised as items of the calendar (up to two years ahead for a series with no
 * end, at most MAX_OCCURRENCES: recurrence.ts), so calendarView, its delta and `/events/{id}` serve them like any
 * other event. `/events` lists single instances and series masters only; calendarView the
 * occurrences, exceptions and single instances, never the master.
 */

const READ_ONLY = new Set([
  'id',
  'changeKey',
  'createdDateTime',
  'lastModifiedDateTime',
  '@odata.etag',
  '@odata.type',
  'type',
  'seriesMasterId',
  'originalStart',
  'iCalUId',
  'isOrganizer',
  'organizer',
  'responseStatus',
]);

const bad = (message: string) => graphError(400, 'ErrorInvalidRequest', message);

/** start/end (and isAllDay) of an input → instants, or a 400 naming the field. */
function times(
  input: Record<string, unknown>,
  current?: Record<string, unknown>,
): { startMs: number; endMs: number; startZone: string; endZone: string } | SimResponse | undefined {
  if (input.start === undefined && input.end === undefined) return undefined;
  const asGiven = (given: unknown, ms: unknown) => given ?? (typeof ms === 'number' ? inZone(ms) : undefined);
  const startValue = input.start ?? asGiven(current?._start, current?._startMs);
  const endValue = input.end ?? asGiven(current?._end, current?._endMs);
  const startMs = instantOf(startValue, 'start');
  if (typeof startMs !== 'number') return graphError(400, 'ErrorInvalidRequest', `${startMs.error}.`);
  const endMs = instantOf(endValue, 'end');
  if (typeof endMs !== 'number') return graphError(400, 'ErrorInvalidRequest', `${endMs.error}.`);
  if (endMs < startMs) return bad('The end of the event is before its start.');
  const zoneOf = (v: unknown) => ((v as { timeZone?: string }).timeZone || 'UTC') as string;
  return { startMs, endMs, startZone: zoneOf(startValue), endZone: zoneOf(endValue) };
}

function timeFields(
  t: { startMs: number; endMs: number; startZone: string; endZone: string },
  given: {
    start: unknown;
    end: unknown;
  },
): Record<string, unknown> {
  return {
    start: inZone(t.startMs),
    end: inZone(t.endMs),
    originalStartTimeZone: t.startZone,
    originalEndTimeZone: t.endZone,
    _startMs: t.startMs,
    _endMs: t.endMs,
    // As given (wall time + zone): what a later PATCH of only one end is combined with.
    _start: given.start,
    _end: given.end,
  };
}

function writable(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!READ_ONLY.has(k) && !k.startsWith('_')) out[k] = v;
  return out;
}

/** Normalises attendees: emailAddress required; type required by default; status none. */
function attendees(value: unknown): Array<Record<string, unknown>> | SimResponse {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return bad('attendees must be a list.');
  const out: Array<Record<string, unknown>> = [];
  for (const [i, a] of value.entries()) {
    const address = (a as { emailAddress?: { address?: unknown } })?.emailAddress?.address;
    if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(address)) {
      return bad(`attendees[${i}].emailAddress.address must be an email address.`);
    }
    const type = (a as { type?: string }).type ?? 'required';
    if (!['required', 'optional', 'resource'].includes(type)) {
      return bad(`attendees[${i}].type must be required, optional or resource.`);
    }
    const name = (a as { emailAddress?: { name?: string } }).emailAddress?.name ?? address;
    out.push({
      type,
      status: (a as { status?: unknown }).status ?? { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name, address },
    });
  }
  return out;
}

export const calendarEventKind: PimKind = {
  kind: 'event',
  containerKind: 'calendar',
  defaultContainer: 'calendar',
  context: 'users/events',
  build(store, mailbox, input) {
    if (input.start === undefined || input.end === undefined) {
      return bad('Event start and end are required.');
    }
    const t = times(input);
    if (!t || 'status' in t) return t ?? bad('Event start and end are required.');
    const recurrence = checkRecurrence(input.recurrence);
    if (recurrence && 'status' in recurrence) return recurrence;
    const people = attendees(input.attendees);
    if ('status' in people) return people;
    return {
      subject: '',
      body: { contentType: 'html', content: '' },
      bodyPreview: '',
      importance: 'normal',
      sensitivity: 'normal',
      isAllDay: false,
      isCancelled: false,
      isOrganizer: true,
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      responseRequested: true,
      showAs: 'busy',
      location: { displayName: '' },
      organizer: recipient(mailbox.address, mailbox.displayName),
      iCalUId: store.ids.next('040000008200E00074C5B7101A82E008', 112),
      categories: [],
      isOnlineMeeting: false,
      onlineMeeting: null,
      seriesMasterId: null,
      responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
      ...writable(input),
      attendees: people,
      recurrence,
      type: recurrence ? 'seriesMaster' : 'singleInstance',
      ...timeFields(t, { start: input.start, end: input.end }),
    };
  },
  patch(input) {
    const out = writable(input);
    if (input.attendees !== undefined) {
      const people = attendees(input.attendees);
      if ('status' in people) return people;
      out.attendees = people;
    }
    if (input.recurrence !== undefined) {
      const recurrence = checkRecurrence(input.recurrence);
      if (recurrence && 'status' in recurrence) return recurrence;
      out.recurrence = recurrence;
    }
    // start/end are resolved against the item by `patchTimes` (one end may be given alone).
    delete out.start;
    delete out.end;
    if (input.start !== undefined) out._startInput = input.start;
    if (input.end !== undefined) out._endInput = input.end;
    return out;
  },
};

/** Completes a validated patch with the item's new times (a PATCH may move only one end). */
export function patchTimes(
  item: Item,
  patch: Record<string, unknown>,
): Record<string, unknown> | SimResponse {
  const { _startInput, _endInput, ...rest } = patch;
  if (_startInput === undefined && _endInput === undefined) return rest;
  const t = times({ start: _startInput, end: _endInput }, item.fields);
  if (!t || 'status' in t) return t ?? rest;
  return {
    ...rest,
    ...timeFields(t, { start: _startInput ?? item.fields._start, end: _endInput ?? item.fields._end }),
  };
}

/** Whether the patch changes when the series happens (its occurrences are then generated anew). */
export function changesSchedule(patch: Record<string, unknown>): boolean {
  return '_startMs' in patch || '_endMs' in patch || 'recurrence' in patch;
}

const SERIES_COPIED = [
  'subject',
  'body',
  'bodyPreview',
  'importance',
  'sensitivity',
  'isAllDay',
  'isCancelled',
  'isOrganizer',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'responseRequested',
  'showAs',
  'location',
  'organizer',
  'iCalUId',
  'categories',
  'isOnlineMeeting',
  'onlineMeeting',
  'responseStatus',
  'attendees',
  'originalStartTimeZone',
  'originalEndTimeZone',
];

/**
 * Generates (or brings up to date) a series master's occurrences in its calendar: occurrences no
 * longer in the pattern go (their ids answer `@removed` in delta), new ones appear, kept ones
 * follow the master's properties; exceptions and cancelled occurrences are left as they are.
 */
export function materialiseSeries(store: Store, mailbox: Mailbox, master: Item): void {
  const existing = new Map<string, Item>();
  for (const item of store.itemsIn(mailbox, master.parentId)) {
    if (item.fields.seriesMasterId === master.id) existing.set(String(item.fields.originalStart), item);
  }
  const cancelled = new Set((master.fields._cancelledOccurrences as string[] | undefined) ?? []);
  const wanted = new Set<string>();
  const copied = Object.fromEntries(SERIES_COPIED.map((k) => [k, master.fields[k]]));
  for (const [s, e] of occurrenceTimes(master)) {
    const originalStart = new Date(s).toISOString().replace(/\.000Z$/, 'Z');
    if (cancelled.has(originalStart)) continue;
    wanted.add(originalStart);
    const current = existing.get(originalStart);
    const fields = {
      ...copied,
      type: 'occurrence',
      seriesMasterId: master.id,
      originalStart,
      recurrence: null,
      start: inZone(s),
      end: inZone(e),
      _startMs: s,
      _endMs: e,
    };
    if (!current) store.createItem(mailbox, 'event', master.parentId, fields);
    else if (
      current.fields.type === 'occurrence' &&
      JSON.stringify(pick(current.fields, fields)) !== JSON.stringify(fields)
    ) {
      store.updateItem(mailbox, current, fields);
    }
  }
  for (const [originalStart, item] of existing) {
    if (!wanted.has(originalStart) && item.fields.type === 'occurrence') store.deleteItem(mailbox, item);
  }
}

function pick(fields: Record<string, unknown>, like: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(like).map((k) => [k, fields[k]]));
}

/** The master and every occurrence/exception of its series go. */
export function deleteSeries(store: Store, mailbox: Mailbox, master: Item): void {
  for (const item of store.itemsIn(mailbox, master.parentId)) {
    if (item.fields.seriesMasterId === master.id) store.deleteItem(mailbox, item);
  }
  store.deleteItem(mailbox, master);
}

/** An event as Graph renders it for a caller who asked for `zone` (Prefer: outlook.timezone). */
export function renderEvent(
  item: Item,
  zone: string | undefined,
  select?: string[],
): Record<string, unknown> {
  const out = serializeItem(item, select);
  return localise(out, item.fields, zone);
}

/** Re-renders start/end of a serialised event in `zone` (all-day events keep their dates). */
export function localise(
  out: Record<string, unknown>,
  fields: Record<string, unknown>,
  zone: string | undefined,
): Record<string, unknown> {
  const name = zone ?? 'UTC';
  for (const [key, msKey, zoneKey] of [
    ['start', '_startMs', 'originalStartTimeZone'],
    ['end', '_endMs', 'originalEndTimeZone'],
  ] as const) {
    if (!(key in out) || typeof fields[msKey] !== 'number') continue;
    if (fields.isAllDay === true) {
      // An all-day event is a date, not an instant: the same dates in every zone.
      const local = inZone(fields[msKey] as number, String(fields[zoneKey] ?? 'UTC'));
      out[key] = { dateTime: local.dateTime, timeZone: name };
    } else {
      out[key] = inZone(fields[msKey] as number, name);
    }
  }
  return out;
}
