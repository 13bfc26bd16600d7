import { DateTime, IANAZone } from 'luxon';
import { findIana } from 'windows-iana';

/**
 * Appointment times as Outlook's calendar API takes and gives them: a wall-clock `dateTime` with a
 * `timeZone` that is a Windows name ("Pacific Standard Time", what Outlook itself uses) or an IANA
 * name ("America/Los_Angeles") — dateTimeTimeZone,
 * https://learn.microsoft.com/graph/api/resources/datetimetimezone. The application stores the
 * instant (UTC) and the zone name as given, so a meeting is the same instant in every time zone and
 * is written back in the zone its organizer chose. Conversions go through IANA (windows-iana maps
 * Windows names by CLDR's windowsZones table; luxon applies the IANA rules, DST included).
 */
export interface ZonedTime {
  dateTime: string;
  timeZone?: string | null;
}

/** The IANA zone for a Windows or IANA name, or undefined when neither. */
export function ianaZone(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const trimmed = name.trim();
  if (/^(utc|gmt|etc\/utc|z)$/i.test(trimmed)) return 'UTC';
  const fromWindows = findIana(trimmed)?.[0];
  if (fromWindows && IANAZone.isValidZone(fromWindows)) return fromWindows;
  return IANAZone.isValidZone(trimmed) ? trimmed : undefined;
}

/**
 * The instant of a zoned time, or the reason it is not one. A dateTime with its own offset or `Z`
 * is that instant; otherwise it is wall time in its zone (default UTC, as Graph's default). A wall
 * time inside a DST gap moves forward, as Outlook does.
 */
export function instantOf(value: ZonedTime): Date | { field: 'dateTime' | 'timeZone'; message: string } {
  const zoneName = value.timeZone || 'UTC';
  const zone = ianaZone(zoneName);
  if (!zone) return { field: 'timeZone', message: `'${zoneName}' is not a Windows or IANA time zone` };
  const hasOffset = /([zZ]|[+-]\d\d:?\d\d)$/.test(value.dateTime);
  const parsed = hasOffset
    ? DateTime.fromISO(value.dateTime, { setZone: true })
    : DateTime.fromISO(value.dateTime, { zone });
  if (!parsed.isValid) return { field: 'dateTime', message: 'must be an ISO-8601 date and time' };
  return parsed.toJSDate();
}

/** Graph's dateTime format: wall time with seven fractional digits and no offset. */
const GRAPH_FORMAT = "yyyy-LL-dd'T'HH:mm:ss.SSS'0000'";

/** An instant as wall time in a zone (unknown zone: UTC), the way Graph renders dateTimeTimeZone. */
export function zoned(at: Date, zoneName: string): { dateTime: string; timeZone: string } {
  const zone = ianaZone(zoneName) ?? 'UTC';
  return { dateTime: DateTime.fromJSDate(at, { zone }).toFormat(GRAPH_FORMAT), timeZone: zoneName };
}

/** Is the instant midnight in the zone? (All-day events start and end at midnight: event resource.) */
export function isMidnight(at: Date, zoneName: string): boolean {
  const t = DateTime.fromJSDate(at, { zone: ianaZone(zoneName) ?? 'UTC' });
  return t.hour === 0 && t.minute === 0 && t.second === 0 && t.millisecond === 0;
}

/** The instant a calendar date (YYYY-MM-DD) ends in a zone: the next midnight there. */
export function endOfDate(date: string, zoneName: string): Date {
  return DateTime.fromISO(date, { zone: ianaZone(zoneName) ?? 'UTC' })
    .plus({ days: 1 })
    .toJSDate();
}
