import { WORKLOAD_DEFINITIONS, WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

export { WORKLOAD_NAMES, type WorkloadName };

/** Every workload job carries the same payload: which mailbox, and when it became due. */
export const workloadJobSchema = z.object({
  mailboxId: z.uuid(),
  workload: z.enum(WORKLOAD_NAMES),
  /** ISO time the scheduler saw it due: lets the worker measure schedule lag. */
  dueAt: z.iso.datetime(),
});
export type WorkloadJob = z.infer<typeof workloadJobSchema>;

export interface QueueDefinition {
  name: WorkloadName;
  description: string;
  /** Options for every job of the queue. */
  jobOptions: JobsOptions;
}

/**
 * The typed catalog: queue name → payload schema and job options. Retries are NOT BullMQ's: the
 * error policy (packages/sync) reschedules in PostgreSQL, which survives a Redis loss, so a job is
 * attempted once. How many finished jobs stay (for Bull Board) is the worker's setting
 * (JOBS_KEEP_*): the next cycle has a new due time, hence a new id, so a kept job blocks nothing.
 */
export const QUEUE_CATALOG = Object.fromEntries(
  WORKLOAD_NAMES.map((name) => [
    name,
    {
      name,
      description: WORKLOAD_DEFINITIONS[name].description,
      jobOptions: { attempts: 1 },
    },
  ]),
) as { [W in WorkloadName]: QueueDefinition & { name: W } };

/**
 * One job per due instance of a (mailbox, workload): BullMQ ignores an add whose id already exists,
 * so repeated ticks and several schedulers never duplicate work. The due time is part of the id so
 * that the next cycle can be queued while the previous job is still being removed from BullMQ (a
 * cycle records its next due time a moment before its job completes); that at most one job RUNS a
 * (mailbox, workload) at a time is the claim's business (packages/sync engine/claim.ts).
 * BullMQ rejects ':' in custom ids.
 */
export function workloadJobId(workload: WorkloadName, mailboxId: string, dueAt: string): string {
  return `${workload}.${mailboxId}.${Date.parse(dueAt)}`;
}
