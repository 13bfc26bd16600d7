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
  return new Date(input.finishedAt.getTime() + intervalSec * 1000);
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
