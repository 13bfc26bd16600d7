import { Worker, type Telemetry } from 'bullmq';
import type { WorkerEnv } from '@syncfleet/config';
import { createRedis, workloadJobSchema, type WorkloadJob } from '@syncfleet/queues';
import { concurrencyVariable, type ConcurrencyVariable } from '@syncfleet/workloads';
import {
  runWorkloadCycle,
  toDbWorkload,
  type CycleReport,
  type EngineResources,
  type JobOutcome,
  type WorkloadHandlers,
} from '@syncfleet/sync';
import type { WorkerMetrics } from '@syncfleet/telemetry';

export interface FleetWorker {
  /** Stops taking jobs; running cycles get `graceMs` to finish, then are told to yield. */
  close(graceMs: number): Promise<void>;
  /** Every queue's BullMQ worker is running (readiness: consuming). */
  consuming(): boolean;
}

/**
 * A finished job's return value, which Bull Board shows: the mailbox (its address — the job's data
 * holds only ids) and what the cycle did.
 */
export interface JobResult {
  outcome: JobOutcome;
  mailbox?: string;
  itemsProcessed: number;
  itemsFailed: number;
  reason?: string;
  durationMs: number;
}

export interface WorkerOptions {
  metrics?: WorkerMetrics;
  /** BullMQ's telemetry (bullmq-otel) when tracing is on: the job's spans, parents of the cycle's. */
  telemetry?: Telemetry;
}

function jobResult(report: CycleReport): JobResult {
  return {
    outcome: report.outcome,
    ...(report.mailboxAddress ? { mailbox: report.mailboxAddress } : {}),
    itemsProcessed: report.itemsProcessed,
    itemsFailed: report.itemsFailed,
    ...(report.reason ? { reason: report.reason } : {}),
    durationMs: report.durationMs,
  };
}

/**
 * Consumes the queues named in WORKLOADS. Each job is parsed against the catalog's schema before
 * the engine sees it. A killed replica's jobs come back through BullMQ's stalled-job check once
 * their lock (LOCK_DURATION_MS) expires; its claims in PostgreSQL expire on the same clock.
 */
export function startWorkers(
  env: Pick<
    WorkerEnv,
    | 'WORKLOADS'
    | 'REDIS_URL'
    | 'REDIS_CLUSTER'
    | 'QUEUE_PREFIX'
    | 'LOCK_DURATION_MS'
    | ConcurrencyVariable
    | 'JOBS_KEEP_COMPLETED'
    | 'JOBS_KEEP_FAILED'
    | 'JOBS_KEEP_AGE_SEC'
  >,
  res: EngineResources,
  handlers: WorkloadHandlers,
  options: WorkerOptions = {},
): FleetWorker {
  const shutdown = new AbortController();
  const workers = env.WORKLOADS.map((name) => {
    const worker = new Worker<WorkloadJob, JobResult>(
      name,
      async (job) => {
        const parsed = workloadJobSchema.safeParse(job.data);
        if (!parsed.success || parsed.data.workload !== name) {
          res.logger.error(
            { jobId: job.id, queue: name, issues: parsed.error?.issues },
            'malformed job payload: dropped',
          );
          return { outcome: 'skipped', itemsProcessed: 0, itemsFailed: 0, durationMs: 0 };
        }
        const report = await runWorkloadCycle(res, handlers, parsed.data, {
          jobId: job.id,
          shutdown: shutdown.signal,
        });
        options.metrics?.cycle({ workload: name, ...report });
        return jobResult(report);
      },
      {
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
        // The last finished jobs stay for Bull Board, bounded by count and age (jobs that throw
        // are rare: infrastructure failures; a mailbox's own failure is a completed job whose
        // outcome says 'failure').
        removeOnComplete: { count: env.JOBS_KEEP_COMPLETED, age: env.JOBS_KEEP_AGE_SEC },
        removeOnFail: { count: env.JOBS_KEEP_FAILED, age: env.JOBS_KEEP_AGE_SEC },
        connection: createRedis(env.REDIS_URL, { cluster: env.REDIS_CLUSTER }),
        prefix: env.QUEUE_PREFIX,
        concurrency: env[concurrencyVariable(name)],
        lockDuration: env.LOCK_DURATION_MS,
        stalledInterval: Math.max(1000, Math.floor(env.LOCK_DURATION_MS / 2)),
        // A stalled job (its worker died) is safe to run again: the claim in PostgreSQL decides
        // whether it does anything. Allow several deaths before BullMQ gives the job up.
        maxStalledCount: 5,
      },
    );
    worker.on('error', (error) => res.logger.error({ err: error, queue: name }, 'worker error'));
    worker.on('failed', (job, error) => {
      res.logger.warn({ jobId: job?.id, queue: name, err: error }, 'job failed');
      // Let the next scheduler tick queue this workload again instead of waiting for
      // SCHEDULER_REQUEUE_AFTER_SEC, under a new job id (the failed job keeps its own for Bull Board).
      const parsed = workloadJobSchema.safeParse(job?.data);
      if (parsed.success) void forgetEnqueued(res, parsed.data);
    });
    return worker;
  });
  return {
    consuming: () => workers.every((w) => w.isRunning() && !w.closing),
    async close(graceMs: number) {
      const yieldTimer = setTimeout(() => shutdown.abort(new Error('worker shutting down')), graceMs);
      try {
        await Promise.all(workers.map((w) => w.close()));
      } finally {
        clearTimeout(yieldTimer);
      }
    },
  };
}

async function forgetEnqueued(res: EngineResources, job: WorkloadJob): Promise<void> {
  try {
    // Moving a due time that has passed to now keeps the workload due and gives its next job a new
    // id (ids carry the due time), so a failed job kept for Bull Board does not block it.
    const now = res.clock();
    await res.prisma.mailboxWorkload.updateMany({
      where: { mailboxId: job.mailboxId, workload: toDbWorkload(job.workload), nextDueAt: { lte: now } },
      data: { enqueuedAt: null, nextDueAt: now },
    });
  } catch (error) {
    res.logger.warn({ err: error, mailboxId: job.mailboxId }, 'could not mark a failed job for re-queueing');
  }
}
