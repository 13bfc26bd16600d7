import { z } from 'zod';
import { WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import { MAILBOX_SORTS, mailboxFilterFields } from './mailbox-filter';
import { actProfileFields } from './act-settings';

/**
 * Request schemas of the admin API: the single source of validation AND of the OpenAPI document.
 * Bodies are strict (an unknown field is an error, so typos never pass silently). Defaults are the
 * database's, so PATCH schemas can be plain partials.
 */

const httpsUrl = z
  .string()
  .refine(
    (value) => {
      try {
        return new URL(value).protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: 'must be an https:// URL' },
  )
  .meta({ format: 'uri', pattern: '^https://' });

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const webhookUrl = z
  .string()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
      } catch {
        return false;
      }
    },
    { message: 'must be an https:// URL (http:// only to localhost)' },
  )
  .meta({ format: 'uri' });

/** ISO-8601 date or date-time; stored as a UTC instant. */
const isoDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'must be an ISO-8601 date (2024-01-31) or date-time (2024-01-31T00:00:00Z)',
});

const secondsSetting = (min: number, max: number) => z.int().min(min).max(max);

export const uuidParam = z.strictObject({ id: z.uuid({ error: 'must be a UUID' }) });

export const profileCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  tenantId: z.string().trim().min(1).max(200),
  clientId: z.string().trim().min(1).max(200),
  /** Write-only: sealed with SecretBox, never returned or logged. */
  clientSecret: z.string().min(1).max(4096).meta({ writeOnly: true }),
  authorityUrl: httpsUrl.optional(),
  graphBaseUrl: httpsUrl.optional(),
  /** Dynamics: Max Concurrent Connections, 1..300, default 10. */
  maxConcurrentConnections: z.int().min(1).max(300).optional(),
  minPollingIntervalSec: secondsSetting(1, 86_400).optional(),
  processEmailFrom: isoDate.nullable().optional(),
  connectionTimeoutSec: secondsSetting(1, 3_600).optional(),
  ownerEmail: z.email().nullable().optional(),
  /** Owner notifications: the mailbox that sends the digest email to ownerEmail. */
  notificationMailboxId: z.uuid({ error: 'must be a UUID' }).nullable().optional(),
  /** Owner notifications: where the signed digest is POSTed (https; http only to this machine). */
  webhookUrl: webhookUrl.nullable().optional(),
  /** Write-only: the HMAC-SHA256 key the webhook is signed with; sealed like the client secret. */
  webhookSecret: z.string().min(16).max(4096).meta({ writeOnly: true }).optional(),
  /** One digest per burst: a burst ends after this many seconds without a new error alert. */
  digestQuietSec: secondsSetting(5, 3_600).optional(),
  /** ACT: conflict, delete and invitation policies and the actSettings JSON (act-settings.ts). */
  ...actProfileFields,
});
export const profileUpdateSchema = profileCreateSchema.partial();
export type ProfileCreate = z.output<typeof profileCreateSchema>;

const workloadSetting = z.strictObject({ method: z.enum(['None', 'ServerSideSync']) });
/** `{ "<workload>": { method } }` for every defined workload. */
export const workloadSettingsSchema = z.strictObject(
  Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, workloadSetting.optional()])) as Record<
    WorkloadName,
    z.ZodOptional<typeof workloadSetting>
  >,
);

export const ownerSchema = z.strictObject({
  type: z.enum(['User', 'Queue']),
  id: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((id) => !id.startsWith('unmapped:'), {
      message: '"unmapped:" ids are reserved for broken mappings',
    }),
});

const address = z
  .email({ error: 'must be a valid email address' })
  .max(320)
  .transform((value) => value.toLowerCase());

/** Which received mail a mailbox promotes; null = the fleet default (INCOMING_DEFAULT_FILTER). */
export const incomingFilterSchema = z.enum(['All', 'ResponsesToAppEmail', 'FromKnownContacts', 'None']);

/** A folder whose mail is promoted whatever the filter: a Graph folder id or a well-known name. */
const trackedFolder = z.strictObject({
  folderId: z
    .string()
    .trim()
    .min(1)
    .max(512)
    .refine((id) => id.toLowerCase() !== 'inbox', { message: 'the Inbox is always synced' }),
  displayName: z.string().trim().max(256).nullable().optional(),
});

/**
 * The per-mailbox settings an admin edits, one by one or in bulk (Dynamics keeps these on the
 * mailbox record): promotion filter, Process Email From override, tracked folders (the whole set),
 * each workload's method.
 */
export const mailboxSettingsFields = {
  incomingFilter: incomingFilterSchema.nullable().optional(),
  processEmailFrom: isoDate.nullable().optional(),
  trackedFolders: z.array(trackedFolder).max(100).optional(),
  workloads: workloadSettingsSchema.optional(),
};
export const mailboxSettingsSchema = z.strictObject(mailboxSettingsFields);
export type MailboxSettings = z.output<typeof mailboxSettingsSchema>;

export const mailboxCreateSchema = z.strictObject({
  address,
  displayName: z.string().trim().max(256).nullable().optional(),
  owner: ownerSchema,
  /** Explicitly break the owner's current mapping (see README of apps/console). */
  remap: z.boolean().optional(),
  profileId: z.uuid({ error: 'must be a UUID' }),
  ...mailboxSettingsFields,
});
export type MailboxCreate = z.output<typeof mailboxCreateSchema>;

export const mailboxUpdateSchema = z.strictObject({
  displayName: z.string().trim().max(256).nullable().optional(),
  owner: ownerSchema.optional(),
  remap: z.boolean().optional(),
  profileId: z.uuid({ error: 'must be a UUID' }).optional(),
  ...mailboxSettingsFields,
});
export type MailboxUpdate = z.output<typeof mailboxUpdateSchema>;

export const disableSchema = z
  .strictObject({ workloads: z.array(z.enum(WORKLOAD_NAMES)).min(1).optional() })
  .optional();

const pageFields = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const mailboxListQuery = z.strictObject({
  ...mailboxFilterFields,
  sort: z.enum(MAILBOX_SORTS).default('address'),
  order: z.enum(['asc', 'desc']).default('asc'),
  ...pageFields,
});

export const profileListQuery = z.strictObject(pageFields);

export const alertListQuery = z.strictObject({
  severity: z.enum(['Error', 'Warning', 'Information']).optional(),
  acknowledged: z.enum(['true', 'false']).optional(),
  ...pageFields,
});

export const detailsQuery = z.strictObject({ format: z.enum(['json', 'text']).default('json') });

/** Parses an accepted ISO date/date-time (validated above) into a Date, keeping null/undefined. */
export function toDate(value: string | null | undefined): Date | null | undefined {
  if (value === null || value === undefined) return value;
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
}
