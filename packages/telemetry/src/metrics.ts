import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics with prom-client (README "Observability" says why not the OTel Prometheus
 * exporter): one Registry per process, created in its main and passed down like the logger.
 * Names are `syncfleet_<noun>_<unit>`; labels are low-cardinality (workload, outcome, reason,
 * status, queue, state, profile) — never a mailbox. Process metrics keep prom-client's standard
 * names (`process_*`, `nodejs_*`) so the usual Node.js dashboards work unchanged.
 */
export type { Registry };

export interface RegistryOptions {
  /** The role this process plays (worker, scheduler, console, webhooks, …): `syncfleet_build_info`. */
  role: string;
  version?: string;
}

export function createRegistry({ role, version = '0.1.0' }: RegistryOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'syncfleet_build_info',
    help: 'Always 1: the role and version of this process',
    labelNames: ['role', 'version'],
    registers: [registry],
  }).set({ role, version }, 1);
  return registry;
}

/** Seconds, for histograms of waits that range from a millisecond to several minutes. */
const WAIT_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800];

/** What a worker records per cycle (the engine's CycleReport, minus what is per mailbox). */
export interface CycleSample {
  workload: string;
  outcome: string;
  durationMs: number;
  /** From the time the workload became due to the cycle's start. */
  scheduleLagMs?: number;
  itemsProcessed: number;
  itemsFailed: number;
  /** The failure's reason (packages/errors), when the cycle failed. */
  reason?: string;
}

export interface GraphSample {
  method: string;
  status: number;
  /** A 429/503's Retry-After, in ms. */
  retryAfterMs?: number;
}

/** The worker's recorders: called on the hot path, so each binds its label set once. */
export interface WorkerMetrics {
  cycle(sample: CycleSample): void;
  graphResponse(sample: GraphSample): void;
  /** A Graph request waited this long for its connection slot (profile + mailbox limits). */
  slotWait(profileId: string, waitedMs: number): void;
  /** A slot was taken (+1) or given back (-1) by this process. */
  slotHeld(profileId: string, delta: 1 | -1): void;
}

