import { REASON_NAMES, REASONS, SyncError, type Reason } from '@syncfleet/errors';
import { consequenceOf } from './policy';

const settings = { transientRetryDelaySec: 60, transientMaxRetries: 3 };
const error = (reason: Reason, retryAfterMs?: number) => new SyncError(reason, 'failed', { retryAfterMs });

describe('consequence of each kind × scope', () => {
  test.each([
    ['Throttled', 0, { type: 'retry', attempt: 1, delayMs: 60_000 }],
    ['Throttled', 3, { type: 'disable-workload' }],
    ['AuthUnavailable', 1, { type: 'retry', attempt: 2, delayMs: 60_000 }],
    ['AuthUnavailable', 3, { type: 'disable-profile' }],
    ['MissingPermission', 0, { type: 'disable-workload' }],
    ['SecretExpired', 0, { type: 'disable-profile' }],
    ['SecretUnreadable', 0, { type: 'disable-profile' }],
    ['Database', 0, { type: 'postpone', delayMs: 60_000 }],
    ['Database', 50, { type: 'postpone', delayMs: 60_000 }],
    ['TransactionConflict', 50, { type: 'postpone', delayMs: 60_000 }],
    ['DatabaseSetup', 50, { type: 'postpone', delayMs: 60_000 }],
  ] as const)('%s after %i earlier transient failures', (reason, previous, expected) => {
    expect(consequenceOf(error(reason), previous, settings)).toMatchObject(expected);
  });

  test('Retry-After longer than the retry delay wins', () => {
    expect(consequenceOf(error('Throttled', 120_000), 0, settings)).toEqual({
      type: 'retry',
      attempt: 1,
      delayMs: 120_000,
    });
  });

  test('no reason disables anything unless it is about a mailbox or a profile', () => {
    for (const reason of REASON_NAMES) {
      const consequence = consequenceOf(error(reason), 99, settings);
      const expected =
        REASONS[reason].scope === 'app'
          ? 'postpone'
          : REASONS[reason].scope === 'mailbox'
            ? 'disable-workload'
            : 'disable-profile';
      expect([reason, consequence.type]).toEqual([reason, expected]);
    }
  });
});
