import { RRule, type Options, type Weekday } from 'rrule';
import { graphError } from '../http/errors';
import type { SimResponse } from '../http/types';
import type { Item } from '../store/model';
import { fromWallTime, ianaZone, wallTime } from './time-zones';

/**
 * A series' recurrence as Microsoft documents it (patternedRecurrence,
 * https://learn.microsoft.com/graph/api/resources/patternedrecurrence: recurrencePattern and
 * recurrenceRange): validated, and expanded into its occurrences' instants in the series' zone
 * (calendar-model.ts materialises them as items).
 */

const MAX_OCCURRENCES = 730;
const NO_END_HORIZON_MS = 2 * 365 * 24 * 3600 * 1000;

const PATTERNS = new Set([
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
]);
const RANGES = new Set(['endDate', 'noEnd', 'numbered']);
const DAYS: Record<string, Weekday> = {
  sunday: RRule.SU,
  monday: RRule.MO,
  tuesday: RRule.TU,
  wednesday: RRule.WE,
  thursday: RRule.TH,
  friday: RRule.FR,
  saturday: RRule.SA,
};
const INDEX: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, last: -1 };

export interface Recurrence {
  pattern: {
    type: string;
    interval: number;
    daysOfWeek?: string[];
    dayOfMonth?: number;
    month?: number;
    index?: string;
    firstDayOfWeek?: string;
  };
  range: {
    type: string;
    startDate: string;
    endDate?: string | null;
    numberOfOccurrences?: number;
    recurrenceTimeZone?: string | null;
  };
}

const bad = (message: string) => graphError(400, 'ErrorInvalidRequest', message);

/** Validates a patternedRecurrence; an error names the property (patternedRecurrence resource). */
export function checkRecurrence(value: unknown): Recurrence | SimResponse | null {
  if (value === null || value === undefined) return null;
  const r = value as Partial<Recurrence>;
  const p = r.pattern;
  const range = r.range;
  if (!p || typeof p !== 'object' || !PATTERNS.has(String(p.type))) {
    return bad(`recurrence.pattern.type must be one of ${[...PATTERNS].join(', ')}.`);
  }
  if (!Number.isInteger(p.interval) || (p.interval ?? 0) < 1) {
    return bad('recurrence.pattern.interval must be a positive integer.');
  }
  if ((p.type === 'weekly' || p.type.startsWith('relative')) && !(p.daysOfWeek ?? []).length) {
    return bad(`recurrence.pattern.daysOfWeek is required for a ${p.type} pattern.`);
  }
  for (const d of p.daysOfWeek ?? []) {
    if (!DAYS[d]) return bad(`recurrence.pattern.daysOfWeek: '${d}' is not a day of the week.`);
  }
  if (
    p.type.startsWith('absolute') &&
    !(Number.isInteger(p.dayOfMonth) && p.dayOfMonth! >= 1 && p.dayOfMonth! <= 31)
  ) {
    return bad(`recurrence.pattern.dayOfMonth is required for a ${p.type} pattern.`);
  }
  if (p.type.endsWith('Yearly') && !(Number.isInteger(p.month) && p.month! >= 1 && p.month! <= 12)) {
    return bad(`recurrence.pattern.month is required for a ${p.type} pattern.`);
  }
  if (!range || typeof range !== 'object' || !RANGES.has(String(range.type))) {
    return bad(`recurrence.range.type must be one of ${[...RANGES].join(', ')}.`);
  }
  if (!/^\d{4}-\d\d-\d\d$/.test(String(range.startDate))) {
    return bad('recurrence.range.startDate must be a date (yyyy-mm-dd).');
  }
  if (range.type === 'endDate' && !/^\d{4}-\d\d-\d\d$/.test(String(range.endDate))) {
    return bad('recurrence.range.endDate must be a date (yyyy-mm-dd) for an endDate range.');
  }
  if (
    range.type === 'numbered' &&
    !(Number.isInteger(range.numberOfOccurrences) && range.numberOfOccurrences! >= 1)
  ) {
    return bad('recurrence.range.numberOfOccurrences must be a positive integer for a numbered range.');
  }
  return r as Recurrence;
}

/** The occurrence instants [start, end] of a series master (wall-time expansion in its zone). */
export function occurrenceTimes(master: Item, now = Date.now()): Array<[number, number]> {
  const recurrence = master.fields.recurrence as Recurrence | null;
  if (!recurrence) return [];
  const zone = String(recurrence.range.recurrenceTimeZone || master.fields.originalStartTimeZone || 'UTC');
  const startMs = Number(master.fields._startMs);
  const endMs = Number(master.fields._endMs);
  const wallStart = wallTime(startMs, zone);
  const wallEnd = wallTime(
    endMs,
    ianaZone(String(master.fields.originalEndTimeZone)) ? String(master.fields.originalEndTimeZone) : zone,
  );
  // Wall times as floating UTC dates: rrule expands in wall time, DST never shifts an occurrence.
  const floating = (d: typeof wallStart) =>
    new Date(Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second));
  const [y, m, d] = recurrence.range.startDate.split('-').map(Number) as [number, number, number];
  const dtstart = new Date(Date.UTC(y, m - 1, d, wallStart.hour, wallStart.minute, wallStart.second));
  const durationWallMs = floating(wallEnd).getTime() - floating(wallStart).getTime();
  const p = recurrence.pattern;
  const options: Partial<Options> = { dtstart, interval: p.interval };
  switch (p.type) {
    case 'daily':
      options.freq = RRule.DAILY;
      break;
    case 'weekly':
      options.freq = RRule.WEEKLY;
      options.byweekday = (p.daysOfWeek ?? []).map((day) => DAYS[day]!);
      if (p.firstDayOfWeek && DAYS[p.firstDayOfWeek]) options.wkst = DAYS[p.firstDayOfWeek]!;
      break;
    case 'absoluteMonthly':
      options.freq = RRule.MONTHLY;
      options.bymonthday = p.dayOfMonth!;
      break;
    case 'relativeMonthly':
      options.freq = RRule.MONTHLY;
      options.byweekday = (p.daysOfWeek ?? []).map((day) => DAYS[day]!);
      options.bysetpos = INDEX[p.index ?? 'first'] ?? 1;
      break;
    case 'absoluteYearly':
      options.freq = RRule.YEARLY;
      options.bymonth = p.month!;
      options.bymonthday = p.dayOfMonth!;
      break;
    case 'relativeYearly':
      options.freq = RRule.YEARLY;
      options.bymonth = p.month!;
      options.byweekday = (p.daysOfWeek ?? []).map((day) => DAYS[day]!);
      options.bysetpos = INDEX[p.index ?? 'first'] ?? 1;
      break;
  }
  const range = recurrence.range;
  if (range.type === 'numbered') options.count = Math.min(range.numberOfOccurrences ?? 1, MAX_OCCURRENCES);
  else if (range.type === 'endDate') {
    const [ey, em, ed] = String(range.endDate).split('-').map(Number) as [number, number, number];
    options.until = new Date(Date.UTC(ey, em - 1, ed, 23, 59, 59));
  } else {
    const horizon = wallTime(Math.max(now, startMs) + NO_END_HORIZON_MS, zone);
    options.until = floating(horizon);
  }
  const out: Array<[number, number]> = [];
  for (const wall of new RRule(options).all((_d, i) => i < MAX_OCCURRENCES)) {
    const s = fromWallTime(wall, zone);
    out.push([s, fromWallTime(new Date(wall.getTime() + durationWallMs), zone)]);
  }
  return out;
}
