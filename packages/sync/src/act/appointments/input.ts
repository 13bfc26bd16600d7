import { SyncError } from '@syncfleet/errors';
import type {
  Appointment,
  AppointmentParty,
  AppointmentSensitivity,
  AppointmentShowAs,
  Prisma,
  TaskImportance,
} from '@syncfleet/db';
import { endOfDate, instantOf, isMidnight, type ZonedTime } from './time';

/**
 * What the application may write as an appointment (records.ts takes it), and the rules checked
 * before anything is stored: valid zoned times, end after start, all-day at midnight of its zone,
 * a pattern with the properties its type requires. Each refusal names its field.
 */

/** Graph's recurrencePattern and recurrenceRange (https://learn.microsoft.com/graph/api/resources/patternedrecurrence). */
export interface Recurrence {
  pattern: {
    type: 'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';
    interval: number;
    daysOfWeek?: string[];
    dayOfMonth?: number;
    month?: number;
    index?: 'first' | 'second' | 'third' | 'fourth' | 'last';
    firstDayOfWeek?: string;
  };
  range: {
    type: 'endDate' | 'noEnd' | 'numbered';
    startDate: string;
    endDate?: string;
    numberOfOccurrences?: number;
    recurrenceTimeZone?: string;
  };
}

export interface PartyInput {
  address: string;
  name?: string | null;
}

export interface AttendeeInput extends PartyInput {
  type?: 'required' | 'optional' | 'resource';
}

export interface AppointmentInput {
  subject?: string;
  body?: string | null;
  location?: string | null;
  start?: ZonedTime;
  end?: ZonedTime;
  isAllDay?: boolean;
  showAs?: AppointmentShowAs;
  sensitivity?: AppointmentSensitivity;
  importance?: TaskImportance;
  categories?: string[];
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  isCancelled?: boolean;
  regarding?: { type: string; id: string } | null;
  /** Default on create: the owner's mailbox address (when the owner has one). */
  organizer?: PartyInput | null;
  attendees?: AttendeeInput[];
  recurrence?: Recurrence | null;
  /** SeriesMaster only: original start instants of deleted occurrences (replaces the list). */
  cancelledOccurrences?: string[];
}

export interface AppointmentCreateInput extends AppointmentInput {
  subject: string;
  start: ZonedTime;
  end: ZonedTime;
  /** An exception: the master and the original start of the occurrence it replaces. */
  seriesMasterId?: string;
  originalStart?: string;
}

export type AppointmentWithParties = Appointment & { parties: AppointmentParty[] };

/** Input the application refuses, naming the field (the REST API answers 400 with it). */
export class AppointmentInputError extends SyncError {
  constructor(readonly fields: { path: string; message: string }[]) {
    super('InvalidRequest', fields.map((f) => `${f.path}: ${f.message}`).join('; '), {
      code: 'InvalidAppointment',
    });
  }
}

export function fail(path: string, message: string): never {
  throw new AppointmentInputError([{ path, message }]);
}

export function instant(value: ZonedTime, path: string): Date {
  const at = instantOf(value);
  if (at instanceof Date) return at;
  return fail(`${path}.${at.field}`, at.message);
}

export function parseInstant(value: string, path: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) fail(path, 'must be an ISO-8601 date-time');
  return at;
}

/** Scalar columns of an input (times validated together with the stored ones by `checkTimes`). */
export function scalarData(input: AppointmentInput): Prisma.AppointmentUncheckedUpdateInput {
  const data: Prisma.AppointmentUncheckedUpdateInput = {};
  for (const k of [
    'subject',
    'body',
    'location',
    'isAllDay',
    'showAs',
    'sensitivity',
    'importance',
    'categories',
    'isReminderOn',
    'reminderMinutesBeforeStart',
    'isCancelled',
  ] as const) {
    if (input[k] !== undefined) (data as Record<string, unknown>)[k] = input[k];
  }
  if (input.start) {
    data.startAt = instant(input.start, 'start');
    data.startTimeZone = input.start.timeZone || 'UTC';
  }
  if (input.end) {
    data.endAt = instant(input.end, 'end');
    data.endTimeZone = input.end.timeZone || 'UTC';
  }
  if (input.regarding !== undefined) {
    data.regardingType = input.regarding?.type ?? null;
    data.regardingId = input.regarding?.id ?? null;
  }
  return data;
}

export interface Times {
  startAt: Date;
  endAt: Date;
  startTimeZone: string;
  endTimeZone: string;
  isAllDay: boolean;
  recurrence: Recurrence | null;
}

/** The rules on the resulting times; returns `lastEndAt` (for range lists). */
export function checkTimes(t: Times): Date | null {
  if (t.endAt.getTime() <= t.startAt.getTime()) fail('end', 'must be after start');
  if (t.isAllDay) {
    if (!isMidnight(t.startAt, t.startTimeZone)) fail('start', 'an all-day appointment starts at midnight');
    if (!isMidnight(t.endAt, t.endTimeZone)) fail('end', 'an all-day appointment ends at midnight');
  }
  if (!t.recurrence) return t.endAt;
  const { pattern, range } = t.recurrence;
  const needsDays = ['weekly', 'relativeMonthly', 'relativeYearly'].includes(pattern.type);
  if (needsDays && !pattern.daysOfWeek?.length)
    fail('recurrence.pattern.daysOfWeek', `is required for a ${pattern.type} pattern`);
  if (['absoluteMonthly', 'absoluteYearly'].includes(pattern.type) && !pattern.dayOfMonth)
    fail('recurrence.pattern.dayOfMonth', `is required for a ${pattern.type} pattern`);
  if (['absoluteYearly', 'relativeYearly'].includes(pattern.type) && !pattern.month)
    fail('recurrence.pattern.month', `is required for a ${pattern.type} pattern`);
  if (range.type === 'endDate' && !range.endDate)
    fail('recurrence.range.endDate', 'is required for an endDate range');
  if (range.type === 'numbered' && !range.numberOfOccurrences)
    fail('recurrence.range.numberOfOccurrences', 'is required for a numbered range');
  if (range.type === 'endDate' && range.endDate! < range.startDate)
    fail('recurrence.range.endDate', 'must not be before startDate');
  const duration = t.endAt.getTime() - t.startAt.getTime();
  return range.type === 'endDate'
    ? new Date(endOfDate(range.endDate!, range.recurrenceTimeZone || t.startTimeZone).getTime() + duration)
    : null;
}

export function cancelledList(values: string[]): string[] {
  const out = new Set(values.map((v, i) => parseInstant(v, `cancelledOccurrences.${i}`).toISOString()));
  return [...out].sort();
}
