import type { WorkloadName } from '@syncfleet/queues';
import type { EngineSettings } from './types';

export interface NextRunInput {
  workload: WorkloadName;
  finishedAt: Date;
  /** Items the cycle handled: a busy mailbox is polled more often (ACT). */
  itemsProcessed: number;
  /** ACT's range widens to 5–15 minutes when incoming email is also enabled (SSS-NOTES). */
  incomingEnabled: boolean;
  profileMinPollingSec: number;
  yielded: boolean;
}

/**
 * The next run is computed at the END of a cycle (SSS-NOTES "Scheduling"), so a long cycle delays
 * only its own mailbox. Never sooner than the profile's minimum polling interval, except that a
 * cycle which yielded on its budget continues right away.
 */
export function nextRunAt(settings: EngineSettings, input: NextRunInput): Date {
  if (input.yielded) return input.finishedAt;
  const intervalSec = Math.max(baseIntervalSec(settings, input), input.profileMinPollingSec);
  return new Date(input.finishedAt.getTime() + intervalSec * 1000);
}

function baseIntervalSec(settings: EngineSettings, input: NextRunInput): number {
  switch (input.workload) {
    case 'incoming-email':
      return settings.incomingIntervalSec;
    case 'outgoing-email':
      return settings.outgoingIntervalSec;
    case 'act': {
      const max = input.incomingEnabled ? settings.actMaxIntervalWithIncomingSec : settings.actMaxIntervalSec;
      // Active mailboxes come back at the minimum; quiet ones stretch toward the maximum.
      const activity = Math.min(1, input.itemsProcessed / 10);
      return Math.round(max - (max - settings.actMinIntervalSec) * activity);
    }
  }
}