export function workerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  const cycles = new Counter({
    name: 'syncfleet_cycles_total',
    help: 'Cycles run, by workload and outcome (success, yielded, failure, skipped, lost-claim)',
    labelNames: ['workload', 'outcome'],
    registers,
  });
  const failures = new Counter({
    name: 'syncfleet_cycle_failures_total',
    help: 'Failed cycles by workload and error reason (packages/errors reasons table; Conflict = conflicts)',
    labelNames: ['workload', 'reason'],
    registers,
  });
  const duration = new Histogram({
    name: 'syncfleet_cycle_duration_seconds',
    help: 'Duration of a cycle (claim to recorded finish), by workload',
    labelNames: ['workload'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const lag = new Histogram({
    name: 'syncfleet_schedule_lag_seconds',
    help: 'Time from a workload becoming due to its cycle starting, by workload',
    labelNames: ['workload'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const items = new Counter({
    name: 'syncfleet_items_total',
    help: 'Items handled by cycles (incoming: promoted, outgoing: sent, act: synced), by result',
    labelNames: ['workload', 'result'],
    registers,
  });
  const graphRequests = new Counter({
    name: 'syncfleet_graph_requests_total',
    help: 'Microsoft Graph responses by method and HTTP status',
    labelNames: ['method', 'status'],
    registers,
  });
  const throttled = new Counter({
    name: 'syncfleet_graph_throttled_total',
    help: 'Graph responses 429 and 503 (throttling, service unavailable), by status',
    labelNames: ['status'],
    registers,
  });
  const retryAfter = new Histogram({
    name: 'syncfleet_graph_retry_after_seconds',
    help: 'Retry-After waits Graph asked for (429/503), by status',
    labelNames: ['status'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const slotWait = new Histogram({
    name: 'syncfleet_slot_wait_seconds',
    help: 'Time a Graph request waited for a fleet-wide connection slot, by profile',
    labelNames: ['profile'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const slotsInUse = new Gauge({
    name: 'syncfleet_slots_in_use',
    help: "Connection slots this process holds, by profile (sum over replicas ≤ the profile's Max Concurrent Connections)",
    labelNames: ['profile'],
    registers,
  });
  // Bound children, keyed by their label values: prom-client hashes a labels object on every call.
  const bound = <T>(make: (...values: string[]) => T) => {
    const children = new Map<string, T>();
    return (...values: string[]): T => {
      const key = values.join('\u0000');
      let child = children.get(key);
      if (!child) children.set(key, (child = make(...values)));
      return child;
    };
  };
  const cycleOf = bound((w, o) => cycles.labels(w, o));
  const failureOf = bound((w, r) => failures.labels(w, r));
  const durationOf = bound((w) => duration.labels(w));
  const lagOf = bound((w) => lag.labels(w));
  const itemsOf = bound((w, r) => items.labels(w, r));
  const requestOf = bound((m, s) => graphRequests.labels(m, s));
  const slotWaitOf = bound((p) => slotWait.labels(p));
  const slotsOf = bound((p) => slotsInUse.labels(p));
  return {
    cycle(s) {
      cycleOf(s.workload, s.outcome).inc();
      if (s.outcome === 'skipped') return;
      durationOf(s.workload).observe(s.durationMs / 1000);
      if (s.scheduleLagMs !== undefined) lagOf(s.workload).observe(Math.max(0, s.scheduleLagMs) / 1000);
      if (s.itemsProcessed) itemsOf(s.workload, 'processed').inc(s.itemsProcessed);
      if (s.itemsFailed) itemsOf(s.workload, 'failed').inc(s.itemsFailed);
      if (s.reason) failureOf(s.workload, s.reason).inc();
    },
    graphResponse({ method, status, retryAfterMs }) {
      requestOf(method, String(status)).inc();
      if (status === 429 || status === 503) {
        throttled.labels(String(status)).inc();
        if (retryAfterMs !== undefined) retryAfter.labels(String(status)).observe(retryAfterMs / 1000);
      }
    },
    slotWait(profileId, waitedMs) {
      slotWaitOf(profileId).observe(waitedMs / 1000);
    },
    slotHeld(profileId, delta) {
      slotsOf(profileId).inc(delta);
    },
  };
}

export interface TickSample {
  ok: boolean;
  durationMs: number;
  enqueued: number;
}

export interface SchedulerMetrics {
  tick(sample: TickSample): void;
}

export function schedulerMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  const ticks = new Counter({
    name: 'syncfleet_scheduler_ticks_total',
    help: 'Scheduler ticks, by outcome (ok, error)',
    labelNames: ['outcome'],
    registers,
  });
  const tickDuration = new Histogram({
    name: 'syncfleet_scheduler_tick_duration_seconds',
    help: 'Duration of a scheduler tick (due query + enqueue)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const enqueued = new Counter({
    name: 'syncfleet_scheduler_enqueued_total',
    help: 'Jobs the scheduler queued (one per due mailbox workload)',
    registers,
  });
  return {
    tick({ ok, durationMs, enqueued: n }) {
      ticks.labels(ok ? 'ok' : 'error').inc();
      tickDuration.observe(durationMs / 1000);
      if (n) enqueued.inc(n);
    },
  };
}

/** One labelled value of a gauge read at scrape time. */
export interface GaugeReading {
  labels: Record<string, string>;
  value: number;
}

/**
 * A gauge whose values are read when Prometheus scrapes (queue depth, mailboxes by status): the
 * reading costs one query per scrape, nothing between scrapes. Label sets absent from a reading
 * drop out of the next scrape instead of keeping a stale value.
 */
export function scrapedGauge(
  registry: Registry,
  definition: { name: string; help: string; labelNames: string[] },
  read: () => Promise<GaugeReading[]>,
): void {
  new Gauge({
    ...definition,
    registers: [registry],
    async collect() {
      const readings = await read();
      this.reset();
      for (const { labels, value } of readings) this.set(labels, value);
    },
  });
}

/**
 * A counter whose totals a component keeps itself (plain numbers on its hot path, e.g. the webhook
 * receiver's), copied in when Prometheus scrapes. The totals must only grow.
 */
export function scrapedCounter(
  registry: Registry,
  definition: { name: string; help: string; labelNames: string[] },
  read: () => GaugeReading[],
): void {
  new Counter({
    ...definition,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, value } of read()) if (value > 0) this.inc(labels, value);
    },
  });
}
