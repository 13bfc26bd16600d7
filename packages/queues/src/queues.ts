import { Queue, type ConnectionOptions } from 'bullmq';
import {
  QUEUE_CATALOG,
  WORKLOAD_NAMES,
  workloadJobId,
  workloadJobSchema,
  type WorkloadJob,
  type WorkloadName,
} from './catalog';

export type WorkloadQueues = Record<WorkloadName, Queue<WorkloadJob>>;

export function createQueues(connection: ConnectionOptions, prefix: string): WorkloadQueues {
  return Object.fromEntries(
    WORKLOAD_NAMES.map((name) => [
      name,
      new Queue<WorkloadJob>(name, { connection, prefix, defaultJobOptions: QUEUE_CATALOG[name].jobOptions }),
    ]),
  ) as WorkloadQueues;
}

export async function closeQueues(queues: WorkloadQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/** Enqueues due workloads, one job per (mailbox, workload); existing ids are left as they are. */
export async function enqueueWorkloads(queues: WorkloadQueues, jobs: WorkloadJob[]): Promise<void> {
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
          opts: { ...QUEUE_CATALOG[name].jobOptions, jobId: workloadJobId(name, data.mailboxId, data.dueAt) },
        })),
      ),
    ),
  );
}
