import { RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { GraphError } from '@microsoft/microsoft-graph-client';
import { DEFAULT_CONFIG } from '../config';
import { createMetrics } from '../metrics';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';
import { createThrottle } from '../throttle';

/**
 * The Outlook request limit as documented (throttle.ts cites the pages): the 10-minute period
 * slides, and refused requests count toward it.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 2 });
});
afterAll(() => h.close());

const noRetry = [new RetryHandlerOptions(0, 0)];

test('through the official client: a refused request still counts toward the limit', async () => {
  const mb = mailbox(h, 0);
  await h.sim.admin.patchConfig({ mailboxRequestsPer10Min: 3 });
  try {
    const get = () =>
      h.graph
        .api(`/users/${mb.id}/mailFolders/inbox`)
        .middlewareOptions(noRetry)
        .get()
        .then(
          () => 'ok',
          (e: GraphError) => `${e.statusCode} ${e.code} ${e.headers?.get('retry-after')}`,
        );
    const answers = [await get(), await get(), await get(), await get()];
    expect(answers.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
    const [status, code, retryAfter] = answers[3]!.split(' ');
    expect([status, code]).toEqual(['429', 'TooManyRequests']);
    // The window is the last 10 minutes: the first requests age out in about 600 s.
    expect(Number(retryAfter)).toBeGreaterThan(590);
    expect(Number(retryAfter)).toBeLessThanOrEqual(600);
    // Raising the limit to 4 does not admit the next request: the refused one was counted (5 > 4).
    await h.sim.admin.patchConfig({ mailboxRequestsPer10Min: 4 });
    expect(await get()).toMatch(/^429 TooManyRequests/);
    // Another mailbox of the same app is not affected (limits are per app and mailbox).
    expect(
      await h.graph
        .api(`/users/${mailbox(h, 1).id}/mailFolders/inbox`)
        .middlewareOptions(noRetry)
        .get()
        .then(() => 'ok'),
    ).toBe('ok');
  } finally {
    await h.sim.admin.patchConfig({ mailboxRequestsPer10Min: 10_000 });
  }
});

test('the 10-minute period slides: requests age out one by one, not all at a window boundary', () => {
  let t = Date.parse('2026-11-22T10:00:00Z');
  const config = { ...DEFAULT_CONFIG, mailboxRequestsPer10Min: 4 };
  const throttle = createThrottle({ config, metrics: createMetrics(), now: () => t });
  const request = () => {
    const verdict = throttle.acquire('app', 'mb');
    if (!verdict.ok) return verdict.retryAfterSeconds;
    verdict.release();
    return 'ok';
  };
  expect([request(), request()]).toEqual(['ok', 'ok']); // 10:00:00
  t += 4 * 60_000;
  expect([request(), request()]).toEqual(['ok', 'ok']); // 10:04:00
  t += 60_000;
  // 10:05:00 — four in the last 10 minutes: refused until the 10:00:00 pair ages out (at 10:10:00).
  expect(request()).toBe(300);
  t += 300_000 + 1000;
  // 10:10:01 — the 10:00 pair is gone, but the 10:04 pair and the refused 10:05 request remain:
  // a fixed window (restarting at 10:10:00) would admit four, the sliding one admits one.
  expect(request()).toBe('ok');
  expect(request()).toBe(239); // 10:04:00 + 10 min − 10:10:01
  t += 239_000;
  // 10:14:00 — the 10:04 pair aged out; the refused requests of 10:05 and 10:10 still count.
  expect(request()).toBe('ok');
  // Refused again: the 10:05 refusal aging out is not enough, this refusal counts too; the retry
  // fits once the 10:10:01 pair has gone as well.
  expect(request()).toBe(361);
});
