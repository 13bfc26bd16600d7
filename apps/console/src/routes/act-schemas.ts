import { z } from 'zod';

/**
 * Request schemas of the contacts, tasks and changes API (ACT: docs/act-sync.md). Bodies are strict
 * like every other body of the admin API; limits follow Outlook's (3 email addresses per contact).
 */

const text = (max: number) => z.string().max(max);
const optionalText = (max: number) => text(max).nullable().optional();
const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time (2024-01-31T09:00:00Z)',
});
const categories = z.array(z.string().trim().min(1).max(255)).max(50);
const phones = z.array(z.string().trim().min(1).max(100)).max(10);

export const actOwnerSchema = z.strictObject({
  type: z.enum(['User', 'Queue']),
  id: z.string().trim().min(1).max(200),
});

const contactFields = {
  displayName: optionalText(256),
  givenName: optionalText(256),
  middleName: optionalText(256),
  surname: optionalText(256),
  emailAddresses: z
    .array(
      z.strictObject({
        address: z.email({ error: 'must be a valid email address' }).max(320),
        name: optionalText(256),
      }),
    )
    .max(3, { error: 'Outlook holds at most 3 email addresses per contact' })
    .optional(),
  businessPhones: phones.optional(),
  homePhones: phones.optional(),
  mobilePhone: optionalText(100),
  companyName: optionalText(256),
  jobTitle: optionalText(256),
  department: optionalText(256),
  businessAddress: z
    .strictObject({
      street: optionalText(512),
      city: optionalText(256),
      state: optionalText(256),
      postalCode: optionalText(64),
      countryOrRegion: optionalText(256),
    })
    .nullable()
    .optional(),
  categories: categories.optional(),
  notes: optionalText(100_000),
};

export const contactCreateSchema = z
  .strictObject({ owner: actOwnerSchema, ...contactFields })
  .refine((c) => !!(c.displayName || c.givenName || c.surname || c.emailAddresses?.length), {
    error: 'a contact needs a displayName, givenName, surname or an email address',
    path: ['displayName'],
  });
export const contactUpdateSchema = z.strictObject({ owner: actOwnerSchema.optional(), ...contactFields });

const taskStatus = z.enum(['NotStarted', 'InProgress', 'Completed', 'WaitingOnOthers', 'Deferred']);
const taskFields = {
  body: optionalText(100_000),
  status: taskStatus.optional(),
  importance: z.enum(['Low', 'Normal', 'High']).optional(),
  startAt: instant.nullable().optional(),
  dueAt: instant.nullable().optional(),
  reminderAt: instant.nullable().optional(),
  completedAt: instant.nullable().optional(),
  categories: categories.optional(),
  regarding: z
    .strictObject({ type: z.string().min(1).max(100), id: z.string().min(1).max(200) })
    .nullable()
    .optional(),
};
export const taskCreateSchema = z.strictObject({
  owner: actOwnerSchema,
  subject: z.string().trim().min(1, { error: 'must not be empty' }).max(255),
  ...taskFields,
});
export const taskUpdateSchema = z.strictObject({
  owner: actOwnerSchema.optional(),
  subject: z.string().trim().min(1, { error: 'must not be empty' }).max(255).optional(),
  ...taskFields,
});

export const actListQuery = z.strictObject({
  ownerType: z.enum(['User', 'Queue']).optional(),
  ownerId: z.string().min(1).max(200).optional(),
  /** Records of this mailbox's owner. */
  mailboxId: z.uuid({ error: 'must be a UUID' }).optional(),
  /** Keyset paging: records with an id after this one. */
  after: z.uuid({ error: 'must be a UUID' }).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const changesQuery = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,19}$/, { error: 'must be a change sequence number (digits)' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  kind: z.enum(['contact', 'task', 'appointment', 'email']).optional(),
});

/** Test & Enable: `overwrite=true` takes the mailbox's ACT from another deployment that owns it. */
export const testAndEnableQuery = z.strictObject({ overwrite: z.enum(['true', 'false']).optional() });

export const conflictsQuery = z.strictObject({
  mailboxId: z.uuid({ error: 'must be a UUID' }).optional(),
  recordId: z.uuid({ error: 'must be a UUID' }).optional(),
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

/** The OpenAPI entries of these routes (openapi.ts adds them to the document). */
export const ACT_OPERATIONS: Op[] = [
  ...(['contacts', 'tasks'] as const).flatMap((what): Op[] => {
    const create = what === 'contacts' ? contactCreateSchema : taskCreateSchema;
    const update = what === 'contacts' ? contactUpdateSchema : taskUpdateSchema;
    return [
      {
        method: 'get',
        path: `/api/${what}`,
        summary: `List ${what} (by owner or mailboxId), each with its Exchange links`,
        tag: 'act',
        query: actListQuery,
        errors: [400],
      },
      {
        method: 'post',
        path: `/api/${what}`,
        summary: `Create ${what === 'contacts' ? 'a contact' : 'a task'}; the owner's mailbox syncs it at once`,
        tag: 'act',
        body: create,
        status: 201,
        errors: [400],
      },
      {
        method: 'get',
        path: `/api/${what}/{id}`,
        summary: `Get one (ETag: its version)`,
        tag: 'act',
        errors: [404],
      },
      {
        method: 'patch',
        path: `/api/${what}/{id}`,
        summary: 'Change it; If-Match with its version answers 412 when stale',
        tag: 'act',
        body: update,
        errors: [400, 404, 412],
      },
      {
        method: 'delete',
        path: `/api/${what}/{id}`,
        summary: 'Delete it (and its Exchange copy); If-Match optional',
        tag: 'act',
        status: 204,
        errors: [404, 412],
      },
    ];
  }),
  {
    method: 'get',
    path: '/api/changes',
    summary: 'Application changes after a cursor (contacts, tasks): kind, id, operation, sequence',
    tag: 'act',
    query: changesQuery,
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/act/conflicts',
    summary: 'Conflicts ACT resolved (item, field, both values, winner, rule), newest first',
    tag: 'act',
    query: conflictsQuery,
    errors: [400],
  },
];
