import type { SyncError } from '@syncfleet/errors';

/**
 * What a failure leads to, decided in one exhaustive switch over scope × kind (the reasons and
 * their kind and scope: packages/errors/src/reasons.ts):
 * - app-wide (our database, our deployment): postpone by the retry delay, never counted against
 *   the mailbox and never disabling anything — no mailbox is at fault, and it recovers by itself
 *   once the infrastructure is back or fixed;
 * - transient, mailbox or profile: retry after the retry delay (or Retry-After, if longer), up to
 *   the configured count, then it counts as permanent;
 * - permanent, mailbox: disable this workload, Error alert on the mailbox, tell the owner;
 * - permanent, profile: disable the profile's enabled workloads, ONE Error alert on the profile.
 */
export type Consequence =
  | { type: 'retry'; attempt: number; delayMs: number }
  | { type: 'postpone'; delayMs: number }
  | { type: 'disable-workload'; reason: string }
  | { type: 'disable-profile'; reason: string };

export function consequenceOf(
  error: SyncError,
  previousTransientFailures: number,
  settings: { transientRetryDelaySec: number; transientMaxRetries: number },
): Consequence {
  const delayMs = Math.max(settings.transientRetryDelaySec * 1000, error.details.retryAfterMs ?? 0);
  const described = `${error.code}: ${error.message}`;
  switch (error.scope) {
    case 'app':
      return { type: 'postpone', delayMs };
    case 'mailbox':
    case 'profile': {
      const disable = error.scope === 'mailbox' ? 'disable-workload' : 'disable-profile';
      switch (error.kind) {
        case 'permanent':
          return { type: disable, reason: described };
        case 'transient': {
          const attempt = previousTransientFailures + 1;
          if (attempt <= settings.transientMaxRetries) return { type: 'retry', attempt, delayMs };
          return {
            type: disable,
            reason: `${error.code}: still failing after ${settings.transientMaxRetries} retries (${error.message})`,
          };
        }
      }
    }
  }
}
