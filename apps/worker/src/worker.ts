import { Worker } from 'bullmq';
import type { WorkerEnv } from '@syncfleet/config';
import { createRedis, workloadJobSchema, type WorkloadJob } from '@syncfleet/queues';
import { concurrencyVariable, type ConcurrencyVariable } from '@syncfleet/workloads';
import {
  runWorkloadJob,
  toDbWorkload,
  type EngineResources,
  type JobOutcome,
  type WorkloadHandlers,
} from '@syncfleet/sync';

export interface FleetWorker {
  /** Stops taking jobs; running cycles get `graceMs` to finish, then are told to yield. */
  close(graceMs: number): Promise<void>;
}

/**
 * Consumes the queues named in WORKLOADS. Each job is parsed against the catalog's schema before
 * the engine sees it. A killed replica's jobs come back through BullMQ's stalled-job check once
 * their lock (LOCK_DURATION_MS) expires; its claims in PostgreSQL expire on the same clock.
 */
export function startWorkers(
  env: Pick<WorkerEnv, 'WORKLOADS' | 'REDIS_URL' | 'QUEUE_PREFIX' | 'LOCK_DURATION_MS' | ConcurrencyVariable>,
  res: EngineResources,
  handlers: WorkloadHandlers,
): FleetWorker {
  const shutdown = new AbortController();
  const workers = env.WORKLOADS.map((name) => {
    const worker = new Worker<WorkloadJob, JobOutcome>(
      name,
      async (job) => {
        const parsed = workloadJobSchema.safeParse(job.data);
        if (!parsed.success || parsed.data.workload !== name) {
          res.logger.error(
            { jobId: job.id, queue: name, issues: parsed.error?.issues },
            'malformed job payload: dropped',
          );
          return 'skipped';
        }
        return runWorkloadJob(res, handlers, parsed.data, { jobId: job.id, shutdown: shutdown.signal });
      },
      {
        connection: createRedis(env.REDIS_URL),
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
      // The job is gone (removeOnFail): let the next scheduler tick queue this workload again
      // instead of waiting for SCHEDULER_REQUEUE_AFTER_SEC.
      const parsed = workloadJobSchema.safeParse(job?.data);
      if (parsed.success) void forgetEnqueued(res, parsed.data);
    });
    return worker;
  });
  return {
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
    await res.prisma.mailboxWorkload.updateMany({
      where: { mailboxId: job.mailboxId, workload: toDbWorkload(job.workload) },
      data: { enqueuedAt: null },
    });
  } catch (error) {
    res.logger.warn({ err: error, mailboxId: job.mailboxId }, 'could not mark a failed job for re-queueing');
  }
}
