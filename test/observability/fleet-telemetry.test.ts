import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { createFleetFixture, type FleetFixture } from '@syncfleet/sync/testing';
import { REPO_ROOT, spawnApp, stopAll, type FleetProcess } from '@syncfleet/testing/processes';
import {
  createTestDatabase,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
  type TestDatabase,
} from '@syncfleet/testing';
import { OPS_LINE, scrape, startOtlpReceiver, total, type ReceivedSpan } from './support';

/**
 * The fleet as processes (scheduler, two workers, console) exporting traces to an OTLP receiver on
 * loopback and serving /metrics on their operations ports, against the Graph simulator with a
 * burst of 429s. Traces: a cycle span with its Graph and SQL children, under the BullMQ job span.
 * Metrics: what each role reports equals what happened (SyncRun rows, the simulator's 429s), and
 * every metric the Grafana dashboard and the alert rules query exists in these scrapes.
 */
const MAILBOXES = 6;
const THROTTLES = 4;
const KEEP_COMPLETED = 5;
const ADMIN_TOKEN = 'f3b9c1d7a2e84b6f9c0d1e2a3b4c5d6e7f8091a2b3c4d5e6';

let db: TestDatabase;
let redisServer: PrivateRedis;
let fx: FleetFixture;
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
const processes: FleetProcess[] = [];
const ops = new Map<string, string>();
const prefix = '{telemetry}';

function env(host: string): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    REDIS_URL: redisServer.url,
    QUEUE_PREFIX: prefix,
    HOST_ID: host,
    LOG_LEVEL: 'info',
    SECRET_KEYS: fx.secretKeys.join(','),
    GRAPH_CA_FILE: fx.sim.caPath,
    GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
    WORKLOADS: 'incoming-email',
    INCOMING_INTERVAL_SEC: '1',
    INCOMING_DEFAULT_FILTER: 'All',
    SCHEDULER_TICK_MS: '300',
    SHUTDOWN_GRACE_MS: '2000',
    JOBS_KEEP_COMPLETED: String(KEEP_COMPLETED),
    OPS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

async function start(
  app: 'scheduler' | 'worker' | 'console',
  name: string,
  extra: Record<string, string> = {},
) {
  const p = spawnApp(app, name, { ...env(name), ...extra });
  processes.push(p);
  const [, url] = await p.waitForLine(OPS_LINE, 60_000);
  ops.set(name, url!);
  return p;
}

beforeAll(async () => {
  [db, redisServer, otlp] = await Promise.all([
    createTestDatabase('telemetry'),
    startPrivateRedis(),
    startOtlpReceiver(),
  ]);
  fx = await createFleetFixture(db.prisma, { mailboxes: MAILBOXES, maxConcurrentConnections: 4 });
  // Mail to promote (SQL through Prisma), and a burst of 429s with a Retry-After.
  for (const m of fx.mailboxes) {
    await fx.sim.admin.inbound(m.simId, {
      from: 'customer@fabrikam.test',
      to: [m.address],
      subject: 'Hello',
    });
  }
  await fx.sim.admin.addFault({ status: 429, retryAfterSeconds: 1, count: THROTTLES });
  await Promise.all([
    start('scheduler', 'scheduler'),
    start('worker', 'worker-1'),
    start('worker', 'worker-2'),
    start('console', 'console', { ADMIN_TOKEN, CONSOLE_PORT: '0' }),
  ]);
}, 120_000);

afterAll(async () => {
  await stopAll(processes);
  await fx?.close();
  await Promise.all([db?.drop(), redisServer?.stop(), otlp?.close()]);
});

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
  spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);

