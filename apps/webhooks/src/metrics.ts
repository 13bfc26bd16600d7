import type { ReceiverCounters } from '@syncfleet/sync';
import { scrapedCounter, type Registry } from '@syncfleet/telemetry';

/** The receiver's counters (kept as plain numbers while it answers Graph), on its /metrics. */
export function registerReceiverMetrics(registry: Registry, counters: ReceiverCounters): void {
  scrapedCounter(
    registry,
    {
      name: 'syncfleet_webhook_notifications_total',
      help: 'Change notifications received, by result (accepted, unknown_subscription, client_state_mismatch)',
      labelNames: ['result'],
    },
    () => [
      { labels: { result: 'accepted' }, value: counters.notificationsAccepted },
      { labels: { result: 'unknown_subscription' }, value: counters.unknownSubscription },
      { labels: { result: 'client_state_mismatch' }, value: counters.clientStateMismatch },
    ],
  );
  scrapedCounter(
    registry,
    {
      name: 'syncfleet_webhook_posts_total',
      help: 'POSTs to the receiver, by endpoint and result (validation, ok, malformed, oversized, failed)',
      labelNames: ['endpoint', 'result'],
    },
    () => [
      { labels: { endpoint: 'any', result: 'validation' }, value: counters.validations },
      { labels: { endpoint: 'notifications', result: 'received' }, value: counters.notificationPosts },
      { labels: { endpoint: 'lifecycle', result: 'received' }, value: counters.lifecyclePosts },
      { labels: { endpoint: 'any', result: 'malformed' }, value: counters.malformed },
      { labels: { endpoint: 'any', result: 'oversized' }, value: counters.oversized },
      { labels: { endpoint: 'any', result: 'failed' }, value: counters.failures },
    ],
  );
  scrapedCounter(
    registry,
    {
      name: 'syncfleet_webhook_lifecycle_events_total',
      help: 'Lifecycle notifications by event (missed, reauthorizationRequired, subscriptionRemoved)',
      labelNames: ['event'],
    },
    () => Object.entries(counters.lifecycleEvents).map(([event, value]) => ({ labels: { event }, value })),
  );
  scrapedCounter(
    registry,
    {
      name: 'syncfleet_webhook_cycles_requested_total',
      help: 'Immediate cycles the receiver asked for (deduplicated per mailbox and workload downstream)',
      labelNames: [],
    },
    () => [{ labels: {}, value: counters.cyclesRequested }],
  );
}
