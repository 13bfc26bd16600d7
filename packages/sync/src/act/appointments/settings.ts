import type { ActInvitationPolicy, EmailServerProfile } from '@syncfleet/db';
import type { Direction } from '../fields';
import { APPOINTMENT_FIELDS, defaultAppointmentDirections } from './fields';

/**
 * Appointment settings of a profile: the invitation policy column, and in `actSettings` JSON
 * `appointments` (true = calendar sync on),
 * `calendarWindow: { daysBack, daysAhead, slideHours }` (default 30 / 365 / 24) and
 * `directions.appointment` (field → TwoWay | ToExchange | ToApp | None). Malformed entries fall
 * back to the defaults, as for contacts and tasks.
 */
export interface AppointmentSettings {
  /**
   * Calendar sync as part of the profile's ACT: on unless `actSettings.appointments` is `false`
   * (contacts and To Do tasks then sync without it; an idle ACT cycle costs 2 Graph requests
   * instead of 3).
   */
  enabled: boolean;
  invitationPolicy: ActInvitationPolicy;
  daysBack: number;
  daysAhead: number;
  /** A delta round older than this starts again with the window moved to now (sliding window). */
  slideHours: number;
  directions: Record<string, Direction>;
}

const DIRECTIONS = new Set<Direction>(['TwoWay', 'ToExchange', 'ToApp', 'None']);

export function appointmentSettingsOf(
  profile: Pick<EmailServerProfile, 'actSettings'> & { actInvitationPolicy?: ActInvitationPolicy },
): AppointmentSettings {
  const raw = (
    profile.actSettings && typeof profile.actSettings === 'object' ? profile.actSettings : {}
  ) as Record<string, unknown>;
  const w = (raw.calendarWindow ?? {}) as Record<string, unknown>;
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
  const directions = defaultAppointmentDirections();
  const given = ((raw.directions ?? {}) as Record<string, Record<string, unknown>>).appointment ?? {};
  for (const [field, dir] of Object.entries(given)) {
    if ((APPOINTMENT_FIELDS as readonly string[]).includes(field) && DIRECTIONS.has(dir as Direction))
      directions[field] = dir as Direction;
  }
  return {
    enabled: raw.appointments !== false,
    invitationPolicy: profile.actInvitationPolicy ?? 'InternalOnly',
    daysBack: num(w.daysBack, 30),
    daysAhead: num(w.daysAhead, 365),
    slideHours: num(w.slideHours, 24),
    directions,
  };
}

/** The window [start, end) of a delta round started at `now`. */
export function windowAt(s: AppointmentSettings, now: Date): [Date, Date] {
  const day = 86_400_000;
  return [new Date(now.getTime() - s.daysBack * day), new Date(now.getTime() + s.daysAhead * day)];
}
