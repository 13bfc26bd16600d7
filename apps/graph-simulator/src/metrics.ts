export type Counter = Map<string, number>;

export interface Metrics {
  requestsTotal: number;
  byMailbox: Counter;
  byApp: Counter;
  byRoute: Counter;
  byStatus: Counter;
  throttled429: number;
  throttledByMailbox: Counter;
  /** Current / maximum observed in-flight Graph requests, per mailbox id and per `${tenantId}:${appId}`. */
  inFlightByMailbox: Counter;
  inFlightByApp: Counter;
  maxConcurrencyByMailbox: Counter;
  maxConcurrencyByApp: Counter;
  /** Requests that arrived before a Retry-After the simulator issued (for that app + mailbox) elapsed. */
  earlyRequests: number;
  earlyRequestsByMailbox: Counter;
  missingAnchorMailbox: number;
  missingAnchorByMailbox: Counter;
  notificationsDelivered: number;
  notificationsFailed: number;
  /** Change notifications dropped (the drop fault, a paused subscription) and `missed` events sent. */
  notificationsProduced: number;
  notificationsDropped: number;
  missedEventsSent: number;
}

export function createMetrics(): Metrics {
  return {
    requestsTotal: 0,
    byMailbox: new Map(),
    byApp: new Map(),
    byRoute: new Map(),
    byStatus: new Map(),
    throttled429: 0,
    throttledByMailbox: new Map(),
    inFlightByMailbox: new Map(),
    inFlightByApp: new Map(),
    maxConcurrencyByMailbox: new Map(),
    maxConcurrencyByApp: new Map(),
    earlyRequests: 0,
    earlyRequestsByMailbox: new Map(),
    missingAnchorMailbox: 0,
    missingAnchorByMailbox: new Map(),
    notificationsDelivered: 0,
    notificationsFailed: 0,
    notificationsProduced: 0,
    notificationsDropped: 0,
    missedEventsSent: 0,
  };
}

export function inc(counter: Counter, key: string, by = 1): number {
  const value = (counter.get(key) ?? 0) + by;
  counter.set(key, value);
  return value;
}

export function resetMetrics(metrics: Metrics): void {
  const fresh = createMetrics();
  // In-flight counts describe requests still running: keep them.
  fresh.inFlightByMailbox = metrics.inFlightByMailbox;
  fresh.inFlightByApp = metrics.inFlightByApp;
  Object.assign(metrics, fresh);
}

/** Tracks one request entering flight; returns the function that ends it. */
export function enterFlight(metrics: Metrics, mailboxId: string | undefined, appKey: string): () => void {
  const a = inc(metrics.inFlightByApp, appKey);
  if (a > (metrics.maxConcurrencyByApp.get(appKey) ?? 0)) metrics.maxConcurrencyByApp.set(appKey, a);
  if (mailboxId) {
    const m = inc(metrics.inFlightByMailbox, mailboxId);
    if (m > (metrics.maxConcurrencyByMailbox.get(mailboxId) ?? 0)) {
      metrics.maxConcurrencyByMailbox.set(mailboxId, m);
    }
  }
  return () => {
    inc(metrics.inFlightByApp, appKey, -1);
    if (mailboxId) inc(metrics.inFlightByMailbox, mailboxId, -1);
  };
}

export function metricsJson(metrics: Metrics): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metrics)) {
    out[key] = value instanceof Map ? Object.fromEntries(value) : value;
  }
  return out;
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, ' ');
}

export function metricsPrometheus(metrics: Metrics): string {
  const lines: string[] = [];
  const scalar = (name: string, value: number) => lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
  const vector = (name: string, labelName: string, counter: Counter) => {
    lines.push(`# TYPE ${name} gauge`);
    for (const [k, v] of counter) lines.push(`${name}{${labelName}="${label(k)}"} ${v}`);
  };
  scalar('graphsim_requests_total', metrics.requestsTotal);
  vector('graphsim_requests_by_mailbox', 'mailbox', metrics.byMailbox);
  vector('graphsim_requests_by_app', 'app', metrics.byApp);
  vector('graphsim_requests_by_route', 'route', metrics.byRoute);
  vector('graphsim_requests_by_status', 'status', metrics.byStatus);
  scalar('graphsim_throttled_total', metrics.throttled429);
  vector('graphsim_throttled_by_mailbox', 'mailbox', metrics.throttledByMailbox);
  vector('graphsim_max_concurrency_by_mailbox', 'mailbox', metrics.maxConcurrencyByMailbox);
  vector('graphsim_max_concurrency_by_app', 'app', metrics.maxConcurrencyByApp);
  scalar('graphsim_early_requests_total', metrics.earlyRequests);
  vector('graphsim_early_requests_by_mailbox', 'mailbox', metrics.earlyRequestsByMailbox);
  scalar('graphsim_missing_anchor_total', metrics.missingAnchorMailbox);
  vector('graphsim_missing_anchor_by_mailbox', 'mailbox', metrics.missingAnchorByMailbox);
  scalar('graphsim_notifications_delivered_total', metrics.notificationsDelivered);
  scalar('graphsim_notifications_failed_total', metrics.notificationsFailed);
  scalar('graphsim_notifications_produced_total', metrics.notificationsProduced);
  scalar('graphsim_notifications_dropped_total', metrics.notificationsDropped);
  scalar('graphsim_missed_events_sent_total', metrics.missedEventsSent);
  return lines.join('\n') + '\n';
}
