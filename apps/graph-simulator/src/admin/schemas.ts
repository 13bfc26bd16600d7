import { z } from 'zod';

export const tenantInput = z.object({ tenantId: z.string().min(1).optional() }).strict();
export const appInput = z
  .object({
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** When the client secret expires; afterwards the token endpoint answers AADSTS7000222. */
    secretExpiresAt: z.string().datetime({ offset: true }).optional(),
    /** Granted application permissions (default: what Syncfleet needs, DEFAULT_APP_ROLES). */
    roles: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** PATCH an app: let its secret expire now, grant or revoke application permissions. */
export const appPatchInput = z
  .object({
    secretExpiresAt: z.string().datetime({ offset: true }).nullable().optional(),
    roles: z.array(z.string().min(1)).optional(),
  })
  .strict();
export const mailboxKind = z.enum(['user', 'shared', 'alias', 'distributionList']);
export const mailboxInput = z
  .object({
    address: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address'),
    displayName: z.string().optional(),
    kind: mailboxKind.optional(),
    id: z.string().min(1).optional(),
    /** Default `<local part>@<domain root>.onmicrosoft.com`: not the email address. */
    userPrincipalName: z
      .string()
      .regex(/^[^@\s]+@[^@\s]+$/, 'must be a user principal name')
      .optional(),
    /** e.g. `["SMTP:primary@contoso.test", "smtp:alias@contoso.test"]`; the `SMTP:` one must be the address. */
    proxyAddresses: z.array(z.string().regex(/^smtp:[^@\s]+@[^@\s]+$/i, 'must be smtp:<address>')).optional(),
  })
  .strict();
export const bulkMailboxInput = z
  .object({
    count: z.number().int().min(1).max(1_000_000),
    addressPattern: z.string().includes('{n}', { message: "must contain '{n}'" }),
    kind: mailboxKind.optional(),
  })
  .strict();

/** A directory group; `members`: users (id, UPN or address) and groups (id or mail) of the tenant. */
export const groupInput = z
  .object({
    id: z.string().min(1).optional(),
    displayName: z.string().min(1),
    description: z.string().optional(),
    /** A mail-enabled group's address; none: a security group. */
    mail: z
      .string()
      .regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address')
      .optional(),
    mailNickname: z.string().min(1).optional(),
    securityEnabled: z.boolean().optional(),
    members: z.array(z.string().min(1)).optional(),
  })
  .strict();
export const groupMembersInput = z.object({ members: z.array(z.string().min(1)).min(1) }).strict();

const addressList = z.union([z.string(), z.array(z.string())]).optional();

export const inboundInput = z
  .object({
    from: z.string().min(3),
    to: addressList,
    cc: addressList,
    subject: z.string().default(''),
    body: z.string().default(''),
    bodyContentType: z.enum(['text', 'html']).optional(),
    internetMessageId: z.string().min(3).optional(),
    inReplyTo: z.string().optional(),
    references: z.string().optional(),
    conversationId: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    receivedDateTime: z.string().datetime({ offset: true }).optional(),
    attachments: z
      .array(z.object({ name: z.string(), contentType: z.string().optional(), contentBytes: z.string() }))
      .optional(),
    folder: z.string().optional(),
    isRead: z.boolean().optional(),
  })
  .strict();

/** Many inbound messages at once (large-mailbox tests): `subject n`, received one second apart. */
export const inboundBulkInput = z
  .object({
    from: z.string().min(3),
    subject: z.string().default('bulk'),
    count: z.number().int().min(1).max(100_000),
    /** First message's receivedDateTime; the others follow one second apart. */
    receivedFrom: z.string().datetime({ offset: true }),
    internetMessageIdPrefix: z.string().min(1).default('bulk'),
  })
  .strict();

export const faultInput = z
  .object({
    scope: z
      .object({
        mailbox: z.string().optional(),
        tenantId: z.string().optional(),
        appId: z.string().optional(),
      })
      .strict()
      .optional(),
    status: z.number().int().min(100).max(599).optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    retryAfterSeconds: z.number().min(0).optional(),
    latencyMs: z.number().min(0).optional(),
    latencyJitterMs: z.number().min(0).optional(),
    dropConnection: z.boolean().optional(),
    malformedJson: z.boolean().optional(),
    count: z.number().int().min(1).optional(),
    routes: z.string().optional(),
  })
  .strict();

export const configInput = z
  .object({
    mailboxConcurrency: z.number().int().min(1),
    mailboxRequestsPer10Min: z.number().int().min(1),
    mailboxUploadBytesPer5Min: z.number().int().min(1),
    appRequestsPerSecond: z.number().int().min(0),
    concurrencyRetryAfterSeconds: z.number().min(0),
    tokenLifetimeSeconds: z.number().int().min(1),
    maxSubscriptionLifetimeMinutes: z.number().int().min(1),
    defaultLatencyMs: z.number().min(0),
    defaultPageSize: z.number().int().min(1),
    maxDeltaStates: z.number().int().min(1),
    deltaStatesPerMailbox: z.number().int().min(1),
    deltaStateMaxAgeSeconds: z.number().min(0.1),
    deltaSkipTokenHistory: z.number().int().min(1),
    deltaPartialUpdates: z.boolean(),
    filteredDeltaMaxItems: z.number().int().min(1),
    sendLatencyMs: z.number().min(0),
    sendLatencyJitterMs: z.number().min(0),
    validationTimeoutMs: z.number().int().min(1),
    notificationTimeoutMs: z.number().int().min(1),
    notificationRetryBaseMs: z.number().int().min(1),
    notificationGiveUpMs: z.number().int().min(0),
    allowHttpNotificationUrls: z.boolean(),
    notificationBatchWindowMs: z.number().int().min(0),
    notificationBatchMax: z.number().int().min(1),
    notificationDropRate: z.number().min(0).max(1),
    missedNotificationDelayMs: z.number().int().min(0),
    reauthorizationGraceMs: z.number().int().min(0),
    maxSubscriptionsPerMailbox: z.number().int().min(1),
  })
  .partial()
  .strict();

export const tokenInput = z
  .object({
    tenantId: z.string(),
    clientId: z.string(),
    expiresInSeconds: z.number().int().optional(),
    /** Default: the app's granted roles. */
    roles: z.array(z.string()).optional(),
  })
  .strict();
export const moveInput = z.object({ folder: z.string().min(1) }).strict();
export const evictInput = z
  .object({
    mailbox: z.string().optional(),
    /** Answer the mailbox's next delta requests 410 with a Location header (a synchronization reset). */
    reset: z.boolean().optional(),
  })
  .strict();
export const lifecycleInput = z
  .object({ event: z.enum(['missed', 'reauthorizationRequired', 'subscriptionRemoved']) })
  .strict();
export const resetInput = z.object({ all: z.boolean().optional() }).strict();
export const trafficInput = z
  .object({ messagesPerSecond: z.number().min(0), editsPerSecond: z.number().min(0).optional() })
  .strict();
export const itemInput = z.record(z.string(), z.unknown());
