import { z } from 'zod';
import { actOwnerSchema } from './act-schemas';

/**
 * Request schemas of `/api/appointments` (ACT appointments: docs/act-sync.md#appointments). Shapes
 * follow Graph's event resource so an application can pass what Outlook shows:
 * - start/end are dateTimeTimeZone: wall-clock `dateTime` in `timeZone` (a Windows name such as
 *   "Pacific Standard Time" or an IANA name), https://learn.microsoft.com/graph/api/resources/datetimetimezone
 * - recurrence is patternedRecurrence, https://learn.microsoft.com/graph/api/resources/patternedrecurrence
 *   (recurrencePattern / recurrenceRange pages list the properties each type requires; the package
 *   checks those and answers 400 naming the property).
 * Online-meeting properties and response statuses are read-only here: Exchange owns them.
 */

const text = (max: number) => z.string().max(max);
const optionalText = (max: number) => text(max).nullable().optional();
const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time (2024-01-31T09:00:00Z)',
});
const zonedTime = z.strictObject({
  dateTime: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?([zZ]|[+-]\d{2}:?\d{2})?$/, {
    error: 'must be an ISO-8601 date and time (2026-03-08T09:00:00)',
  }),
  timeZone: z.string().trim().min(1).max(100).optional(),
});
const party = z.strictObject({
  address: z.email({ error: 'must be a valid email address' }).max(320),
  name: optionalText(256),
});
const attendee = party.extend({ type: z.enum(['required', 'optional', 'resource']).optional() });
const day = z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']);
const date = z.iso.date({ error: 'must be a date (2026-03-08)' });

export const recurrenceSchema = z.strictObject({
  pattern: z.strictObject({
    type: z.enum([
      'daily',
      'weekly',
      'absoluteMonthly',
      'relativeMonthly',
      'absoluteYearly',
      'relativeYearly',
    ]),
    interval: z.number().int().min(1).max(999),
    daysOfWeek: z.array(day).min(1).max(7).optional(),
    dayOfMonth: z.number().int().min(1).max(31).optional(),
    month: z.number().int().min(1).max(12).optional(),
    index: z.enum(['first', 'second', 'third', 'fourth', 'last']).optional(),
    firstDayOfWeek: day.optional(),
  }),
  range: z.strictObject({
    type: z.enum(['endDate', 'noEnd', 'numbered']),
    startDate: date,
    endDate: date.optional(),
    numberOfOccurrences: z.number().int().min(1).max(999).optional(),
    recurrenceTimeZone: z.string().trim().min(1).max(100).optional(),
  }),
});

const appointmentFields = {
  body: optionalText(100_000),
  location: optionalText(512),
  isAllDay: z.boolean().optional(),
  showAs: z.enum(['Free', 'Tentative', 'Busy', 'Oof', 'WorkingElsewhere', 'Unknown']).optional(),
  sensitivity: z.enum(['Normal', 'Personal', 'Private', 'Confidential']).optional(),
  importance: z.enum(['Low', 'Normal', 'High']).optional(),
  categories: z.array(z.string().trim().min(1).max(255)).max(50).optional(),
  isReminderOn: z.boolean().optional(),
  reminderMinutesBeforeStart: z.number().int().min(0).max(525_600).optional(),
  isCancelled: z.boolean().optional(),
  regarding: z
    .strictObject({ type: z.string().min(1).max(100), id: z.string().min(1).max(200) })
    .nullable()
    .optional(),
  organizer: party.nullable().optional(),
  attendees: z.array(attendee).max(500).optional(),
  recurrence: recurrenceSchema.nullable().optional(),
  cancelledOccurrences: z.array(instant).max(999).optional(),
};

const subject = z.string().trim().min(1, { error: 'must not be empty' }).max(255);

export const appointmentCreateSchema = z.strictObject({
  owner: actOwnerSchema,
  subject,
  start: zonedTime,
  end: zonedTime,
  seriesMasterId: z.uuid({ error: 'must be a UUID' }).optional(),
  originalStart: instant.optional(),
  ...appointmentFields,
});

export const appointmentUpdateSchema = z.strictObject({
  owner: actOwnerSchema.optional(),
  subject: subject.optional(),
  start: zonedTime.optional(),
  end: zonedTime.optional(),
  ...appointmentFields,
});

export const appointmentListQuery = z.strictObject({
  ownerType: z.enum(['User', 'Queue']).optional(),
  ownerId: z.string().min(1).max(200).optional(),
  /** Appointments this mailbox holds or its owner owns (organizer's or attendee's copy). */
  mailboxId: z.uuid({ error: 'must be a UUID' }).optional(),
  /** Time range: appointments (and series) overlapping [start, end). */
  start: instant.optional(),
  end: instant.optional(),
  /** Keyset paging: records with an id after this one. */
  after: z.uuid({ error: 'must be a UUID' }).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

type Op = {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  errors?: number[];
  status?: 200 | 201 | 204;
};

export const APPOINTMENT_OPERATIONS: Op[] = [
  {
    method: 'get',
    path: '/api/appointments',
    summary: 'List appointments (by owner, mailboxId, time range), each with its parties and Exchange links',
    tag: 'act',
    query: appointmentListQuery,
    errors: [400],
  },
  {
    method: 'post',
    path: '/api/appointments',
    summary: "Create an appointment, series or exception; the organizer's mailbox syncs it at once",
    tag: 'act',
    body: appointmentCreateSchema,
    status: 201,
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/appointments/{id}',
    summary: 'Get one (ETag: its version)',
    tag: 'act',
    errors: [404],
  },
  {
    method: 'patch',
    path: '/api/appointments/{id}',
    summary: 'Change it; If-Match with its version answers 412 when stale',
    tag: 'act',
    body: appointmentUpdateSchema,
    errors: [400, 404, 412],
  },
  {
    method: 'delete',
    path: '/api/appointments/{id}',
    summary: 'Delete it (an exception: cancels that occurrence); If-Match optional',
    tag: 'act',
    status: 204,
    errors: [404, 412],
  },
];
