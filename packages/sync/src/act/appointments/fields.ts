import type { ActInvitationPolicy, Appointment, AppointmentParty } from '@syncfleet/db';
import type { Direction, Fields } from '../fields';
import { instantOf, zoned } from './time';

/**
 * The synced fields of an appointment in one canonical shape for both sides (as fields.ts does for
 * contacts and tasks), so the per-field merge (merge.ts) works on appointments unchanged. Values are
 * strings (instants as ISO, flags and numbers as their text, the recurrence and the attendees as
 * canonical JSON text). Graph shape: event (https://learn.microsoft.com/graph/api/resources/event).
 *
 * `attendees` is the list Exchange holds: under `InternalOnly` the external attendees are never
 * sent, so they are not part of it (the app keeps them; see `sendableAttendees`).
 */
export const APPOINTMENT_FIELDS = [
  'subject',
  'body',
  'location',
  'start',
  'end',
  'startTimeZone',
  'endTimeZone',
  'isAllDay',
  'showAs',
  'sensitivity',
  'importance',
  'categories',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'recurrence',
  'attendees',
] as const;

export const defaultAppointmentDirections = (): Record<string, Direction> =>
  Object.fromEntries(APPOINTMENT_FIELDS.map((f) => [f, 'TwoWay' as Direction]));

const SHOW_AS = ['Free', 'Tentative', 'Busy', 'Oof', 'WorkingElsewhere', 'Unknown'] as const;
const SENSITIVITY = ['Normal', 'Personal', 'Private', 'Confidential'] as const;
const IMPORTANCE = ['Low', 'Normal', 'High'] as const;
const RESPONSES = [
  'None',
  'Organizer',
  'TentativelyAccepted',
  'Accepted',
  'Declined',
  'NotResponded',
] as const;

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
function fromGraphEnum<T extends string>(values: readonly T[], v: unknown, fallback: T): T {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  return values.find((x) => x.toLowerCase() === s) ?? fallback;
}
export const responseFromGraph = (v: unknown) => fromGraphEnum(RESPONSES, v, 'None');

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Canonical JSON text: keys sorted, absent/null properties dropped. */
function canonical(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x as object)
              .filter(
                (k) =>
                  (x as Record<string, unknown>)[k] !== null &&
                  (x as Record<string, unknown>)[k] !== undefined,
              )
              .sort()
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

/** The recurrence as both sides compare it (range's optional parts normalised). */
export function canonicalRecurrence(r: unknown): string | null {
  if (!r || typeof r !== 'object') return null;
  const { pattern, range } = r as { pattern?: Record<string, unknown>; range?: Record<string, unknown> };
  if (!pattern || !range) return null;
  const p: Record<string, unknown> = { type: pattern.type, interval: pattern.interval };
  if (Array.isArray(pattern.daysOfWeek) && pattern.daysOfWeek.length) p.daysOfWeek = pattern.daysOfWeek;
  if (pattern.dayOfMonth) p.dayOfMonth = pattern.dayOfMonth;
  if (pattern.month) p.month = pattern.month;
  if (pattern.index && String(pattern.type).startsWith('relative')) p.index = pattern.index;
  const rg: Record<string, unknown> = { type: range.type, startDate: range.startDate };
  if (range.type === 'endDate') rg.endDate = range.endDate;
  if (range.type === 'numbered') rg.numberOfOccurrences = range.numberOfOccurrences;
  return canonical({ pattern: p, range: rg });
}

export interface AttendeeEntry {
  address: string;
  type: 'required' | 'optional' | 'resource';
}

const attendeesText = (list: AttendeeEntry[]) =>
  JSON.stringify([...list].sort((a, b) => a.address.localeCompare(b.address)));

/**
 * The attendees the invitation policy sends to Exchange (docs/act-sync.md#invitations): `All` —
 * every attendee; `InternalOnly` — attendees who are synced mailboxes of this deployment (matched
 * by address to a Mailbox); `None` — nobody (the meeting is written without attendees).
 */
export function sendableAttendees(parties: AppointmentParty[], policy: ActInvitationPolicy): AttendeeEntry[] {
  if (policy === 'None') return [];
  return parties
    .filter((p) => p.role !== 'Organizer' && (policy === 'All' || p.mailboxId !== null))
    .map((p) => ({ address: p.address, type: p.role.toLowerCase() as AttendeeEntry['type'] }));
}

export function appointmentFromApp(
  a: Appointment,
  parties: AppointmentParty[],
  policy: ActInvitationPolicy,
): Fields {
  return {
    subject: a.subject,
    body: a.body ?? null,
    location: a.location ?? null,
    start: a.startAt.toISOString(),
    end: a.endAt.toISOString(),
    startTimeZone: a.startTimeZone,
    endTimeZone: a.endTimeZone,
    isAllDay: String(a.isAllDay),
    showAs: a.showAs,
    sensitivity: a.sensitivity,
    importance: a.importance,
    categories: [...((a.categories as string[]) ?? [])],
    isReminderOn: String(a.isReminderOn),
    reminderMinutesBeforeStart: String(a.reminderMinutesBeforeStart),
    recurrence: canonicalRecurrence(a.recurrence),
    attendees: attendeesText(sendableAttendees(parties, policy)),
  };
}

