import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { SecretBox } from '@syncfleet/config';
import { Prisma, type SqlClient } from '@syncfleet/db';
import type { WorkloadQueues } from '@syncfleet/queues';
import type { WorkloadName } from '@syncfleet/workloads';
import { requestCycles, type CycleRequest } from '../engine/wake';
import { clientStateMatches } from './client-state';
import { refreshHealth } from './health';

/**
 * What the webhook receiver does with a POST from Graph: check each notification against the
 * subscription it names (known, clientState, tenant) and only enqueue — a change notification asks
 * for one immediate cycle of its (mailbox, workload), deduplicated by requestCycles; a lifecycle
 * notification records what the subscription loop must do. The payload is never trusted beyond
 * that: the cycle re-reads the mailbox by delta (change-notifications-delivery-webhooks, "Processing
 * the change notification"; change-notifications-lifecycle-events).
 */
export interface ReceiverDeps {
  sql: SqlClient;
  queues: WorkloadQueues;
  secretBox: SecretBox;
  clock?: () => Date;
  counters: ReceiverCounters;
  /** How long a looked-up subscription is trusted without reading it again. */
  cacheMs?: number;
}

/** Counters kept by the receiver (the observability work exports them). */
export interface ReceiverCounters {
  validations: number;
  notificationPosts: number;
  lifecyclePosts: number;
  notificationsAccepted: number;
  /** Notifications naming a subscription the fleet does not know: ignored. */
  unknownSubscription: number;
  /** clientState or tenant mismatch: rejected, nothing queued. */
  clientStateMismatch: number;
  cyclesRequested: number;
  lifecycleEvents: Record<string, number>;
  malformed: number;
  oversized: number;
  failures: number;
}

export function createReceiverCounters(): ReceiverCounters {
  return {
    validations: 0,
    notificationPosts: 0,
    lifecyclePosts: 0,
    notificationsAccepted: 0,
    unknownSubscription: 0,
    clientStateMismatch: 0,
    cyclesRequested: 0,
    lifecycleEvents: {},
    malformed: 0,
    oversized: 0,
    failures: 0,
  };
}

/** One entry of a changeNotificationCollection, as far as the fleet reads it. */
export interface ChangeNotification {
  subscriptionId: string;
  clientState?: string | null;
  tenantId?: string | null;
  changeType?: string;
  lifecycleEvent?: string;
}
/** changeNotificationCollection: `{ value: [...] }` (validated by the receiver's route schema). */
export interface NotificationCollection {
  value: ChangeNotification[];
}

/** JSON schema of a collection, for the receiver's route (lengths bound what is looked up). */
export const notificationCollectionSchema = {
  type: 'object',
  required: ['value'],
  properties: {
    value: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['subscriptionId'],
        properties: {
          subscriptionId: { type: 'string', minLength: 1, maxLength: 200 },
          clientState: { type: ['string', 'null'], maxLength: 1024 },
          tenantId: { type: ['string', 'null'], maxLength: 200 },
          changeType: { type: 'string', maxLength: 100 },
          lifecycleEvent: { type: 'string', maxLength: 100 },
        },
      },
    },
  },
} as const;

interface SubscriptionRow {
  id: string;
  graphSubscriptionId: string;
  mailboxId: string;
  workload: WorkloadName;
  tenantId: string;
  clientStateCiphertext: string;
  clientStateKeyId: string;
}

interface Known {
  row: SubscriptionRow;
  clientState: string;
  at: number;
}

export interface ReceiveResult {
  /** 202 when anything was accepted or only unknown subscriptions were named; 403 when all were rejected. */
  status: 202 | 403;
  accepted: number;
  rejected: number;
  unknown: number;
}

