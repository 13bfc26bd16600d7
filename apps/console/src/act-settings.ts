import { z } from 'zod';
import type { EmailServerProfile, Prisma } from '@syncfleet/db';
import { ACT_FIELDS, APPOINTMENT_FIELDS, actSettingsOf, appointmentSettingsOf } from '@syncfleet/sync';

/**
 * A profile's ACT settings as the admin API reads and writes them (docs/act-sync.md#settings): the
 * three policy columns and the `actSettings` JSON that packages/sync reads (act/settings.ts,
 * act/appointments/settings.ts). The sync side falls back to defaults for anything malformed, so a
 * typo would pass silently there; here every key, field name, direction and number is checked, and
 * bad input is a 400 naming it.
 */

export const ACT_DIRECTIONS = ['TwoWay', 'ToExchange', 'ToApp', 'None'] as const;
const direction = z.enum(ACT_DIRECTIONS);

/** `{ <field>: direction | null }` with only the entity's synced fields (an unknown one is named). */
const directionMap = (fields: readonly string[]) =>
  z.strictObject(
    Object.fromEntries(fields.map((field) => [field, direction.nullable().optional()])) as Record<
      string,
      z.ZodOptional<z.ZodNullable<typeof direction>>
    >,
  );

/**
 * The `actSettings` a request may send. Every key is optional and `null` removes a key (back to its
 * default); a PATCH merges this into the stored JSON (`mergeActSettings`).
 */
export const actSettingsSchema = z
  .strictObject({
    directions: z
      .strictObject({
        contact: directionMap(ACT_FIELDS.contact).nullable().optional(),
        task: directionMap(ACT_FIELDS.task).nullable().optional(),
        appointment: directionMap(APPOINTMENT_FIELDS).nullable().optional(),
      })
      .nullable()
      .optional(),
    filter: z
      .strictObject({
        /** Only records carrying one of these categories go to Exchange (empty: all). */
        categories: z.array(z.string().trim().min(1).max(255)).max(100).nullable().optional(),
        completedWithinDays: z.int().min(0).max(3_650).nullable().optional(),
        contacts: z.boolean().nullable().optional(),
        tasks: z.boolean().nullable().optional(),
      })
      .nullable()
      .optional(),
    /** The To Do list synced, by display name (null: the user's default list); read at Test & Enable. */
    taskListName: z.string().trim().min(1).max(255).nullable().optional(),
    ownershipCheckSec: z.int().min(0).max(86_400).nullable().optional(),
    pageSize: z.int().min(1).max(999).nullable().optional(),
    maxItemsPerCycle: z.int().min(1).max(100_000).nullable().optional(),
    /** Calendar sync on or off for the profile's ACT. */
    appointments: z.boolean().nullable().optional(),
    calendarWindow: z
      .strictObject({
        daysBack: z.int().min(1).max(365).nullable().optional(),
        daysAhead: z.int().min(1).max(730).nullable().optional(),
        slideHours: z.int().min(1).max(168).nullable().optional(),
      })
      .nullable()
      .optional(),
  })
  .meta({
    description:
      'Merged into the stored settings: a partial object changes only the keys it names (nested objects — directions per entity, filter, calendarWindow — merge key by key; arrays are replaced); null removes a key, so it is back to its default. GET shows the effective values (actSettings) and what is stored (actSettingsStored).',
  });
export type ActSettingsInput = z.output<typeof actSettingsSchema>;

/** The profile fields of ACT, as added to the profile create/update schemas. */
export const actProfileFields = {
  /** Who wins a two-way field both sides changed (docs/act-sync.md#conflicts). */
  actConflictPolicy: z.enum(['LatestWins', 'AppWins', 'ExchangeWins']).optional(),
  /** What an item deleted in Exchange does to its application record (docs/act-sync.md#deletes). */
  actDeletePolicy: z.enum(['Unlink', 'Delete']).optional(),
  /** Which attendees of an app appointment Exchange invites (docs/act-sync.md#invitations). */
  actInvitationPolicy: z.enum(['All', 'InternalOnly', 'None']).optional(),
  actSettings: actSettingsSchema.optional(),
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `patch` merged into `stored`: objects key by key (recursively), anything else replaced, null
 * removes the key. Keys the patch does not name — including ones this API does not know, written
 * before it — are kept as they are.
 */
export function mergeActSettings(stored: unknown, patch: Record<string, unknown>): Prisma.InputJsonObject {
  const out: Record<string, unknown> = isObject(stored) ? { ...stored } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete out[key];
    else if (isObject(value)) {
      const merged = mergeActSettings(out[key], value);
      if (Object.keys(merged).length) out[key] = merged;
      else delete out[key];
    } else out[key] = value;
  }
  return out as Prisma.InputJsonObject;
}

/**
 * The settings the sync engine uses for this profile — defaults included — in the shape a PATCH
 * takes, so an admin sees every value and can send any part of it back.
 */
export function effectiveActSettings(
  profile: Pick<
    EmailServerProfile,
    'actConflictPolicy' | 'actDeletePolicy' | 'actInvitationPolicy' | 'actSettings'
  >,
) {
  const act = actSettingsOf(profile);
  const appointments = appointmentSettingsOf(profile);
  return {
    directions: { ...act.directions, appointment: appointments.directions },
    filter: act.filter,
    taskListName: act.taskListName,
    ownershipCheckSec: act.ownershipCheckSec,
    pageSize: act.pageSize,
    maxItemsPerCycle: act.maxItemsPerCycle,
    appointments: appointments.enabled,
    calendarWindow: {
      daysBack: appointments.daysBack,
      daysAhead: appointments.daysAhead,
      slideHours: appointments.slideHours,
    },
  };
}
