import { z } from 'zod';
import {
  alertListQuery,
  detailsQuery,
  disableSchema,
  mailboxCreateSchema,
  mailboxListQuery,
  mailboxUpdateSchema,
  profileCreateSchema,
  profileListQuery,
  profileUpdateSchema,
} from './schemas';
import { emailCreateSchema } from './routes/emails';
import { bulkDisableSchema, bulkSchema, bulkUpdateSchema, operationResultsQuery } from './bulk';
import { seriesQuery } from './routes/overview';
import { importSchema } from './routes/import';
import { ACT_OPERATIONS, testAndEnableQuery } from './routes/act-schemas';
import { APPOINTMENT_OPERATIONS } from './routes/appointment-schemas';

interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status codes besides 200/201/204 worth documenting. */
  errors?: number[];
  status?: 200 | 201 | 202 | 204;
}

export const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/api/profiles',
    summary: 'List email server profiles',
    tag: 'profiles',
    query: profileListQuery,
  },
  {
    method: 'post',
    path: '/api/profiles',
    summary: 'Create a profile (clientSecret is write-only)',
    tag: 'profiles',
    body: profileCreateSchema,
    status: 201,
    errors: [400, 409],
  },
  { method: 'get', path: '/api/profiles/{id}', summary: 'Get a profile', tag: 'profiles', errors: [404] },
  {
    method: 'patch',
    path: '/api/profiles/{id}',
    summary:
      'Change a profile (a new clientSecret is re-sealed). ACT: actConflictPolicy, actDeletePolicy, actInvitationPolicy replace the stored value; actSettings is MERGED into the stored settings — a partial object changes only the keys it names (directions per entity, filter and calendarWindow key by key), null resets a key to its default. GET shows the effective actSettings (defaults included) and actSettingsStored',
    tag: 'profiles',
    body: profileUpdateSchema,
    errors: [400, 404, 409],
  },
  {
    method: 'delete',
    path: '/api/profiles/{id}',
    summary: 'Delete a profile no mailbox uses',
    tag: 'profiles',
    status: 204,
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/api/profiles/{id}/alerts',
    summary: "The profile's alerts and all its mailboxes', newest first",
    tag: 'alerts',
    query: alertListQuery,
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/mailboxes',
    summary: 'List mailboxes',
    tag: 'mailboxes',
    query: mailboxListQuery,
  },
  {
    method: 'post',
    path: '/api/mailboxes',
    summary: 'Create a mailbox (owner 1:1; remap: true breaks the old mapping)',
    tag: 'mailboxes',
    body: mailboxCreateSchema,
    status: 201,
    errors: [400, 409],
  },
  {
    method: 'get',
    path: '/api/mailboxes/{id}',
    summary: 'Get a mailbox with its workloads',
    tag: 'mailboxes',
    errors: [404],
  },
  {
    method: 'patch',
    path: '/api/mailboxes/{id}',
    summary: 'Change a mailbox',
    tag: 'mailboxes',
    body: mailboxUpdateSchema,
    errors: [400, 404, 409],
  },
  {
    method: 'delete',
    path: '/api/mailboxes/{id}',
    summary: 'Delete a mailbox (its workloads, alerts and runs)',
    tag: 'mailboxes',
    status: 204,
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/mailboxes/{id}/approve',
    summary: 'Approve the email address',
    tag: 'mailboxes',
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/mailboxes/{id}/reject',
    summary: 'Reject the email address',
    tag: 'mailboxes',
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/mailboxes/{id}/test-and-enable',
    summary:
      'Test & Enable (200 also when checks fail; see body); overwrite=true takes ACT from another deployment',
    tag: 'mailboxes',
    query: testAndEnableQuery,
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/mailboxes/{id}/disable',
    summary: 'Disable workloads (default all)',
    tag: 'mailboxes',
    body: disableSchema,
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/mailboxes/{id}/details',
    summary: 'Download mailbox details (json, or text as an attachment); UTC',
    tag: 'mailboxes',
    query: detailsQuery,
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/mailboxes/{id}/alerts',
    summary: "The mailbox's alerts, newest first",
    tag: 'alerts',
    query: alertListQuery,
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/alerts/{id}/acknowledge',
    summary: 'Acknowledge an alert',
    tag: 'alerts',
    errors: [404],
  },
  { method: 'get', path: '/api/queues', summary: 'Job counts per workload queue', tag: 'queues' },
  ...(['approve', 'reject', 'test-and-enable'] as const).map((action): Operation => ({
    method: 'post',
    path: `/api/mailboxes/bulk/${action}`,
    summary: `Bulk ${action} on "ids" (≤ 1,000) or a "filter" (the list's): 202 with the operation's progress, run in the background`,
    tag: 'bulk',
    body: bulkSchema,
    status: 202,
    errors: [400],
  })),
  {
    method: 'post',
    path: '/api/mailboxes/bulk/disable',
    summary: 'Bulk disable (workloads: default all) on "ids" or a "filter": 202 with the operation',
    tag: 'bulk',
    body: bulkDisableSchema,
    status: 202,
    errors: [400],
  },
  {
    method: 'post',
    path: '/api/mailboxes/bulk/update',
    summary:
      'Bulk-edit mailbox settings (incomingFilter, processEmailFrom, trackedFolders, workloads) on "ids" or a "filter"',
    tag: 'bulk',
    body: bulkUpdateSchema,
    status: 202,
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/operations',
    summary: 'The 20 latest bulk operations with progress',
    tag: 'bulk',
  },
  {
    method: 'get',
    path: '/api/operations/{id}',
    summary: "A bulk operation's progress (total, done, succeeded, failed, pending, status)",
    tag: 'bulk',
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/operations/{id}/results',
    summary: 'Per-mailbox results of a bulk operation',
    tag: 'bulk',
    query: operationResultsQuery,
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/overview',
    summary:
      'Fleet overview: mailboxes by state per workload, per-profile failures, alerts, slots, throttling; queues; emails',
    tag: 'monitoring',
  },
  {
    method: 'get',
    path: '/api/overview/series',
    summary: 'Per minute and workload: cycles, items, failures, schedule lag (from SyncRun)',
    tag: 'monitoring',
    query: seriesQuery,
  },
  {
    method: 'post',
    path: '/api/profiles/{id}/import',
    summary:
      "Import mailboxes from the profile's tenant (users and shared mailboxes through Graph, or a group's users with nested groups; filtered by domain or addresses): 202 with the operation; an unknown group 404, an ambiguous group name 409",
    tag: 'profiles',
    body: importSchema,
    status: 202,
    errors: [400, 404, 409, 502],
  },
  {
    method: 'get',
    path: '/api/profiles/{id}/digests',
    summary: "The profile's owner-notification digests (email and webhook state), newest first",
    tag: 'profiles',
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/backlog',
    summary: 'Items waiting to be synced per kind, fleet-wide, and the mailboxes with most',
    tag: 'monitoring',
  },
  {
    method: 'get',
    path: '/api/mailboxes/{id}/backlog',
    summary: "One mailbox's items waiting to be synced, per kind",
    tag: 'monitoring',
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/emails',
    summary:
      'Create an outgoing email (PendingSend), sent by a mailbox enabled for outgoing email; attachments ≤ 3 MB in all',
    tag: 'emails',
    body: emailCreateSchema,
    status: 201,
    errors: [400, 413],
  },
  {
    method: 'get',
    path: '/api/emails/{id}',
    summary: 'Get an email with its status (PendingSend, Sending, Sent, Failed + reason)',
    tag: 'emails',
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/secrets/rotate',
    summary:
      'Re-seal every profile secret under the newest SECRET_KEYS key (then older keys can be removed); idempotent',
    tag: 'secrets',
  },
  ...ACT_OPERATIONS,
  ...APPOINTMENT_OPERATIONS,
];

