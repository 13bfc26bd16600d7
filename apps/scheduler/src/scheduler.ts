import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Prisma, sqlClientOf, type Db, type SqlClient } from '@syncfleet/db';
import {
  enqueueWorkloads,
  WORKLOAD_NAMES,
  type WorkloadJob,
  type WorkloadName,
  type WorkloadQueues,
} from '@syncfleet/queues';
import { claimable, type Clock } from '@syncfleet/sync';
import { pruneSyncRuns } from './retention';
import type { Logger, SchedulerMetrics } from '@syncfleet/telemetry';
import type { Redis } from 'ioredis';

export interface SchedulerDeps {
  prisma: Db;
  queues: WorkloadQueues;
  redis: Redis;
  queuePrefix: string;
  logger: Logger;
  clock: Clock;
  batchSize: number;
  /** A due workload queued this long ago and still due is sent again (its job may be lost). */
  requeueAfterMs: number;
  /** Which workloads this scheduler serves (default all). */
  workloads?: readonly WorkloadName[];
  metrics?: SchedulerMetrics;
}

export interface TickResult {
  enqueued: number;
  /** True when this tick re-queued everything due because Redis had lost its data. */
  fullSweep: boolean;
  /** Oldest due time among what was queued (schedule lag = now - this). */
  oldestDueAt: Date | null;
}

/** Raw rows carry the enum's database label, which is the queue name ('incoming-email', ...). */
interface DueRow {
  mailboxId: string;
  workload: WorkloadName;
  nextDueAt: Date;
}

/**
 * One scheduler tick. PostgreSQL is the source of truth: due workloads (approved mailbox, enabled,
 * server-side sync, due, not postponed, not held by a live claim) are queued with deterministic job
 * ids, in bounded batches, oldest due first. Normally only rows not queued since they became due are
 * sent; when the Redis marker is gone (Redis restarted empty or was flushed), everything due is.
 */
export async function tick(
  deps: SchedulerDeps,
  { requeue = true }: { requeue?: boolean } = {},
): Promise<TickResult> {
  const now = deps.clock();
  const markerKey = `${deps.queuePrefix}:scheduler:marker`;
  const fullSweep = (await deps.redis.exists(markerKey)) === 0;
  // The requeue pass's ids differ from the first enqueue's: that job may have finished (skipped: its
  // claim was still held) and be kept for Bull Board, and an add with its id would be ignored.
  const passes: [Prisma.Sql, string?][] = fullSweep
    ? [[Prisma.empty]]
    : [
        [Prisma.sql`AND ${NOT_QUEUED_FOR_THIS_DUE_TIME}`],
        ...(requeue
          ? [[queuedButLost(now, deps.requeueAfterMs), `r${now.getTime()}`] as [Prisma.Sql, string]]
          : []),
      ];
  let enqueued = 0;
  let oldestDueAt: Date | null = null;
  for (const [pass, idSuffix] of passes) {
    const queued = await sweep(deps, now, pass, idSuffix);
    enqueued += queued.count;
    if (queued.oldestDueAt && (!oldestDueAt || queued.oldestDueAt < oldestDueAt))
      oldestDueAt = queued.oldestDueAt;
  }
  // Set only after a complete sweep: if Redis is flushed again mid-sweep, the next tick sweeps again.
  if (fullSweep) await deps.redis.set(markerKey, now.toISOString());
  if (enqueued) deps.logger.info({ enqueued, fullSweep }, 'scheduler tick queued due workloads');
  return { enqueued, fullSweep, oldestDueAt };
}

/**
 * Due rows never queued for their current due time: the common case, found through a partial index
 * that holds only such rows (migration scheduler_unqueued_index), so a tick costs what is new, not the
 * backlog already queued.
 */
const NOT_QUEUED_FOR_THIS_DUE_TIME = Prisma.sql`(w."enqueuedAt" IS NULL OR w."enqueuedAt" < w."nextDueAt")`;

/** Queues the due rows matching `condition`, in bounded batches, oldest due first. */
async function sweep(
  deps: SchedulerDeps,
  now: Date,
  condition: Prisma.Sql,
  idSuffix?: string,
): Promise<{ count: number; oldestDueAt: Date | null }> {
  const workloads = [...(deps.workloads ?? WORKLOAD_NAMES)];
  const sql = sqlClientOf(deps.prisma);
  let enqueued = 0;
  let oldestDueAt: Date | null = null;
  for (;;) {
    // No cursor needed: every batch marks its rows queued at `now`, which the next batch excludes
    // (and which guarantees progress). Oldest due first.
    const rows = await sql.query<DueRow>(
      Prisma.sql`
      SELECT w."mailboxId", w."workload"::text AS "workload", w."nextDueAt"
      FROM "MailboxWorkload" w JOIN "Mailbox" m ON m.id = w."mailboxId"
      WHERE w."workload" = ANY(${workloads}::"Workload"[]) AND ${claimable(now)}
        AND (w."enqueuedAt" IS NULL OR w."enqueuedAt" < ${now}::timestamp)
        ${condition}
      ORDER BY w."nextDueAt"
      LIMIT ${deps.batchSize}::int`,
      { prepare: true },
    );
    if (!rows.length) break;
    const jobs: WorkloadJob[] = rows.map((r) => ({
      mailboxId: r.mailboxId,
      workload: r.workload,
      dueAt: r.nextDueAt.toISOString(),
    }));
    await enqueueWorkloads(deps.queues, jobs, { idSuffix });
    await markEnqueued(sql, rows, now);
    enqueued += rows.length;
    for (const r of rows) if (!oldestDueAt || r.nextDueAt < oldestDueAt) oldestDueAt = r.nextDueAt;
    if (rows.length < deps.batchSize) break;
  }
  return { count: enqueued, oldestDueAt };
}