export function createReceiver(deps: ReceiverDeps) {
  const clock = deps.clock ?? (() => new Date());
  const cacheMs = deps.cacheMs ?? 30_000;
  const cache = new Map<string, Known>();

  async function lookup(ids: string[]): Promise<Map<string, Known>> {
    const now = Date.now();
    const found = new Map<string, Known>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = cache.get(id);
      if (hit && now - hit.at < cacheMs) found.set(id, hit);
      else missing.push(id);
    }
    if (missing.length) {
      const rows = await deps.sql.query<SubscriptionRow>(
        Prisma.sql`
        SELECT s.id, s."graphSubscriptionId", s."mailboxId", s.workload::text AS workload, p."tenantId",
               s."clientStateCiphertext", s."clientStateKeyId"
        FROM "MailboxSubscription" s JOIN "Mailbox" m ON m.id = s."mailboxId"
          JOIN "EmailServerProfile" p ON p.id = m."profileId"
        WHERE s."graphSubscriptionId" = ANY(${missing}::text[])`,
        { prepare: true },
      );
      for (const row of rows) {
        const known = {
          row,
          clientState: deps.secretBox.open({
            keyId: row.clientStateKeyId,
            ciphertext: row.clientStateCiphertext,
          }),
          at: now,
        };
        if (cache.size > 100_000) cache.clear();
        cache.set(row.graphSubscriptionId, known);
        found.set(row.graphSubscriptionId, known);
      }
    }
    return found;
  }

  /** Sorts a collection into trusted notifications (with their subscription) and the rest. */
  async function check(body: NotificationCollection) {
    const known = await lookup(body.value.map((n) => n.subscriptionId));
    const trusted: Array<{ n: ChangeNotification; sub: SubscriptionRow }> = [];
    let rejected = 0;
    let unknown = 0;
    for (const n of body.value) {
      const k = known.get(n.subscriptionId);
      if (!k) {
        unknown++;
        continue;
      }
      const tenantOk = !n.tenantId || n.tenantId.toLowerCase() === k.row.tenantId.toLowerCase();
      if (!clientStateMatches(n.clientState, k.clientState) || !tenantOk) {
        rejected++;
        continue;
      }
      trusted.push({ n, sub: k.row });
    }
    deps.counters.unknownSubscription += unknown;
    deps.counters.clientStateMismatch += rejected;
    return { trusted, rejected, unknown };
  }

  function verdict(accepted: number, rejected: number, unknown: number): ReceiveResult {
    return { status: accepted === 0 && rejected > 0 ? 403 : 202, accepted, rejected, unknown };
  }

  async function wake(requests: CycleRequest[]): Promise<void> {
    if (!requests.length) return;
    const result = await requestCycles({ sql: deps.sql, queues: deps.queues, clock }, requests);
    deps.counters.cyclesRequested += result.queued + result.followUps;
  }

  /** Change notifications: one deduplicated immediate cycle per (mailbox, workload) named. */
  async function notifications(body: NotificationCollection): Promise<ReceiveResult> {
    deps.counters.notificationPosts++;
    const { trusted, rejected, unknown } = await check(body);
    const requests = new Map<string, CycleRequest>();
    const subs = new Map<string, number>();
    for (const { n, sub } of trusted) {
      if (n.lifecycleEvent) continue;
      requests.set(`${sub.mailboxId}:${sub.workload}`, { mailboxId: sub.mailboxId, workload: sub.workload });
      subs.set(sub.id, (subs.get(sub.id) ?? 0) + 1);
    }
    await wake([...requests.values()]);
    if (subs.size) {
      await deps.sql.query(
        Prisma.sql`
        UPDATE "MailboxSubscription" s SET "lastNotificationAt" = ${clock()}::timestamp,
          "notificationCount" = s."notificationCount" + t.n
        FROM unnest(${[...subs.keys()]}::uuid[], ${[...subs.values()]}::int[]) AS t(id, n) WHERE s.id = t.id`,
        { prepare: true },
      );
    }
    deps.counters.notificationsAccepted += trusted.length;
    return verdict(trusted.length, rejected, unknown);
  }

  /**
   * Lifecycle notifications: `missed` → an immediate catch-up cycle; `reauthorizationRequired` → the
   * subscription loop reauthorizes it; `subscriptionRemoved` → it recreates it, and a catch-up cycle
   * runs now (nothing is notified until the new subscription exists).
   */
  async function lifecycle(body: NotificationCollection): Promise<ReceiveResult> {
    deps.counters.lifecyclePosts++;
    const { trusted, rejected, unknown } = await check(body);
    const now = clock();
    const catchUp = new Map<string, CycleRequest>();
    const actions: Array<{ id: string; event: string; state: string | null }> = [];
    for (const { n, sub } of trusted) {
      const event = n.lifecycleEvent ?? 'unknown';
      deps.counters.lifecycleEvents[event] = (deps.counters.lifecycleEvents[event] ?? 0) + 1;
      const state =
        event === 'reauthorizationRequired'
          ? 'ReauthorizationRequired'
          : event === 'subscriptionRemoved'
            ? 'Recreate'
            : null;
      actions.push({ id: sub.id, event, state });
      if (event === 'missed' || event === 'subscriptionRemoved') {
        catchUp.set(`${sub.mailboxId}:${sub.workload}`, { mailboxId: sub.mailboxId, workload: sub.workload });
      }
      if (state) cache.delete(sub.graphSubscriptionId);
    }
    if (actions.length) {
      const changed = await deps.sql.query<{ mailboxId: string; workload: string }>(Prisma.sql`
        UPDATE "MailboxSubscription" s SET
          "lastLifecycleEvent" = a.event, "lastLifecycleAt" = ${now}::timestamp, "updatedAt" = ${now}::timestamp,
          state = COALESCE(a.state::"SubscriptionState", s.state),
          "nextActionAt" = CASE WHEN a.state IS NULL THEN s."nextActionAt" ELSE ${now}::timestamp END
        FROM unnest(${actions.map((a) => a.id)}::uuid[], ${actions.map((a) => a.event)}::text[],
                    ${actions.map((a) => a.state)}::text[]) AS a(id, event, state)
        WHERE s.id = a.id
        RETURNING s."mailboxId", s.workload::text AS workload`);
      await refreshHealth(deps.sql, changed, now);
    }
    await wake([...catchUp.values()]);
    return verdict(trusted.length, rejected, unknown);
  }

  /** One span per POST (webhook notifications / webhook lifecycle) with what it did. */
  const traced =
    (name: string, handle: (body: NotificationCollection) => Promise<ReceiveResult>) =>
    (body: NotificationCollection): Promise<ReceiveResult> =>
      tracer.startActiveSpan(name, async (span) => {
        try {
          const result = await handle(body);
          span.setAttributes({
            'syncfleet.notifications': body.value.length,
            'syncfleet.accepted': result.accepted,
            'syncfleet.rejected': result.rejected,
            'syncfleet.unknown': result.unknown,
            'http.response.status_code': result.status,
          });
          return result;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      });

  return {
    notifications: traced('webhook notifications', notifications),
    lifecycle: traced('webhook lifecycle', lifecycle),
    forget: (graphSubscriptionId: string) => cache.delete(graphSubscriptionId),
  };
}

export type Receiver = ReturnType<typeof createReceiver>;

const tracer = trace.getTracer('syncfleet');
