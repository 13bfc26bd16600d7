import { nextRunAt } from '../engine/schedule';
import { FAST_SETTINGS } from '../testing/engine-resources';

/** Polling as the safety net while push is healthy (engine/schedule.ts). */
const settings = {
  ...FAST_SETTINGS,
  cadence: { ...FAST_SETTINGS.cadence, 'incoming-email': { kind: 'fixed' as const, intervalSec: 300 } },
  pushSafetyPollSec: 3600,
};
const finishedAt = new Date('2026-11-23T10:00:00Z');
const at = (sec: number) => new Date(finishedAt.getTime() + sec * 1000);
const next = (pushHealthyUntil: Date | null, overrides: Partial<typeof settings> = {}) =>
  nextRunAt(
    { ...settings, ...overrides },
    {
      workload: 'incoming-email',
      finishedAt,
      itemsProcessed: 0,
      incomingEnabled: true,
      profileMinPollingSec: 0,
      yielded: false,
      pushHealthyUntil,
    },
  );

test('healthy subscriptions: the next poll is the safety poll', () => {
  expect(next(at(3 * 86_400))).toEqual(at(3600));
});

test('no healthy subscriptions (or push off): the normal cadence', () => {
  expect(next(null)).toEqual(at(300));
  expect(next(at(-1))).toEqual(at(300));
  expect(next(at(3 * 86_400), { pushSafetyPollSec: undefined })).toEqual(at(300));
});

test('subscriptions expiring before the safety poll: polled when they would lapse, never sooner than the cadence', () => {
  expect(next(at(1200))).toEqual(at(1200));
  expect(next(at(60))).toEqual(at(300));
});
