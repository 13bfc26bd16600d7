import type { WorkerEnv } from '@syncfleet/config';
import { createActHandler } from './act/cycle';
import type { WorkloadHandlers } from './engine/types';
import { createIncomingEmailHandler, incomingSettingsFromEnv } from './incoming-email';
import { createOutgoingEmailHandler, outgoingSettingsFromConfig, type SendHooks } from './outgoing-email';

/** The worker's parsed configuration: the handlers read their settings from it (defaults live in the schema). */
export type HandlersConfig = WorkerEnv;

/**
 * The handler registry every worker runs: one handler per workload (a missing one fails to compile).
 */
export function createWorkloadHandlers(
  config: HandlersConfig,
  /** Test instrumentation only (the test-only worker entry sets it); production passes nothing. */
  hooks: { outgoing?: SendHooks } = {},
): WorkloadHandlers {
  return {
    'incoming-email': createIncomingEmailHandler(incomingSettingsFromEnv(config)),
    'outgoing-email': createOutgoingEmailHandler(outgoingSettingsFromConfig(config, hooks.outgoing)),
    act: createActHandler(),
  };
}