function descendantsOf(spans: ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of childrenOf(spans, queue.shift()!)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

describe('observability of the running fleet', () => {
  it('every role is live and ready on its operations port', async () => {
    for (const [name, url] of ops) {
      const health = await fetch(`${url}/healthz`);
      expect([name, health.status]).toEqual([name, 200]);
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, {
        timeoutMs: 20_000,
        description: `${name} ready`,
      });
    }
  });

  it('traces a cycle: its Graph and SQL children, under the BullMQ job span', async () => {
    const found = await waitFor(
      () => {
        const spans = otlp.spans;
        for (const cycle of spans.filter((s) => s.name === 'cycle incoming-email')) {
          const below = descendantsOf(spans, cycle);
          const graph = below.find((s) => s.attributes['http.request.method'] !== undefined);
          const prisma = below.find((s) => s.name.startsWith('prisma:'));
          const sql = below.find((s) => s.name.startsWith('sql '));
          const parent = spans.find((s) => s.traceId === cycle.traceId && s.spanId === cycle.parentSpanId);
          if (graph && prisma && sql && parent && Number(cycle.attributes['syncfleet.items.processed']) > 0)
            return { cycle, graph, prisma, sql, parent };
        }
        return undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        description: 'a promoting cycle traced with Graph, Prisma and SQL children',
      },
    );
    expect(found.cycle.service).toBe('syncfleet-worker');
    expect(found.cycle.attributes).toMatchObject({
      'syncfleet.workload': 'incoming-email',
      'syncfleet.outcome': 'success',
      'syncfleet.yielded': false,
    });
    expect(fx.mailboxes.map((m) => m.id)).toContain(found.cycle.attributes['syncfleet.mailbox.id']);
    expect(typeof found.cycle.attributes['syncfleet.schedule_lag_ms']).toBe('number');
    // The job span BullMQ's telemetry made around the processor.
    expect(found.parent.scope).toBe('bullmq');
    expect(found.parent.name).toMatch(/incoming-email/);
    // Graph: method, route template, status — never an address, a token or a query string.
    expect(found.graph.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    expect(String(found.graph.attributes['url.template'])).toMatch(/^\/v1\.0\/users\/\{id\}\//);
    expect(typeof found.graph.attributes['syncfleet.slot_wait_ms']).toBe('number');
    for (const span of otlp.spans) {
      expect(JSON.stringify(span.attributes)).not.toMatch(/@contoso\.test|deltatoken|skiptoken|Bearer/i);
      expect(span.name).not.toMatch(/@|\?/);
    }
    // A throttled request carries the Retry-After it was given.
    await waitFor(() => otlp.spans.some((s) => s.attributes['http.response.status_code'] === 429), {
      timeoutMs: 30_000,
      description: 'a 429 span',
    });
    const throttled = otlp.spans.find((s) => s.attributes['http.response.status_code'] === 429)!;
    expect(throttled.attributes['syncfleet.retry_after_ms']).toBe(1000);
    // The scheduler's tick is traced too.
    expect(otlp.spans.some((s) => s.service === 'syncfleet-scheduler' && s.name === 'scheduler tick')).toBe(
      true,
    );
  });

  it('/metrics of every role agrees with what happened; the dashboard and alerts query only real metrics', async () => {
    await waitFor(
      async () => {
        const runs = await db.prisma.syncRun.groupBy({
          by: ['mailboxId'],
          where: { outcome: 'Success' },
          _count: { _all: true },
        });
        const metrics = await fx.sim.admin.metrics();
        return (
          runs.length === MAILBOXES &&
          runs.every((r) => r._count._all >= 2) &&
          (metrics.byStatus['429'] ?? 0) >= THROTTLES
        );
      },
      { timeoutMs: 60_000, intervalMs: 250, description: 'every mailbox cycled twice and the 429s answered' },
    );
    // Quiesce: no new jobs, none left queued or running.
    const scheduler = processes.find((p) => p.name === 'scheduler')!;
    const schedulerScrape = await scrape(ops.get('scheduler')!);
    const schedulerSamples = schedulerScrape.samples;
    scheduler.kill('SIGTERM');
    await scheduler.exited;
    const queue = new Queue('incoming-email', { connection: { url: redisServer.url }, prefix });
    try {
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          const processing = await db.prisma.mailboxWorkload.count({
            where: { processingState: 'Processing' },
          });
          return Object.values(counts).every((n) => n === 0) && processing === 0;
        },
        { timeoutMs: 30_000, intervalMs: 100, description: 'queue drained and nothing processing' },
      );
      const workerScrapes = await Promise.all(['worker-1', 'worker-2'].map((w) => scrape(ops.get(w)!)));
      const workers = workerScrapes.map((w) => w.samples);
      const consoleScrape = await scrape(ops.get('console')!);
      const consoleSamples = consoleScrape.samples;
      const sum = (name: string, where: Record<string, string> = {}) =>
        workers.reduce((n, samples) => n + total(samples, name, where), 0);

      const runs = await db.prisma.syncRun.count();
      const recorded = ['success', 'yielded', 'failure'].reduce(
        (n, outcome) => n + sum('syncfleet_cycles_total', { workload: 'incoming-email', outcome }),
        0,
      );
      expect(recorded).toBe(runs);
      const items = await db.prisma.syncRun.aggregate({ _sum: { itemsProcessed: true } });
      expect(sum('syncfleet_items_total', { result: 'processed' })).toBe(items._sum.itemsProcessed);
      expect(items._sum.itemsProcessed).toBeGreaterThan(0);
      const sim = await fx.sim.admin.metrics();
      expect(sum('syncfleet_graph_requests_total', { status: '429' })).toBe(sim.byStatus['429']);
      expect(sum('syncfleet_graph_throttled_total', { status: '429' })).toBe(sim.byStatus['429']);
      const answered = Object.values(sim.byStatus).reduce((n, c) => n + c, 0);
      expect(sum('syncfleet_graph_requests_total')).toBe(answered);
      expect(sum('syncfleet_graph_retry_after_seconds_count', { status: '429' })).toBe(sim.byStatus['429']);
      expect(sum('syncfleet_slots_in_use')).toBe(0);
      expect(sum('syncfleet_slot_wait_seconds_count')).toBe(answered);
      expect(sum('syncfleet_schedule_lag_seconds_count')).toBe(runs);

      expect(total(schedulerSamples, 'syncfleet_scheduler_enqueued_total')).toBeGreaterThanOrEqual(MAILBOXES);
      expect(total(schedulerSamples, 'syncfleet_scheduler_ticks_total', { outcome: 'ok' })).toBeGreaterThan(
        0,
      );
      expect(
        total(schedulerSamples, 'syncfleet_mailbox_workloads', {
          workload: 'incoming-email',
          enabled: 'true',
        }),
      ).toBe(MAILBOXES);
      expect(
        total(schedulerSamples, 'syncfleet_workload_cadence_seconds', { workload: 'incoming-email' }),
      ).toBe(1);
      expect(
        schedulerSamples.some(
          (s) => s.name === 'syncfleet_queue_jobs' && s.labels.queue === 'incoming-email',
        ),
      ).toBe(true);
      expect(total(consoleSamples, 'syncfleet_build_info', { role: 'console' })).toBe(1);
      for (const samples of [...workers, schedulerSamples, consoleSamples]) {
        expect(total(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
        // Low cardinality: no label carries a mailbox (id or address).
        for (const s of samples) {
          for (const value of Object.values(s.labels)) {
            expect(fx.mailboxes.some((m) => value === m.id || value === m.address)).toBe(false);
          }
        }
      }

      // Bull Board: the last finished jobs stay, bounded, with the mailbox address and the outcome.
      const completed = await queue.getJobs(['completed'], 0, 100);
      expect(completed.length).toBe(KEEP_COMPLETED);
      const addresses = new Set(fx.mailboxes.map((m) => m.address));
      for (const job of completed) {
        const result = job.returnvalue as { outcome: string; mailbox?: string };
        expect(['success', 'yielded', 'skipped']).toContain(result.outcome);
        if (result.outcome !== 'skipped') expect(addresses.has(result.mailbox!)).toBe(true);
      }

      // Every metric the dashboard and the alert rules query is in these real scrapes.
      const scraped = new Set(
        [...workerScrapes, schedulerScrape, consoleScrape].flatMap((s) => [...s.declared]),
      );
      const queried = queriedMetrics();
      expect(queried.size).toBeGreaterThan(8);
      expect([...queried].filter((name) => !scraped.has(name))).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});

/** Metric names in the Grafana dashboard's targets, the alert rules' and KEDA's queries. */
function queriedMetrics(): Set<string> {
  const names = new Set<string>();
  const collect = (expr: string) => {
    for (const [name] of expr.matchAll(/\b(?:syncfleet|process|nodejs)_[a-z0-9_]+/g)) names.add(name);
  };
  const dashboard = JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'k8s/monitoring/grafana-dashboard.json'), 'utf8'),
  ) as { panels: { targets?: { expr: string }[] }[] };
  for (const panel of dashboard.panels) for (const target of panel.targets ?? []) collect(target.expr);
  const rules = parseYaml(
    readFileSync(path.join(REPO_ROOT, 'k8s/monitoring/prometheus-rules.yaml'), 'utf8'),
  ) as {
    spec: { groups: { rules: { expr: string }[] }[] };
  };
  for (const group of rules.spec.groups) for (const rule of group.rules) collect(rule.expr);
  // The query KEDA scales the workers on.
  const scaled = parseYaml(
    readFileSync(path.join(REPO_ROOT, 'k8s/base/worker-scaledobject.yaml'), 'utf8'),
  ) as {
    spec: { triggers: { metadata: { query: string } }[] };
  };
  for (const trigger of scaled.spec.triggers) collect(trigger.metadata.query);
  return names;
}
