import { createTrustingAgent, httpsCall } from '../client-tls';
import type { SimConfig } from '../config';
import type { Delivery } from '../graph/deliveries';
import type { Subscription } from '../notify/subscriptions';
import type { z } from 'zod';
import type * as s from './schemas';

export class SimAdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`admin call failed with ${status}: ${JSON.stringify(body)}`);
  }
}

export interface MailboxRef {
  id: string;
  address: string;
  /** Not the address (user: get resolves `/users/{id | userPrincipalName}`). */
  userPrincipalName: string;
}

export interface GroupRef {
  id: string;
  displayName: string;
  mail: string | null;
}

export type SimAdminClient = ReturnType<typeof createAdminClient>;

/** Typed wrapper over `/_sim` (node:https with the simulator CA: global fetch takes no `ca`). */
export function createAdminClient(opts: { url: string; adminKey: string; caPem: string }) {
  const agent = createTrustingAgent(opts.caPem, { includePublicRoots: false });

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { 'x-sim-admin-key': opts.adminKey };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await httpsCall(agent, `${opts.url}/_sim${path}`, { method, headers, body: payload });
    const text = res.body.toString('utf8');
    const parsed: unknown = text && res.headers['content-type']?.includes('json') ? JSON.parse(text) : text;
    if (res.status >= 400) throw new SimAdminError(res.status, parsed);
    return parsed as T;
  }
  const enc = encodeURIComponent;

  return {
    call,
    createTenant: (tenantId?: string) =>
      call<{ tenantId: string }>('POST', '/tenants', tenantId ? { tenantId } : {}),
    /** Lets an app's client secret expire (`null`: never). */
    expireSecret: (tenantId: string, clientId: string, secretExpiresAt: string | null) =>
      call<{ clientId: string; secretExpiresAt: string | null }>(
        'PATCH',
        `/tenants/${enc(tenantId)}/apps/${enc(clientId)}`,
        { secretExpiresAt },
      ),
    createApp: (tenantId: string, app: z.input<typeof s.appInput> = {}) =>
      call<{ clientId: string; clientSecret: string; roles: string[] }>(
        'POST',
        `/tenants/${enc(tenantId)}/apps`,
        app,
      ),
    /** Grant (or revoke) application permissions; tokens issued before keep their roles. */
    setAppRoles: (tenantId: string, clientId: string, roles: string[]) =>
      call<{ clientId: string; roles: string[] }>(
        'PATCH',
        `/tenants/${enc(tenantId)}/apps/${enc(clientId)}`,
        {
          roles,
        },
      ),
    createMailbox: (tenantId: string, mailbox: z.input<typeof s.mailboxInput>) =>
      call<MailboxRef>('POST', `/tenants/${enc(tenantId)}/mailboxes`, mailbox),
    createMailboxes: (tenantId: string, bulk: z.input<typeof s.bulkMailboxInput>) =>
      call<{ created: number; mailboxes: MailboxRef[] }>('POST', `/tenants/${enc(tenantId)}/mailboxes`, bulk),
    /** A directory group; `members`: user ids, UPNs or addresses and group ids or mails. */
    createGroup: (tenantId: string, group: z.input<typeof s.groupInput>) =>
      call<GroupRef>('POST', `/tenants/${enc(tenantId)}/groups`, group),
    addGroupMembers: (group: string, members: string[]) =>
      call<{ id: string; members: number }>('POST', `/groups/${enc(group)}/members`, { members }),
    mintToken: (input: z.input<typeof s.tokenInput>) =>
      call<{ access_token: string }>('POST', '/tokens', input),
    inbound: (mailbox: string, message: z.input<typeof s.inboundInput>) =>
      call<{ id: string; internetMessageId: string; conversationId: string }>(
        'POST',
        `/mailboxes/${enc(mailbox)}/inbound`,
        message,
      ),
    inboundBulk: (mailbox: string, input: z.input<typeof s.inboundBulkInput>) =>
      call<{ created: number }>('POST', `/mailboxes/${enc(mailbox)}/inbound/bulk`, input),
    listMessages: (mailbox: string, folder?: string) =>
      call<{ value: Array<Record<string, unknown>> }>(
        'GET',
        `/mailboxes/${enc(mailbox)}/messages${folder ? `?folder=${enc(folder)}` : ''}`,
      ),
    updateMessage: (mailbox: string, id: string, patch: Record<string, unknown>) =>
      call<Record<string, unknown>>('PATCH', `/mailboxes/${enc(mailbox)}/messages/${enc(id)}`, patch),
    deleteMessage: (mailbox: string, id: string) =>
      call<string>('DELETE', `/mailboxes/${enc(mailbox)}/messages/${enc(id)}`),
    moveMessage: (mailbox: string, id: string, folder: string) =>
      call<Record<string, unknown>>('POST', `/mailboxes/${enc(mailbox)}/messages/${enc(id)}/move`, {
        folder,
      }),
    createEvent: (mailbox: string, event: Record<string, unknown>) =>
      call<Record<string, unknown>>('POST', `/mailboxes/${enc(mailbox)}/events`, event),
    updateEvent: (mailbox: string, id: string, patch: Record<string, unknown>) =>
      call<Record<string, unknown>>('PATCH', `/mailboxes/${enc(mailbox)}/events/${enc(id)}`, patch),
    deleteEvent: (mailbox: string, id: string) =>
      call<string>('DELETE', `/mailboxes/${enc(mailbox)}/events/${enc(id)}`),
    /** The user answering (accept, tentativelyAccept, decline) or cancelling (cancel) in Outlook. */
    eventAction: (mailbox: string, id: string, action: string, body: Record<string, unknown> = {}) =>
      call<string>('POST', `/mailboxes/${enc(mailbox)}/events/${enc(id)}/${enc(action)}`, body),
    createContact: (mailbox: string, contact: Record<string, unknown>) =>
      call<Record<string, unknown>>('POST', `/mailboxes/${enc(mailbox)}/contacts`, contact),
    updateContact: (mailbox: string, id: string, patch: Record<string, unknown>) =>
      call<Record<string, unknown>>('PATCH', `/mailboxes/${enc(mailbox)}/contacts/${enc(id)}`, patch),
    deleteContact: (mailbox: string, id: string) =>
      call<string>('DELETE', `/mailboxes/${enc(mailbox)}/contacts/${enc(id)}`),
    createTask: (mailbox: string, list: string, task: Record<string, unknown>) =>
      call<Record<string, unknown>>('POST', `/mailboxes/${enc(mailbox)}/todo/lists/${enc(list)}/tasks`, task),
    updateTask: (mailbox: string, list: string, id: string, patch: Record<string, unknown>) =>
      call<Record<string, unknown>>(
        'PATCH',
        `/mailboxes/${enc(mailbox)}/todo/lists/${enc(list)}/tasks/${enc(id)}`,
        patch,
      ),
    deleteTask: (mailbox: string, list: string, id: string) =>
      call<string>('DELETE', `/mailboxes/${enc(mailbox)}/todo/lists/${enc(list)}/tasks/${enc(id)}`),
    addFault: (fault: z.input<typeof s.faultInput>) => call<{ id: string }>('POST', '/faults', fault),
    removeFault: (id: string) => call<string>('DELETE', `/faults/${enc(id)}`),
    clearFaults: () => call<string>('DELETE', '/faults'),
    patchConfig: (config: Partial<SimConfig>) => call<SimConfig>('PATCH', '/config', config),
    getConfig: () => call<SimConfig>('GET', '/config'),
    evictDelta: (mailbox?: string) =>
      call<{ evicted: number }>('POST', '/delta/evict', mailbox ? { mailbox } : {}),
    /** A synchronization reset: the mailbox's delta links answer 410 with a Location header. */
    resetDelta: (mailbox: string) =>
      call<{ evicted: number }>('POST', '/delta/evict', { mailbox, reset: true }),
    /** Every live subscription as the simulator holds it (`reauthorizationRequiredAt` included). */
    subscriptions: () => call<{ value: Subscription[] }>('GET', '/subscriptions').then((r) => r.value),
    triggerLifecycle: (
      subscriptionId: string,
      event: 'missed' | 'reauthorizationRequired' | 'subscriptionRemoved',
    ) => call<unknown>('POST', `/subscriptions/${enc(subscriptionId)}/lifecycle`, { event }),
    metrics: () => call<SimMetrics>('GET', '/metrics'),
    metricsPrometheus: () => call<string>('GET', '/metrics/prometheus'),
    deliveries: () => call<{ value: Delivery[] }>('GET', '/deliveries').then((r) => r.value),
    reset: (all = false) => call<unknown>('POST', '/reset', all ? { all } : {}),
    traffic: (messagesPerSecond: number, editsPerSecond = 0) =>
      call<unknown>('POST', '/traffic', { messagesPerSecond, editsPerSecond }),
    status: () =>
      call<{ mailboxes: number; pendingSends: number; memory: NodeJS.MemoryUsage }>('GET', '/status'),
    close: () => agent.destroy(),
  };
}

type Counts = Record<string, number>;
export interface SimMetrics {
  requestsTotal: number;
  byMailbox: Counts;
  byApp: Counts;
  byRoute: Counts;
  byStatus: Counts;
  throttled429: number;
  throttledByMailbox: Counts;
  inFlightByMailbox: Counts;
  inFlightByApp: Counts;
  maxConcurrencyByMailbox: Counts;
  maxConcurrencyByApp: Counts;
  earlyRequests: number;
  earlyRequestsByMailbox: Counts;
  missingAnchorMailbox: number;
  missingAnchorByMailbox: Counts;
  notificationsDelivered: number;
  notificationsFailed: number;
  notificationsProduced: number;
  notificationsDropped: number;
  missedEventsSent: number;
}
