import { randomBytes, randomUUID } from 'node:crypto';
import type { TokenClaims } from '../auth/tokens';
import type { SimConfig } from '../config';
import { graphError } from '../http/errors';
import { splitPath } from '../http/router';
import type { SimResponse } from '../http/types';
import type { Metrics } from '../metrics';
import type { ChangeEvent, ItemKind } from '../store/model';
import type { Store } from '../store/store';
import { postTo } from './post';
import { etagOf, odataType } from '../graph/odata';

export interface Subscription {
  id: string;
  tenantId: string;
  appId: string;
  mailboxId: string;
  kind: ItemKind;
  /** Container id, or undefined for "any folder" (e.g. `/users/{id}/messages`). */
  containerId?: string;
  resource: string;
  changeType: string;
  clientState: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  expirationDateTime: string;
  /** Set by a `reauthorizationRequired` challenge; cleared by `/reauthorize` or a renewal. */
  reauthorizationRequiredAt?: number;
}

export type LifecycleEvent = 'missed' | 'reauthorizationRequired' | 'subscriptionRemoved';
export type SubscriptionService = ReturnType<typeof createSubscriptionService>;

const RESOURCE_SEGMENTS: Array<{ shape: string[]; kind: ItemKind; container?: number; fixed?: string }> = [
  { shape: ['users', '*', 'mailFolders', '*', 'messages'], kind: 'message', container: 3 },
  { shape: ['users', '*', 'messages'], kind: 'message' },
  { shape: ['users', '*', 'events'], kind: 'event', fixed: 'calendar' },
  { shape: ['users', '*', 'calendar', 'events'], kind: 'event', fixed: 'calendar' },
  { shape: ['users', '*', 'contacts'], kind: 'contact', fixed: 'contacts' },
  { shape: ['users', '*', 'contactFolders', '*', 'contacts'], kind: 'contact', container: 3 },
];

const CONTAINER_KIND = {
  message: 'mailFolder',
  event: 'calendar',
  contact: 'contactFolder',
  task: 'todoList',
} as const;