/**
 * Rows queued for their due time whose job may be gone: queued long ago (a failed or skipped job is
 * removed), or held by a claim whose lease expired (its job died, and BullMQ's stalled check may
 * have re-run it too early). A job still waiting gets a twin (a new id): the claim lets one of them
 run the cycle, the other is skipped. This pass walks the
 * whole due backlog, so the loop runs it less often than every tick (startScheduler).
 */
function queuedButLost(now: Date, requeueAfterMs: number): Prisma.Sql {
  const stale = new Date(now.getTime() - requeueAfterMs);
  return Prisma.sql`AND w."enqueuedAt" >= w."nextDueAt" AND (w."enqueuedAt" < ${stale}::timestamp
    OR (w."processingState" = 'Processing' AND w."processingLeaseUntil" < ${now}::timestamp))`;
}

/** One statement for a whole batch, its shape independent of the batch size (so it is prepared once). */
async function markEnqueued(sql: SqlClient, rows: DueRow[], now: Date): Promise<void> {
  await sql.query(
    Prisma.sql`
    UPDATE "MailboxWorkload" w SET "enqueuedAt" = ${now}::timestamp
    FROM unnest(${rows.map((r) => r.mailboxId)}::uuid[], ${rows.map((r) => r.workload)}::"Workload"[]) AS k(id, workload)
    WHERE w."mailboxId" = k.id AND w."workload" = k.workload`,
    { prepare: true },
  );
}

const REQUEUE_PASS_EVERY_MS = 1_000;

const tracer = trace.getTracer('syncfleet');

/** A tick in its span `scheduler tick` (its SQL and BullMQ adds are children), counted in metrics. */
function tracedTick(deps: SchedulerDeps, requeue: boolean): Promise<TickResult> {
  return tracer.startActiveSpan('scheduler tick', async (span) => {
    const started = performance.now();
    try {
      const result = await tick(deps, { requeue });
      deps.metrics?.tick({ ok: true, durationMs: performance.now() - started, enqueued: result.enqueued });
      if (span.isRecording()) {
        span.setAttributes({
          'syncfleet.enqueued': result.enqueued,
          'syncfleet.full_sweep': result.fullSweep,
          'syncfleet.requeue_pass': requeue,
        });
      }
      return result;
    } catch (error) {
      deps.metrics?.tick({ ok: false, durationMs: performance.now() - started, enqueued: 0 });
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

export interface SchedulerLoop {
  stop(): Promise<void>;
  /** When a tick last completed (epoch ms, 0 before the first): readiness checks it is recent. */
  lastTickAt(): number;
}

export interface LoopOptions {
  tickMs: number;
  /** SyncRun history older than this is pruned, checked every `pruneEveryMs`. */
  retentionDays: number;
  pruneEveryMs?: number;
}

/**
 * Runs `tick` every `tickMs` until stopped, and prunes old SyncRun history now and then; a failing
 * tick is logged and the loop goes on.
 */
export function startScheduler(
  deps: SchedulerDeps,
  options: LoopOptions,
  onTick?: (r: TickResult) => void,
): SchedulerLoop {
  const { tickMs, retentionDays, pruneEveryMs = 600_000 } = options;
  let lastPrune = 0;
  let lastRequeue = 0;
  let lastTickAt = 0;
  const pass = async () => {
    // The requeue pass walks the due backlog: at most once a second, however short the tick.
    const started = deps.clock().getTime();
    const requeue = started - lastRequeue >= REQUEUE_PASS_EVERY_MS;
    if (requeue) lastRequeue = started;
    // Not `onTick?.(await tick(deps))`: an optional call skips evaluating its arguments.
    const result = await tracedTick(deps, requeue);
    lastTickAt = Date.now();
    onTick?.(result);
    const now = deps.clock();
    if (now.getTime() - lastPrune >= pruneEveryMs) {
      lastPrune = now.getTime();
      const pruned = await pruneSyncRuns(deps.prisma, now, retentionDays);
      if (pruned) deps.logger.info({ pruned, retentionDays }, 'pruned old sync runs');
    }
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    running = pass()
      .catch((error: unknown) => deps.logger.error({ err: error }, 'scheduler tick failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, tickMs);
      });
  };
  loop();
  return {
    lastTickAt: () => lastTickAt,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
