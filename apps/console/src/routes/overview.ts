import type { FastifyInstance } from 'fastify';
import type { Db } from '@syncfleet/db';
import { z } from 'zod';
import { WORKLOAD_DEFINITIONS, WORKLOAD_NAMES } from '@syncfleet/workloads';
import { fleetBacklog, mailboxBacklog } from '../backlog';
import { notFound, parse } from '../errors';
import { uuidParam } from '../schemas';
import type { RouteDeps } from '../types';

export const seriesQuery = z.strictObject({
  minutes: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(60),
});

const COUNTED = ['waiting', 'active', 'delayed', 'failed'] as const;
const OVERVIEW_TTL_MS = 2_000;

/**
 * The dashboard's data: the fleet overview (counts straight from PostgreSQL, queue depth from
 * Redis, connection slots from the limiter's leases), per-minute series of cycles from SyncRun
 * rows, and the backlog. Every workload comes from the workload definitions, so a new workload
 * shows without a change here.
 */
export function overviewRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { prisma, clock, queues } = deps;

  // Every open dashboard polls this; at 100k mailboxes it reads ~300k rows. One answer serves all
  // polls within OVERVIEW_TTL_MS (per console process).
  let cached: { at: number; body: Promise<unknown> } | undefined;
  app.get('/api/overview', async () => {
    const at = clock().getTime();
    if (!cached || at - cached.at >= OVERVIEW_TTL_MS || at < cached.at) {
      const body = overview();
      cached = { at, body };
      body.catch(() => (cached = undefined));
    }
    return cached.body;
  });

  async function overview() {
    const now = clock();
    const nowIso = now.toISOString();
    const [workloadRows, approvalRows, enabledRow, profiles, profileRows, alertRows, emailRows, queueCounts] =
      await Promise.all([
        prisma.$queryRaw<
          {
            workload: string;
            status: string;
            enabled: boolean;
            n: bigint;
            processing: bigint;
            due: bigint;
            maxLagSec: number | null;
          }[]
        >`SELECT "workload"::text AS workload, "status"::text AS status, "enabled", count(*) AS n,
            count(*) FILTER (WHERE "processingState" = 'Processing') AS processing,
            count(*) FILTER (WHERE "enabled" AND "method" = 'ServerSideSync' AND "nextDueAt" <= ${nowIso}::timestamp) AS due,
            max(EXTRACT(EPOCH FROM (${nowIso}::timestamp - "nextDueAt")))
              FILTER (WHERE "enabled" AND "method" = 'ServerSideSync' AND "nextDueAt" <= ${nowIso}::timestamp)::float8 AS "maxLagSec"
          FROM "MailboxWorkload" GROUP BY 1, 2, 3`,
        prisma.mailbox.groupBy({ by: ['approvalState'], _count: { _all: true } }),
        prisma.$queryRaw<{ enabled: bigint }[]>`SELECT count(*) AS enabled FROM "Mailbox" m
          WHERE EXISTS (SELECT 1 FROM "MailboxWorkload" w WHERE w."mailboxId" = m."id" AND w."enabled")`,
        prisma.emailServerProfile.findMany({
          select: { id: true, name: true, maxConcurrentConnections: true },
          orderBy: { name: 'asc' },
        }),
        prisma.$queryRaw<{ profileId: string; mailboxes: bigint; failures: bigint; throttled: bigint }[]>`
          SELECT m."profileId", count(DISTINCT m."id") AS mailboxes,
            count(*) FILTER (WHERE w."status" = 'Failure') AS failures,
            count(*) FILTER (WHERE w."postponedUntil" > ${nowIso}::timestamp AND w."lastErrorCode" = 'Throttled') AS throttled
          FROM "Mailbox" m JOIN "MailboxWorkload" w ON w."mailboxId" = m."id" GROUP BY 1`,
        prisma.$queryRaw<{ profileId: string; severity: string; n: bigint }[]>`
          SELECT COALESCE(a."profileId", m."profileId") AS "profileId", a."severity"::text AS severity, count(*) AS n
          FROM "Alert" a LEFT JOIN "Mailbox" m ON m."id" = a."mailboxId"
          WHERE a."acknowledgedAt" IS NULL GROUP BY 1, 2`,
        prisma.$queryRaw<{ direction: string; status: string; n: bigint }[]>`
          SELECT "direction"::text AS direction, "status"::text AS status, count(*) AS n
          FROM "EmailActivity" GROUP BY 1, 2`,
        Promise.all(
          WORKLOAD_NAMES.map(async (name) => {
            const counts = await queues[name].getJobCounts(...COUNTED);
            return { name, counts: Object.fromEntries(COUNTED.map((s) => [s, counts[s] ?? 0])) };
          }),
        ),
      ]);

    const slots = await slotsInUse(
      deps,
      profiles.map((p) => p.id),
    );
    const workloads = WORKLOAD_NAMES.map((name) => {
      const mine = workloadRows.filter((r) => r.workload === name);
      const sum = (pick: (r: (typeof mine)[number]) => boolean) =>
        mine.filter(pick).reduce((a, r) => a + Number(r.n), 0);
      const lags = mine.map((r) => r.maxLagSec ?? 0);
      return {
        workload: name,
        label: WORKLOAD_DEFINITIONS[name].label,
        enabled: sum((r) => r.enabled),
        disabled: sum((r) => !r.enabled),
        byStatus: {
          NotRun: sum((r) => r.status === 'NotRun'),
          Success: sum((r) => r.status === 'Success'),
          Failure: sum((r) => r.status === 'Failure'),
        },
        processing: mine.reduce((a, r) => a + Number(r.processing), 0),
        due: mine.reduce((a, r) => a + Number(r.due), 0),
        maxLagSec: Math.round(Math.max(0, ...lags)),
      };
    });
    const byApproval = Object.fromEntries(
      ['Empty', 'Approved', 'PendingApproval', 'Rejected'].map((state) => [
        state,
        approvalRows.find((r) => r.approvalState === state)?._count._all ?? 0,
      ]),
    );
    const total = Object.values(byApproval).reduce((a, b) => a + b, 0);
    const enabled = Number(enabledRow[0]?.enabled ?? 0);
    const alertCount = (profileId: string | null, severity: string) =>
      alertRows
        .filter((r) => (profileId === null || r.profileId === profileId) && r.severity === severity)
        .reduce((a, r) => a + Number(r.n), 0);
    const email = (direction: string, status: string) =>
      Number(emailRows.find((r) => r.direction === direction && r.status === status)?.n ?? 0);
    return {
      generatedAt: nowIso,
      mailboxes: { total, enabled, disabled: total - enabled, byApproval },
      workloads,
      profiles: profiles.map((p) => {
        const row = profileRows.find((r) => r.profileId === p.id);
        return {
          id: p.id,
          name: p.name,
          mailboxes: Number(row?.mailboxes ?? 0),
          failures: Number(row?.failures ?? 0),
          throttled: Number(row?.throttled ?? 0),
          maxConcurrentConnections: p.maxConcurrentConnections,
          connectionsInUse: slots.get(p.id) ?? 0,
          openAlerts: {
            Error: alertCount(p.id, 'Error'),
            Warning: alertCount(p.id, 'Warning'),
            Information: alertCount(p.id, 'Information'),
          },
        };
      }),
      alerts: {
        Error: alertCount(null, 'Error'),
        Warning: alertCount(null, 'Warning'),
        Information: alertCount(null, 'Information'),
      },
      emails: {
        received: email('Incoming', 'Received'),
        pendingSend: email('Outgoing', 'PendingSend'),
        sending: email('Outgoing', 'Sending'),
        sent: email('Outgoing', 'Sent'),
        failed: email('Outgoing', 'Failed'),
        bounced: email('Outgoing', 'Bounced'),
      },
      queues: queueCounts,
    };
  }

  // Per minute and workload: cycles, items, failures and schedule lag (seriesRows).
  app.get('/api/overview/series', async (request) => {
    const { minutes } = parse(seriesQuery, request.query);
    const now = clock();
    const since = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (minutes - 1) * 60_000);
    const rows = await seriesRows(prisma, since);
    const minutesList = Array.from({ length: minutes }, (_, i) => new Date(since.getTime() + i * 60_000));
    return {
      minutes: minutesList.map((m) => m.toISOString()),
      workloads: WORKLOAD_NAMES.map((name) => {
        const mine = new Map(rows.filter((r) => r.workload === name).map((r) => [r.minute.getTime(), r]));
        const pick = (f: (r: (typeof rows)[number]) => number | null) =>
          minutesList.map((m) => {
            const r = mine.get(m.getTime());
            return r ? f(r) : null;
          });
        return {
          workload: name,
          label: WORKLOAD_DEFINITIONS[name].label,
          cycles: pick((r) => Number(r.cycles)).map((v) => v ?? 0),
          items: pick((r) => Number(r.items)).map((v) => v ?? 0),
          failures: pick((r) => Number(r.failures)).map((v) => v ?? 0),
          avgLagSec: pick((r) => (r.avgLagSec === null ? null : Math.round(r.avgLagSec * 10) / 10)),
          maxLagSec: pick((r) => (r.maxLagSec === null ? null : Math.round(r.maxLagSec * 10) / 10)),
        };
      }),
    };
  });

  app.get('/api/backlog', async () => fleetBacklog(prisma));

  app.get('/api/mailboxes/:id/backlog', async (request) => {
    const { id } = parse(uuidParam, request.params);
    const exists = await prisma.mailbox.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw notFound('Mailbox', id);
    return { mailboxId: id, kinds: await mailboxBacklog(prisma, id) };
  });
}