export function createSubscriptionService(deps: {
  store: Store;
  config: SimConfig;
  caPem: string;
  metrics: Metrics;
  log: (line: string) => void;
}) {
  const subscriptions = new Map<string, Subscription>();
  const timers = new Set<NodeJS.Timeout>();
  const ca = () => [deps.caPem, ...(deps.config.notificationCaPem ? [deps.config.notificationCaPem] : [])];

  function checkUrl(url: unknown, field: string): string | SimResponse {
    if (typeof url !== 'string') return graphError(400, 'InvalidRequest', `${field} is required.`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return graphError(400, 'InvalidRequest', `${field} is not a valid URL.`);
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    if (
      parsed.protocol === 'https:' ||
      (parsed.protocol === 'http:' && deps.config.allowHttpNotificationUrls && loopback)
    ) {
      return url;
    }
    return graphError(400, 'InvalidRequest', `The ${field} must be an HTTPS url.`);
  }

  function checkExpiration(value: unknown): string | SimResponse {
    const t = typeof value === 'string' ? Date.parse(value) : NaN;
    const max = deps.config.maxSubscriptionLifetimeMinutes;
    if (Number.isNaN(t)) return graphError(400, 'InvalidRequest', 'expirationDateTime is required.');
    if (t <= Date.now())
      return graphError(400, 'InvalidRequest', 'Subscription expiration must be in the future.');
    if (t > Date.now() + max * 60_000) {
      return graphError(
        400,
        'InvalidRequest',
        `Subscription expiration can only be ${max} minutes in the future.`,
      );
    }
    return new Date(t).toISOString();
  }

  /** Validation handshake ("Receive change notifications through webhooks"): echo the token within 10 s. */
  async function validate(url: string): Promise<boolean> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const sep = url.includes('?') ? '&' : '?';
    try {
      const res = await postTo(`${url}${sep}validationToken=${encodeURIComponent(token)}`, '', {
        ca: ca(),
        timeoutMs: deps.config.validationTimeoutMs,
        contentType: 'text/plain; charset=utf-8',
      });
      return res.status === 200 && /text\/plain/i.test(res.contentType) && res.body === token;
    } catch (error) {
      deps.log(`subscriptions: validation of ${url} failed: ${(error as Error).message}`);
      return false;
    }
  }

  function json(sub: Subscription): Record<string, unknown> {
    return {
      id: sub.id,
      resource: sub.resource,
      applicationId: sub.appId,
      changeType: sub.changeType,
      clientState: sub.clientState,
      notificationUrl: sub.notificationUrl,
      lifecycleNotificationUrl: sub.lifecycleNotificationUrl ?? null,
      expirationDateTime: sub.expirationDateTime,
      creatorId: sub.appId,
      includeResourceData: false,
      latestSupportedTlsVersion: 'v1_2',
      notificationQueryOptions: null,
    };
  }

  async function create(body: Record<string, unknown>, claims: TokenClaims): Promise<SimResponse> {
    const notificationUrl = checkUrl(body.notificationUrl, 'notificationUrl');
    if (typeof notificationUrl !== 'string') return notificationUrl;
    const lifecycleUrl =
      body.lifecycleNotificationUrl === undefined
        ? undefined
        : checkUrl(body.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
    if (lifecycleUrl !== undefined && typeof lifecycleUrl !== 'string') return lifecycleUrl;
    const expiration = checkExpiration(body.expirationDateTime);
    if (typeof expiration !== 'string') return expiration;
    // "The clientState property is required" (change-notifications-delivery-webhooks, Subscription
    // request); at most 128 characters (subscription resource type).
    if (typeof body.clientState !== 'string' || body.clientState.length === 0) {
      return graphError(400, 'InvalidRequest', 'clientState is required.');
    }
    if (body.clientState.length > 128) {
      return graphError(400, 'InvalidRequest', 'clientState must be at most 128 characters.');
    }
    const changeType = typeof body.changeType === 'string' ? body.changeType : '';
    if (
      !changeType ||
      !changeType.split(',').every((c) => ['created', 'updated', 'deleted'].includes(c.trim()))
    ) {
      return graphError(
        400,
        'InvalidRequest',
        "changeType must be a combination of 'created', 'updated', 'deleted'.",
      );
    }
    const resource = typeof body.resource === 'string' ? body.resource : '';
    const segs = splitPath(resource.split('?')[0] ?? '').filter((s) => s.toLowerCase() !== 'v1.0');
    const shape = RESOURCE_SEGMENTS.find(
      (r) =>
        r.shape.length === segs.length &&
        r.shape.every((p, i) => p === '*' || p.toLowerCase() === segs[i]?.toLowerCase()),
    );
    const mailbox = shape ? deps.store.findMailbox(segs[1] ?? '') : undefined;
    if (!shape || !mailbox || mailbox.tenantId !== claims.tid) {
      return graphError(400, 'InvalidRequest', `Resource '${resource}' is not supported or does not exist.`);
    }
    const containerName = shape.container !== undefined ? segs[shape.container] : shape.fixed;
    const container = containerName
      ? deps.store.container(mailbox, containerName, CONTAINER_KIND[shape.kind])
      : undefined;
    if (containerName && !container)
      return graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found.');
    // "A maximum limit of 1000 active subscriptions for Outlook resources per mailbox for all
    // applications" (outlook-change-notifications-overview); the answer as tenants report it
    // (microsoftgraph/microsoft-graph-docs-contrib#112).
    let active = 0;
    for (const other of live()) if (other.mailboxId === mailbox.id) active++;
    if (active >= deps.config.maxSubscriptionsPerMailbox) {
      return graphError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Maximum number of subscriptions has been reached]',
      );
    }
    const checks = [validate(notificationUrl), ...(lifecycleUrl ? [validate(lifecycleUrl)] : [])];
    if (!(await Promise.all(checks)).every(Boolean)) {
      return graphError(
        400,
        'ValidationError',
        'Subscription validation request failed. Response must exactly match validationToken query parameter.',
      );
    }
    const sub: Subscription = {
      id: randomUUID(),
      tenantId: claims.tid,
      appId: claims.appid,
      mailboxId: mailbox.id,
      kind: shape.kind,
      containerId: container?.id,
      resource,
      changeType,
      clientState: body.clientState,
      notificationUrl,
      lifecycleNotificationUrl: lifecycleUrl,
      expirationDateTime: expiration,
    };
    subscriptions.set(sub.id, sub);
    return { status: 201, body: json(sub) };
  }

  /** "If you don't renew a subscription in time, Microsoft Graph deletes the subscription." */
  function expired(sub: Subscription): boolean {
    if (Date.parse(sub.expirationDateTime) > Date.now()) return false;
    subscriptions.delete(sub.id);
    return true;
  }
  function* live(): Generator<Subscription> {
    for (const sub of subscriptions.values()) if (!expired(sub)) yield sub;
  }

  const owned = (id: string, claims: TokenClaims) => {
    const sub = subscriptions.get(id);
    return sub && !expired(sub) && sub.tenantId === claims.tid && sub.appId === claims.appid
      ? sub
      : undefined;
  };
  const notFound = () => graphError(404, 'ResourceNotFound', 'The object was not found.');

  /** PATCH renews, and "renewing your subscription also reauthorizes" (lifecycle events page). */
  function renew(id: string, body: Record<string, unknown>, claims: TokenClaims): SimResponse {
    const sub = owned(id, claims);
    if (!sub) return notFound();
    const expiration = checkExpiration(body.expirationDateTime);
    if (typeof expiration !== 'string') return expiration;
    sub.expirationDateTime = expiration;
    sub.reauthorizationRequiredAt = undefined;
    return { status: 200, body: json(sub) };
  }

  /** `POST /subscriptions/{id}/reauthorize` → 204 No Content (subscription: reauthorize). */
  function reauthorize(id: string, claims: TokenClaims): SimResponse {
    const sub = owned(id, claims);
    if (!sub) return notFound();
    sub.reauthorizationRequiredAt = undefined;
    return { status: 204 };
  }

  function schedule(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref?.();
    timers.add(timer);
  }

  /**
   * Delivers one POST with bounded retries: exponential backoff until `notificationGiveUpMs` has
   * passed ("tries to resend the change notification multiple times, for up to 4 hours ... then
   * discards"). A batch given up on brings a `missed` event to each of its subscriptions.
   */
  function deliver(
    url: string,
    payload: string,
    onGiveUp: () => void,
    firstAttempt = Date.now(),
    attempt = 1,
  ): void {
    postTo(url, payload, {
      ca: ca(),
      timeoutMs: deps.config.notificationTimeoutMs,
      contentType: 'application/json',
    })
      .then((res) =>
        res.status >= 200 && res.status < 300 ? undefined : Promise.reject(new Error(`HTTP ${res.status}`)),
      )
      .then(
        () => void deps.metrics.notificationsDelivered++,
        (error: Error) => {
          if (closed) return;
          const delay = Math.min(deps.config.notificationRetryBaseMs * 2 ** (attempt - 1), 5 * 60_000);
          if (Date.now() + delay - firstAttempt > deps.config.notificationGiveUpMs) {
            deps.metrics.notificationsFailed++;
            deps.log(`subscriptions: giving up on ${url} after ${attempt} attempts: ${error.message}`);
            onGiveUp();
            return;
          }
          schedule(() => deliver(url, payload, onGiveUp, firstAttempt, attempt + 1), delay);
        },
      );
  }

  /** Pending change notifications per notification URL, sent together as one `value[]`. */
  const batches = new Map<string, { subs: Set<string>; value: unknown[] }>();
  function enqueue(sub: Subscription, notification: unknown): void {
    let batch = batches.get(sub.notificationUrl);
    if (!batch) {
      batch = { subs: new Set(), value: [] };
      batches.set(sub.notificationUrl, batch);
      schedule(() => flush(sub.notificationUrl), deps.config.notificationBatchWindowMs);
    }
    batch.subs.add(sub.id);
    batch.value.push(notification);
    if (batch.value.length >= deps.config.notificationBatchMax) flush(sub.notificationUrl);
  }
  function flush(url: string): void {
    const batch = batches.get(url);
    if (!batch) return;
    batches.delete(url);
    deliver(url, JSON.stringify({ value: batch.value }), () => {
      for (const id of batch.subs) missed(id);
    });
  }

  /** Coalesces `missed` events: one per subscription per `missedNotificationDelayMs`. */
  const missedPending = new Set<string>();
  function missed(id: string): void {
    if (missedPending.has(id)) return;
    missedPending.add(id);
    schedule(() => {
      missedPending.delete(id);
      const sub = subscriptions.get(id);
      if (!sub || expired(sub) || !sub.lifecycleNotificationUrl) return;
      deps.metrics.missedEventsSent++;
      sendLifecycle(sub, 'missed');
    }, deps.config.missedNotificationDelayMs);
  }

  function onChange(event: ChangeEvent): void {
    if (subscriptions.size === 0) return;
    const { mailbox, item, changeType, parentId } = event;
    for (const sub of live()) {
      if (sub.mailboxId !== mailbox.id || sub.kind !== item.kind) continue;
      if (sub.containerId && sub.containerId !== parentId) continue;
      if (!sub.changeType.includes(changeType)) continue;
      // After the grace of a reauthorization challenge, "change notification delivery pauses ...
      // notifications about resource changes that happen [meanwhile] are lost".
      if (
        sub.reauthorizationRequiredAt !== undefined &&
        Date.now() - sub.reauthorizationRequiredAt > deps.config.reauthorizationGraceMs
      ) {
        deps.metrics.notificationsDropped++;
        continue;
      }
      // The drop fault: throttled endpoints lose notifications, and Graph says so with `missed`.
      if (deps.config.notificationDropRate > 0 && Math.random() < deps.config.notificationDropRate) {
        deps.metrics.notificationsDropped++;
        missed(sub.id);
        continue;
      }
      const type = odataType(item.kind).replace('#microsoft.graph.', '');
      const collection = { message: 'Messages', event: 'Events', contact: 'Contacts', task: 'Tasks' }[
        item.kind
      ];
      // The documented forms: `resource` relative to graph.microsoft.com with the user as
      // {user}@{tenant}, `@odata.id` the same in Pascal case (change-notifications-delivery-webhooks).
      const user = `${mailbox.id}@${sub.tenantId}`;
      deps.metrics.notificationsProduced++;
      enqueue(sub, {
        id: randomBytes(9).toString('base64url'),
        subscriptionId: sub.id,
        subscriptionExpirationDateTime: sub.expirationDateTime,
        changeType,
        resource: `users/${user}/${collection.toLowerCase()}/${item.id}`,
        clientState: sub.clientState,
        tenantId: sub.tenantId,
        resourceData: {
          '@odata.type': `#Microsoft.Graph.${type[0]?.toUpperCase()}${type.slice(1)}`,
          '@odata.id': `Users/${user}/${collection}/${item.id}`,
          '@odata.etag': etagOf(item),
          id: item.id,
        },
      });
    }
  }

  /** Lifecycle notification structure (change-notifications-lifecycle-events). */
  function sendLifecycle(sub: Subscription, event: LifecycleEvent): void {
    if (!sub.lifecycleNotificationUrl) return;
    const payload = {
      value: [
        {
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: sub.expirationDateTime,
          tenantId: sub.tenantId,
          clientState: sub.clientState,
          lifecycleEvent: event,
        },
      ],
    };
    deliver(sub.lifecycleNotificationUrl, JSON.stringify(payload), () => undefined);
  }

  /** Admin: raise a lifecycle event as Graph would. */
  function lifecycle(id: string, event: LifecycleEvent): SimResponse {
    const sub = subscriptions.get(id);
    if (!sub || expired(sub)) return graphError(404, 'ResourceNotFound', 'Unknown subscription.');
    if (!sub.lifecycleNotificationUrl)
      return graphError(400, 'BadRequest', 'subscription has no lifecycleNotificationUrl');
    if (event === 'subscriptionRemoved') subscriptions.delete(sub.id);
    if (event === 'reauthorizationRequired') sub.reauthorizationRequiredAt ??= Date.now();
    if (event === 'missed') deps.metrics.missedEventsSent++;
    sendLifecycle(sub, event);
    return { status: 202, body: { delivered: true } };
  }

  let closed = false;
  deps.store.listeners.push(onChange);

  return {
    create,
    renew,
    reauthorize,
    get: (id: string, claims: TokenClaims) => {
      const sub = owned(id, claims);
      return sub ? { status: 200, body: json(sub) } : notFound();
    },
    list: (claims: TokenClaims) => ({
      status: 200,
      body: {
        value: [...live()].filter((s) => s.tenantId === claims.tid && s.appId === claims.appid).map(json),
      },
    }),
    remove: (id: string, claims: TokenClaims): SimResponse =>
      owned(id, claims) && subscriptions.delete(id) ? { status: 204 } : notFound(),
    lifecycle,
    all: () => [...live()],
    clear: () => {
      subscriptions.clear();
      batches.clear();
      missedPending.clear();
    },
    close: () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    newSecret: () => randomBytes(8).toString('hex'),
  };
}
