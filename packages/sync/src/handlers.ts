import type { WorkerEnv } from '@syncfleet/config';
import type { WorkloadHandlers } from './engine/types';
import { createProbeHandlers } from './probe/probe-handlers';

/** The parts of the worker's configuration the handlers read. */
export type HandlersConfig = Partial<WorkerEnv>;

/**
 * The handler registry every worker runs: one handler per workload (a missing one fails to compile).
 * Workloads whose full handler has not landed yet run the mailbox probe.
 */
export function createWorkloadHandlers(_config: HandlersConfig = {}): WorkloadHandlers {
  const probes = createProbeHandlers();
  return {
    'incoming-email': probes['incoming-email'],
    'outgoing-email': probes['outgoing-email'],
    act: probes.act,
  };
}