/** Connection slots each profile holds right now, fleet-wide (the limiter's unexpired leases). */
async function slotsInUse(deps: RouteDeps, profileIds: string[]): Promise<Map<string, number>> {
  const queue = deps.queues[WORKLOAD_NAMES[0]!];
  const prefix = queue.opts.prefix ?? 'bull';
  const client = await queue.getBackend().connection.client;
  const now = String(Date.now());
  const counts = await Promise.all(
    profileIds.map((id) => client.runCommand('zcount', [`${prefix}:limiter:profile:${id}`, now, '+inf'])),
  );
  return new Map(profileIds.map((id, i) => [id, Number(counts[i] ?? 0)]));
}

/**
 * Per minute and workload: cycles, items, failures and schedule lag (a cycle's start minus the
 * due time its job was queued for: the job id's third dot-separated part, packages/queues
 * catalog.ts workloadJobId; a requeued job adds a fourth). The job id is taken apart with split_part
 * and two cheap regular expressions: the former single pattern `^[^.]+\.[0-9a-f-]{36}\.([0-9]{10,})`
 * (a bounded repeat and a capture group, evaluated twice per row for avg and max) cost ~40 µs a
 * row, 1.6 s for 40,000 runs (npm run bench:console). The test is the same — a non-empty first
 * part, a second of exactly 36 characters out of [0-9a-f-], a third starting with 10 or more digits
 * (those digits: the due time in ms) — and overview-series.test.ts holds both to the same answers.
 * `runs` is materialised so the lag is computed once per row.
 */
