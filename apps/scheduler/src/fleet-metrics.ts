import { Prisma, sqlClientOf, type Db } from '@syncfleet/db';
import { WORKLOAD_NAMES, type WorkloadQueues } from '@syncfleet/queues';
import { scrapedGauge, type Registry } from '@syncfleet/telemetry';
import type { Cadence, WorkloadName } from '@syncfleet/workloads';
import { Gauge } from 'prom-client';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/**
 * The fleet's state, read when Prometheus scrapes the scheduler (one query each per scrape, nothing
 * between scrapes): queue depth by state, server-side-sync workloads by status, per profile the
 * workloads enabled / disabled by a failure, and each workload's cadence (alerts compare the
 * schedule lag with it). With several schedulers, every one reports the same values: dashboards
 * and alerts take `max`.
 */
export function registerFleetMetrics(
  registry: Registry,
  deps: { prisma: Db; queues: WorkloadQueues; cadence: Record<WorkloadName, Cadence> },
): void {
  const sql = sqlClientOf(deps.prisma);
  scrapedGauge(
    registry,
    {
      name: 'syncfleet_queue_jobs',
      help: 'BullMQ jobs per workload queue and state (waiting + delayed = the backlog KEDA scales on)',
      labelNames: ['queue', 'state'],
    },
    async () =>
      (
        await Promise.all(
          WORKLOAD_NAMES.map(async (queue) => {
            const counts = await deps.queues[queue].getJobCounts(...JOB_STATES);
            return JOB_STATES.map((state) => ({ labels: { queue, state }, value: counts[state] ?? 0 }));
          }),
        )
      ).flat(),
  );
  scrapedGauge(
    registry,
    {
      name: 'syncfleet_mailbox_workloads',
      help: 'Mailbox workloads on server-side sync, by workload, last status and enabled',
      labelNames: ['workload', 'status', 'enabled'],
    },
    async () => {
      const rows = await sql.query<{ workload: string; status: string; enabled: boolean; n: number }>(
        Prisma.sql`SELECT workload::text AS workload, status::text AS status, enabled, count(*)::int AS n
          FROM "MailboxWorkload" WHERE method = 'ServerSideSync' GROUP BY 1, 2, 3`,
      );
      return rows.map((r) => ({
        labels: { workload: r.workload, status: r.status, enabled: String(r.enabled) },
        value: r.n,
      }));
    },
  );
  scrapedGauge(
    registry,
    {
      name: 'syncfleet_profile_workloads',
      help: 'Server-side-sync workloads per email server profile: enabled, failed (disabled after a failure), disabled',
      labelNames: ['profile', 'state'],
    },
    async () => {
      const rows = await sql.query<{ profile: string; state: string; n: number }>(
        Prisma.sql`SELECT p.name AS profile,
            CASE WHEN w.enabled THEN 'enabled' WHEN w.status = 'Failure' THEN 'failed' ELSE 'disabled' END AS state,
            count(*)::int AS n
          FROM "MailboxWorkload" w JOIN "Mailbox" m ON m.id = w."mailboxId"
            JOIN "EmailServerProfile" p ON p.id = m."profileId"
          WHERE w.method = 'ServerSideSync' GROUP BY 1, 2`,
      );
      return rows.map((r) => ({ labels: { profile: r.profile, state: r.state }, value: r.n }));
    },
  );
  scrapedGauge(
    registry,
    {
      name: 'syncfleet_subscriptions',
      help: 'Graph change-notification subscriptions (push) by workload and state; healthy = Active and not expired',
      labelNames: ['workload', 'state', 'healthy'],
    },
    async () => {
      const rows = await sql.query<{ workload: string; state: string; healthy: boolean; n: number }>(
        Prisma.sql`SELECT workload::text AS workload, state::text AS state,
            (state = 'Active' AND "expiresAt" > now() AT TIME ZONE 'UTC') AS healthy, count(*)::int AS n
          FROM "MailboxSubscription" GROUP BY 1, 2, 3`,
      );
      return rows.map((r) => ({
        labels: { workload: r.workload, state: r.state, healthy: String(r.healthy) },
        value: r.n,
      }));
    },
  );
  scrapedGauge(
    registry,
    {
      name: 'syncfleet_subscriptions_failing',
      help: 'Change-notification subscriptions whose Graph calls keep failing (their workloads poll meanwhile), by workload and whether a Warning alert stands for them (PUSH_ALERT_AFTER_SEC)',
      labelNames: ['workload', 'alerted'],
    },
    async () => {
      const rows = await sql.query<{ workload: string; alerted: boolean; n: number }>(
        Prisma.sql`SELECT workload::text AS workload, ("alertId" IS NOT NULL) AS alerted, count(*)::int AS n
          FROM "MailboxSubscription" WHERE "failingSince" IS NOT NULL GROUP BY 1, 2`,
      );
      return rows.map((r) => ({ labels: { workload: r.workload, alerted: String(r.alerted) }, value: r.n }));
    },
  );
  const cadence = new Gauge({
    name: 'syncfleet_workload_cadence_seconds',
    help: "Each workload's configured interval (adaptive cadences: their longest)",
    labelNames: ['workload'],
    registers: [registry],
  });
  for (const workload of WORKLOAD_NAMES) {
    const c = deps.cadence[workload];
    cadence.set({ workload }, c.kind === 'fixed' ? c.intervalSec : c.maxIntervalWithIncomingSec);
  }
}