/** The instant of a Graph start/end (UTC by default; all-day: dates of the event's own zone). */
function graphInstant(v: unknown, isAllDay: boolean, zone: unknown): string | null {
  const t = v as { dateTime?: string; timeZone?: string } | undefined;
  if (!t?.dateTime) return null;
  const at = instantOf({
    dateTime: t.dateTime.replace(/(\.\d{3})\d+$/, '$1'),
    timeZone: isAllDay && typeof zone === 'string' ? zone : (t.timeZone ?? 'UTC'),
  });
  return at instanceof Date ? at.toISOString() : null;
}

export function graphAttendees(
  item: Record<string, unknown>,
): Array<AttendeeEntry & { name: string | null; response: (typeof RESPONSES)[number]; time: string | null }> {
  const list = (item.attendees as Array<Record<string, unknown>> | undefined) ?? [];
  return list.flatMap((a) => {
    const email = a.emailAddress as { address?: string; name?: string } | undefined;
    if (!email?.address) return [];
    const status = a.status as { response?: string; time?: string } | undefined;
    const type = ['required', 'optional', 'resource'].includes(String(a.type))
      ? (a.type as AttendeeEntry['type'])
      : 'required';
    return [
      {
        address: email.address.toLowerCase(),
        type,
        name: str(email.name),
        response: responseFromGraph(status?.response),
        time: status?.time && !status.time.startsWith('0001') ? status.time : null,
      },
    ];
  });
}

export function eventFromGraph(item: Record<string, unknown>): Fields {
  const isAllDay = item.isAllDay === true;
  const body = item.body as { content?: string } | undefined;
  const location = item.location as { displayName?: string } | undefined;
  return {
    subject: str(item.subject) ?? '',
    body: str(body?.content),
    location: str(location?.displayName),
    start: graphInstant(item.start, isAllDay, item.originalStartTimeZone),
    end: graphInstant(item.end, isAllDay, item.originalEndTimeZone ?? item.originalStartTimeZone),
    startTimeZone: str(item.originalStartTimeZone) ?? 'UTC',
    endTimeZone: str(item.originalEndTimeZone) ?? str(item.originalStartTimeZone) ?? 'UTC',
    isAllDay: String(isAllDay),
    showAs: fromGraphEnum(SHOW_AS, item.showAs, 'Busy'),
    sensitivity: fromGraphEnum(SENSITIVITY, item.sensitivity, 'Normal'),
    importance: fromGraphEnum(IMPORTANCE, item.importance, 'Normal'),
    categories: Array.isArray(item.categories) ? item.categories.filter((c) => typeof c === 'string') : [],
    isReminderOn: String(item.isReminderOn !== false),
    reminderMinutesBeforeStart: String(
      typeof item.reminderMinutesBeforeStart === 'number' ? item.reminderMinutesBeforeStart : 15,
    ),
    recurrence: canonicalRecurrence(item.recurrence),
    attendees: attendeesText(graphAttendees(item).map(({ address, type }) => ({ address, type }))),
  };
}

/** An instant written as wall time of its own zone, so Exchange keeps the organizer's zone. */
function toZone(instant: string, zone: string) {
  return zoned(new Date(instant), zone);
}

/** The event properties of the given canonical fields (only those), for POST or PATCH. */
export function eventToGraph(f: Fields, keys: readonly string[], allFields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const has = (k: string) => keys.includes(k);
  if (has('subject')) out.subject = f.subject ?? '';
  if (has('body')) out.body = { contentType: 'text', content: f.body ?? '' };
  if (has('location')) out.location = { displayName: f.location ?? '' };
  // Times go together with their zones: UTC instants (exact) and the zone the event keeps
  // (originalStartTimeZone is set from the zone given with start; written as the zone itself).
  if (has('start') || has('startTimeZone') || has('isAllDay') || has('end') || has('endTimeZone')) {
    out.start = toZone(String(allFields.start), String(allFields.startTimeZone ?? 'UTC'));
    out.end = toZone(String(allFields.end), String(allFields.endTimeZone ?? 'UTC'));
    out.isAllDay = allFields.isAllDay === 'true';
  }
  if (has('showAs')) out.showAs = lowerFirst(String(f.showAs ?? 'Busy'));
  if (has('sensitivity')) out.sensitivity = lowerFirst(String(f.sensitivity ?? 'Normal'));
  if (has('importance')) out.importance = lowerFirst(String(f.importance ?? 'Normal'));
  if (has('categories')) out.categories = f.categories ?? [];
  if (has('isReminderOn')) out.isReminderOn = f.isReminderOn !== 'false';
  if (has('reminderMinutesBeforeStart'))
    out.reminderMinutesBeforeStart = Number(f.reminderMinutesBeforeStart ?? 15);
  if (has('recurrence')) out.recurrence = f.recurrence ? JSON.parse(String(f.recurrence)) : null;
  if (has('attendees'))
    out.attendees = (JSON.parse(String(f.attendees ?? '[]')) as AttendeeEntry[]).map((a) => ({
      type: a.type,
      emailAddress: { address: a.address },
    }));
  return out;
}