/**
 * Every /api route must have an entry above: the OpenAPI document is what clients — and the fuzz
 * test, which generates requests for every documented operation — know about. Called by app.ts with
 * the routes Fastify registered; an undocumented route stops the console at startup.
 */
export function assertDocumented(routes: { method: string; url: string }[]): void {
  const documented = new Set(OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`));
  const missing = routes
    .filter((r) => r.url.startsWith('/api/') && r.url !== '/api/*' && r.url !== '/api/openapi.json')
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
    .filter((key) => !documented.has(key));
  if (missing.length)
    throw new Error(`Routes missing from the OpenAPI document (openapi.ts): ${missing.join(', ')}`);
}

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        fields: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

/** The OpenAPI 3.1 document, derived from the same zod schemas that validate requests. */
export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters: unknown[] = [];
    if (op.path.includes('{id}'))
      parameters.push({ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
    for (const [name, field] of Object.entries(op.query?.shape ?? {}))
      parameters.push({ name, in: 'query', required: false, schema: jsonSchema(field as z.ZodType) });
    const responses: Record<string, unknown> = {
      [op.status ?? 200]: { description: op.status === 204 ? 'No content' : 'OK' },
      401: { $ref: '#/components/responses/Error' },
    };
    for (const status of op.errors ?? []) responses[status] = { $ref: '#/components/responses/Error' };
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        summary: op.summary,
        tags: [op.tag],
        parameters,
        ...(op.body && {
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } },
        }),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Syncfleet admin API', version: '0.1.0' },
    security: [{ bearer: [] }, { basic: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        basic: { type: 'http', scheme: 'basic', description: 'any user name, ADMIN_TOKEN as password' },
      },
      responses: {
        Error: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
      },
    },
    paths,
  };
}
