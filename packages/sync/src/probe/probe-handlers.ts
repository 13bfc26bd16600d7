import { WORKLOAD_DEFINITIONS, type WorkloadName } from '@syncfleet/workloads';
import type { CycleContext, CycleResult, WorkloadHandler, WorkloadHandlers } from '../engine/types';

/** Graph path of a mailbox's user: the id learned at Test & Enable, else the SMTP address (UPN). */
export function userPath(mailbox: { graphUserId: string | null; address: string }): string {
  return `/users/${encodeURIComponent(mailbox.graphUserId ?? mailbox.address)}`;
}

/**
 * Mailbox probe: one real Graph read per cycle, through the same slots, throttling and error policy
 * as a full workload. It is the engine's health check for a mailbox and what the fleet runs until a
 * workload's full handler replaces it (see README "What is not done yet"). It records what it saw
 * in the checkpoint and counts no items.
 */
function probe<W extends WorkloadName>(workload: W): WorkloadHandler & { workload: W } {
  return {
    workload,
    async run(context: CycleContext): Promise<CycleResult> {
      const seen = (await context.graph
        .api(WORKLOAD_DEFINITIONS[workload].probe(userPath(context.mailbox)))
        .get()) as Record<string, unknown>;
      const observation = {
        probedAt: context.clock().toISOString(),
        totalItemCount: seen.totalItemCount ?? null,
      };
      return { itemsProcessed: 0, itemsFailed: 0, checkpoint: { probe: observation } };
    },
  };
}

export function createProbeHandlers(): WorkloadHandlers {
  return {
    'incoming-email': probe('incoming-email'),
    'outgoing-email': probe('outgoing-email'),
    act: probe('act'),
  };
}
