import { DateTime, IANAZone } from 'luxon';
import { findIana } from 'windows-iana';

/**
 * Time zones as Outlook's calendar API takes and gives them (dateTimeTimeZone resource: "timeZone —
 * Represents a time zone, for example, 'Pacific Standard Time'"; event resource: start/end "By
 * default, the start time is in UTC. You can specify an optional time zone in StartTimeZone …";
 * originalStartTimeZone "The start time zone that was set when the event was created"; "Prefer:
 * outlook.timezone" header — https://learn.microsoft.com/graph/api/resources/datetimetimezone,
 * https://learn.microsoft.com/graph/api/resources/event,
 * https://learn.microsoft.com/graph/api/user-list-events#support-various-time-zones).
 *
 * Names are Windows names ("Pacific Standard Time", what Outlook itself uses) or IANA names
 * ("America/Los_Angeles"), both accepted; conversions go through IANA (windows-iana maps Windows
 * names by CLDR's windowsZones table; luxon applies the IANA rules, DST included).
 */

/** The IANA zone for a Windows or IANA name, or undefined when neither. */
export function ianaZone(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const trimmed = name.trim();
  if (/^(utc|gmt|etc\/utc|z)$/i.test(trimmed)) return 'UTC';
  const fromWindows = findIana(trimmed)?.[0];
  if (fromWindows && IANAZone.isValidZone(fromWindows)) return fromWindows;
  return IANAZone.isValidZone(trimmed) ? trimmed : undefined;
}

/** Graph's dateTime format: local wall time with seven fractional digits and no offset. */
const GRAPH_FORMAT = "yyyy-LL-dd'T'HH:mm:ss.SSS'0000'";

/**
 * The instant (epoch ms) of a dateTimeTimeZone, or an error naming what is wrong. A dateTime with
 * its own offset or `Z` is taken as that instant; otherwise it is wall time in `timeZone`.
 */
export function instantOf(value: unknown, field: string): number | { error: string } {
  const v = value as { dateTime?: unknown; timeZone?: unknown } | undefined;
  if (!v || typeof v.dateTime !== 'string') return { error: `${field}.dateTime is required` };
  const zoneName = typeof v.timeZone === 'string' && v.timeZone ? v.timeZone : 'UTC';
  const zone = ianaZone(zoneName);
  if (!zone) return { error: `${field}.timeZone '${zoneName}' is not a supported time zone` };
  const hasOffset = /([zZ]|[+-]\d\d:?\d\d)$/.test(v.dateTime);
  const parsed = hasOffset
    ? DateTime.fromISO(v.dateTime, { setZone: true })
    : DateTime.fromISO(v.dateTime, { zone });
  if (!parsed.isValid) return { error: `${field}.dateTime '${v.dateTime}' is not a date and time` };
  return parsed.toMillis();
}

/** An instant as Graph renders it for a caller who asked for `zoneName` (default UTC). */
export function inZone(ms: number, zoneName = 'UTC'): { dateTime: string; timeZone: string } {
  const zone = ianaZone(zoneName) ?? 'UTC';
  return { dateTime: DateTime.fromMillis(ms, { zone }).toFormat(GRAPH_FORMAT), timeZone: zoneName };
}

/** Wall-clock parts of an instant in a zone (recurrence expansion works in wall time). */
export function wallTime(ms: number, zoneName: string): DateTime {
  return DateTime.fromMillis(ms, { zone: ianaZone(zoneName) ?? 'UTC' });
}

/** The instant of a wall time (year…second, as if UTC) in a zone: DST gaps move forward, as Outlook does. */
export function fromWallTime(wall: Date, zoneName: string): number {
  return DateTime.fromObject(
    {
      year: wall.getUTCFullYear(),
      month: wall.getUTCMonth() + 1,
      day: wall.getUTCDate(),
      hour: wall.getUTCHours(),
      minute: wall.getUTCMinutes(),
      second: wall.getUTCSeconds(),
    },
    { zone: ianaZone(zoneName) ?? 'UTC' },
  ).toMillis();
}

/**
 * `Prefer: outlook.timezone="Pacific Standard Time"` → the zone name, when it is one we know
 * (an unknown one is ignored: times stay in UTC).
 */
export function preferredTimeZone(prefer: string | undefined): string | undefined {
  const m = /outlook\.timezone\s*=\s*"([^"]+)"/i.exec(prefer ?? '');
  const name = m?.[1];
  return name && ianaZone(name) ? name : undefined;
}
