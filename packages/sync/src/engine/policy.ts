import type { SyncError } from '@syncfleet/graph';

/**
 * What a failure leads to (docs/dynamics-server-side-sync.md#error-policy), decided in one exhaustive switch:
 * - permanent, mailbox: disable this workload, Error alert on the mailbox, tell the owner;
 * - permanent, server: disable the profile's enabled workloads, ONE Error alert on the profile;
 * - transient: retry after the retry delay (or Retry-After, if longer), up to the configured count,
 *   then it counts as permanent.
 */
export type Consequence =
  | { type: 'retry'; attempt: number; delayMs: number }
  | { type: 'disable-workload'; reason: string }
  | { type: 'disable-profile'; reason: string };

export function consequenceOf(
  error: SyncError,
  previousTransientFailures: number,
  settings: { transientRetryDelaySec: number; transientMaxRetries: number },
): Consequence {
  switch (error.kind) {
    case 'transient': {
      const attempt = previousTransientFailures + 1;
      if (attempt > settings.transientMaxRetries) {
        const reason = `${error.code}: still failing after ${settings.transientMaxRetries} retries (${error.message})`;
        return error.scope === 'server'
          ? { type: 'disable-profile', reason }
          : { type: 'disable-workload', reason };
      }
      const delayMs = Math.max(settings.transientRetryDelaySec * 1000, error.details.retryAfterMs ?? 0);
      return { type: 'retry', attempt, delayMs };
    }
    case 'permanent':
      switch (error.scope) {
        case 'mailbox':
          return { type: 'disable-workload', reason: `${error.code}: ${error.message}` };
        case 'server':
          return { type: 'disable-profile', reason: `${error.code}: ${error.message}` };
      }
  }
}
