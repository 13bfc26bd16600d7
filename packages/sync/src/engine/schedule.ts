import type { Cadence, WorkloadName } from '@syncfleet/workloads';
import type { EngineSettings } from './types';

export interface NextRunInput {
  workload: WorkloadName;
  finishedAt: Date;
  /** Items the cycle handled: a busy mailbox is polled more often (adaptive cadences). */
  itemsProcessed: number;
  /** An adaptive cadence widens when incoming email is also on for the mailbox. */
  incomingEnabled: boolean;
  profileMinPollingSec: number;
  yielded: boolean;
  /**
   * While every change-notification subscription of the workload is active, the time the first one
   * expires (push/health.ts): notifications bring cycles, so polling is only a safety net.
   */
  pushHealthyUntil?: Date | null;
}

/**
 * The next run is computed at the END of a cycle (docs/dynamics-server-side-sync.md#scheduling),
 * so a long cycle delays only its own mailbox. Never sooner than the profile's minimum polling
 * interval, except that a cycle which yielded on its budget continues right away.
 */
export function nextRunAt(settings: EngineSettings, input: NextRunInput): Date {
  if (input.yielded) return input.finishedAt;
  const intervalSec = Math.max(
    intervalOf(settings.cadence[input.workload], input),
    input.profileMinPollingSec,
  );
  const next = new Date(input.finishedAt.getTime() + intervalSec * 1000);
  const healthyUntil = input.pushHealthyUntil;
  if (!settings.pushSafetyPollSec || !healthyUntil || healthyUntil <= input.finishedAt) return next;
  // Push is healthy: poll only as a safety net, and no later than the subscriptions could lapse.
  const safety = new Date(
    input.finishedAt.getTime() + Math.max(intervalSec, settings.pushSafetyPollSec) * 1000,
  );
  return new Date(Math.min(safety.getTime(), Math.max(next.getTime(), healthyUntil.getTime())));
}

function intervalOf(cadence: Cadence, input: NextRunInput): number {
  switch (cadence.kind) {
    case 'fixed':
      return cadence.intervalSec;
    case 'adaptive': {
      const max = input.incomingEnabled ? cadence.maxIntervalWithIncomingSec : cadence.maxIntervalSec;
      // Active mailboxes come back at the minimum; quiet ones stretch toward the maximum.
      const activity = Math.min(1, input.itemsProcessed / 10);
      return Math.round(max - (max - cadence.minIntervalSec) * activity);
    }
  }
}
