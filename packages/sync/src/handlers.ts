import type { WorkerEnv } from '@syncfleet/config';
import type { WorkloadHandlers } from './engine/types';
import { createIncomingEmailHandler, incomingSettingsFromEnv } from './incoming-email';
import { createOutgoingEmailHandler, outgoingSettingsFromConfig, type SendHooks } from './outgoing-email';
import { createProbeHandlers } from './probe/probe-handlers';

/** The worker's parsed configuration: the handlers read their settings from it (defaults live in the schema). */
export type HandlersConfig = WorkerEnv;

/**
 * The handler registry every worker runs: one handler per workload (a missing one fails to compile).
 * Workloads whose full handler has not landed yet run the mailbox probe.
 */
export function createWorkloadHandlers(
  config: HandlersConfig,
  /** Test instrumentation only (the test-only worker entry sets it); production passes nothing. */
  hooks: { outgoing?: SendHooks } = {},
): WorkloadHandlers {
  const probes = createProbeHandlers();
  return {
    'incoming-email': createIncomingEmailHandler(incomingSettingsFromEnv(config)),
    'outgoing-email': createOutgoingEmailHandler(outgoingSettingsFromConfig(config, hooks.outgoing)),
    act: probes.act,
  };
}