export function seriesRows(prisma: Db, since: Date) {
  return prisma.$queryRaw<
    {
      minute: Date;
      workload: string;
      cycles: bigint;
      items: bigint;
      failures: bigint;
      avgLagSec: number | null;
      maxLagSec: number | null;
    }[]
  >`WITH runs AS MATERIALIZED (
      SELECT date_trunc('minute', "startedAt") AS minute, "workload", "itemsProcessed", "outcome",
        CASE WHEN position('.' IN "jobId") > 1 AND length(j.mailbox) = 36 AND j.mailbox !~ '[^0-9a-f-]'
            AND length(j.due) >= 10
          THEN GREATEST(0, EXTRACT(EPOCH FROM ("startedAt" - (to_timestamp(j.due::float8 / 1000) AT TIME ZONE 'UTC'))))
        END AS lag
      FROM "SyncRun",
        LATERAL (SELECT split_part("jobId", '.', 2) AS mailbox,
          substring(split_part("jobId", '.', 3) FROM '^[0-9]+') AS due) j
      WHERE "startedAt" >= ${since.toISOString()}::timestamp)
    SELECT minute, "workload"::text AS workload, count(*) AS cycles, COALESCE(sum("itemsProcessed"), 0) AS items,
      count(*) FILTER (WHERE "outcome" IN ('TransientFailure', 'PermanentFailure')) AS failures,
      avg(lag)::float8 AS "avgLagSec", max(lag)::float8 AS "maxLagSec"
    FROM runs GROUP BY 1, 2 ORDER BY 1`;
}
