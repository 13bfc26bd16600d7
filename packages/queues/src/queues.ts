import { Queue, type ConnectionOptions, type Telemetry } from 'bullmq';
import {
  QUEUE_CATALOG,
  WORKLOAD_NAMES,
  workloadJobId,
  workloadJobSchema,
  type WorkloadJob,
  type WorkloadName,
} from './catalog';

export type WorkloadQueues = Record<WorkloadName, Queue<WorkloadJob>>;

/** `telemetry`: BullMQ's OpenTelemetry option (bullmq-otel), when the app started tracing. */
export function createQueues(
  connection: ConnectionOptions,
  prefix: string,
  telemetry?: Telemetry,
): WorkloadQueues {
  return Object.fromEntries(
    WORKLOAD_NAMES.map((name) => [
      name,
      new Queue<WorkloadJob>(name, {
        connection,
        prefix,
        defaultJobOptions: QUEUE_CATALOG[name].jobOptions,
        ...(telemetry ? { telemetry } : {}),
      }),
    ]),
  ) as WorkloadQueues;
}

export async function closeQueues(queues: WorkloadQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/**
 * Enqueues due workloads, one job per (mailbox, workload); existing ids are left as they are.
 * `idSuffix` makes ids distinct from an earlier enqueue of the same due time (the scheduler's
 * requeue pass: that job may have finished without running the cycle and still be kept).
 */
export async function enqueueWorkloads(
  queues: WorkloadQueues,
  jobs: WorkloadJob[],
  { idSuffix }: { idSuffix?: string } = {},
): Promise<void> {
  const byQueue = new Map<WorkloadName, WorkloadJob[]>();
  for (const job of jobs) {
    const parsed = workloadJobSchema.parse(job);
    byQueue.set(parsed.workload, [...(byQueue.get(parsed.workload) ?? []), parsed]);
  }
  await Promise.all(
    [...byQueue].map(([name, batch]) =>
      queues[name].addBulk(
        batch.map((data) => ({
          name,
          data,
          opts: {
            ...QUEUE_CATALOG[name].jobOptions,
            jobId: workloadJobId(name, data.mailboxId, data.dueAt) + (idSuffix ? `.${idSuffix}` : ''),
          },
        })),
      ),
    ),
  );
}
