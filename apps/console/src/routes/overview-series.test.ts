import { call, startConsole, type ConsoleHarness, type Json } from '../test-support';
import { seriesRows } from './overview';

/**
 * The overview's per-minute series: cycles, items, failures and schedule lag per workload, from
 * SyncRun rows — exact values for known rows, and the same answers as the former definition of
 * the lag (a regular expression over the job id, kept here as the reference) over job ids of every
 * shape: scheduled, requeued (a fourth part), absent, and malformed in each way the pattern refuses.
 */
const NOW = new Date('2026-11-20T10:30:20.000Z');
let h: ConsoleHarness;
let mailboxId: string;
beforeAll(async () => {
  h = await startConsole('overview-series', { clock: () => NOW });
  const profile = await h.db.prisma.emailServerProfile.create({
    data: { name: 'p', tenantId: 't', clientId: 'c', clientSecretCiphertext: 'x', clientSecretKeyId: 'k' },
  });
  mailboxId = (
    await h.db.prisma.mailbox.create({
      data: { address: 'user1@contoso.test', ownerType: 'User', ownerId: 'o1', profileId: profile.id },
    })
  ).id;
});
afterAll(() => h?.close());

const at = (iso: string) => new Date(iso);
const job = (workload: string, due: Date, suffix = '') =>
  `${workload}.${mailboxId}.${due.getTime()}${suffix}`;

async function runs(
  rows: Array<{
    workload?: 'IncomingEmail' | 'OutgoingEmail' | 'Act';
    jobId: string | null;
    startedAt: Date;
    outcome?: 'Success' | 'TransientFailure' | 'PermanentFailure' | 'Yielded';
    items?: number;
  }>,
) {
  await h.db.prisma.syncRun.createMany({
    data: rows.map((r) => ({
      mailboxId,
      workload: r.workload ?? 'IncomingEmail',
      jobId: r.jobId,
      startedAt: r.startedAt,
      finishedAt: new Date(r.startedAt.getTime() + 1_000),
      outcome: r.outcome ?? 'Success',
      itemsProcessed: r.items ?? 0,
    })),
  });
}

/** The lag as the series defined it before: one regular expression with a capture group. */
const reference = (since: Date) => h.db.prisma.$queryRaw<Json[]>`WITH runs AS (
    SELECT date_trunc('minute', "startedAt") AS minute, "workload", "itemsProcessed", "outcome",
      CASE WHEN "jobId" ~ '^[^.]+\\.[0-9a-f-]{36}\\.[0-9]{10,}'
        THEN GREATEST(0, EXTRACT(EPOCH FROM ("startedAt" -
          (to_timestamp(substring("jobId" from '^[^.]+\\.[0-9a-f-]{36}\\.([0-9]{10,})')::float8 / 1000)
            AT TIME ZONE 'UTC'))))
      END AS lag
    FROM "SyncRun" WHERE "startedAt" >= ${since.toISOString()}::timestamp)
  SELECT minute, "workload"::text AS workload, count(*)::int AS cycles, COALESCE(sum("itemsProcessed"), 0)::int AS items,
    count(*) FILTER (WHERE "outcome" IN ('TransientFailure', 'PermanentFailure'))::int AS failures,
    avg(lag)::float8 AS "avgLagSec", max(lag)::float8 AS "maxLagSec"
  FROM runs GROUP BY 1, 2 ORDER BY 1, 2`;

test('cycles, items, failures and schedule lag per minute, exactly', async () => {
  const due = at('2026-11-20T10:28:00.000Z');
  await runs([
    // 10:28 incoming: lags 3 s and 7.5 s (avg 5.25), one failure, 5 items.
    { jobId: job('incoming-email', due), startedAt: at('2026-11-20T10:28:03.000Z'), items: 2 },
    {
      jobId: job('incoming-email', due, '.r1'), // requeued: a fourth part, the due time still counts
      startedAt: at('2026-11-20T10:28:07.500Z'),
      outcome: 'TransientFailure',
      items: 3,
    },
    { jobId: null, startedAt: at('2026-11-20T10:28:30.000Z') }, // counted, no lag
    // 10:29 outgoing: started before its due time → lag 0.
    {
      workload: 'OutgoingEmail',
      jobId: job('outgoing-email', at('2026-11-20T10:29:10.000Z')),
      startedAt: at('2026-11-20T10:29:05.000Z'),
      outcome: 'PermanentFailure',
    },
    // Before the 10-minute window: left out.
    { jobId: job('incoming-email', due), startedAt: at('2026-11-20T10:20:59.999Z'), items: 100 },
  ]);
  const series = await call(h.app, 'GET', '/api/overview/series?minutes=10');
  expect(series.status).toBe(200);
  expect(series.json.minutes[0]).toBe('2026-11-20T10:21:00.000Z');
  expect(series.json.minutes).toHaveLength(10);
  const incoming = series.json.workloads.find((w: Json) => w.workload === 'incoming-email');
  const outgoing = series.json.workloads.find((w: Json) => w.workload === 'outgoing-email');
  const slot = series.json.minutes.indexOf('2026-11-20T10:28:00.000Z');
  expect(incoming.cycles[slot]).toBe(3);
  expect(incoming.items[slot]).toBe(5);
  expect(incoming.failures[slot]).toBe(1);
  expect(incoming.avgLagSec[slot]).toBe(5.3); // 5.25, one decimal
  expect(incoming.maxLagSec[slot]).toBe(7.5);
  expect(incoming.cycles.reduce((a: number, b: number) => a + b, 0)).toBe(3);
  expect(incoming.avgLagSec[slot + 1]).toBeNull();
  expect(outgoing.cycles[slot + 1]).toBe(1);
  expect(outgoing.failures[slot + 1]).toBe(1);
  expect(outgoing.maxLagSec[slot + 1]).toBe(0);
});

test('the same answers as the former regular expression, for job ids of every shape', async () => {
  const due = at('2026-11-20T09:40:00.123Z'); // minutes 09:40–09:53, apart from the rows above
  const ms = String(due.getTime());
  const shapes = [
    job('incoming-email', due),
    job('incoming-email', due, '.2'),
    job('incoming-email', due, 'x'), // digits then letters: the digits are the due time
    `incoming-email.${mailboxId.toUpperCase()}.${ms}`, // upper-case id: no match
    `.${mailboxId}.${ms}`, // empty first part
    `incoming-email.${mailboxId}`, // no due time
    `incoming-email.${mailboxId}.123456789`, // 9 digits: too short
    `incoming-email.${mailboxId.slice(1)}.${ms}`, // 35 characters
    `incoming-email.${mailboxId}0.${ms}`, // 37 characters
    `incoming-email.${mailboxId.replace(/-/g, 'g')}.${ms}`, // outside [0-9a-f-]
    `incoming-email.${mailboxId}..${ms}`, // empty third part
    `a.b.${mailboxId}.${ms}`, // the id is not the second part
    'incoming-email',
    '',
  ];
  await runs(
    shapes.map((jobId, i) => ({
      jobId,
      // One minute per shape, so each shape's lag is its own group.
      startedAt: new Date(due.getTime() + i * 60_000 + 4_321),
      items: i,
    })),
  );
  const since = at('2026-11-20T09:31:00.000Z');
  const expected = await reference(since);
  // The three that match, each alone in its minute: 4.321 s after the due time, plus i minutes.
  const ours = expected.filter((r) => (r.minute as Date) < at('2026-11-20T10:00:00.000Z'));
  expect(ours).toHaveLength(shapes.length);
  expect(ours.map((r) => r.maxLagSec)).toEqual([4.321, 64.321, 124.321, ...shapes.slice(3).map(() => null)]);
  const series = await call(h.app, 'GET', '/api/overview/series?minutes=60');
  const got: Json[] = [];
  for (const w of series.json.workloads) {
    series.json.minutes.forEach((minute: string, i: number) => {
      if (w.cycles[i] === 0) return;
      got.push({
        minute,
        workload: w.workload,
        cycles: w.cycles[i],
        items: w.items[i],
        failures: w.failures[i],
        avgLagSec: w.avgLagSec[i],
        maxLagSec: w.maxLagSec[i],
      });
    });
  }
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  const key = (r: Json) => `${r.minute}|${r.workload}`;
  expect(got.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
    expected
      .map((r) => ({
        minute: (r.minute as Date).toISOString(),
        workload: r.workload,
        cycles: r.cycles,
        items: r.items,
        failures: r.failures,
        avgLagSec: round(r.avgLagSec),
        maxLagSec: round(r.maxLagSec),
      }))
      .sort((a, b) => key(a).localeCompare(key(b))),
  );
  // Unrounded, straight from the database: the same rows, the same floats.
  const raw = (await seriesRows(h.db.prisma, since)).map((r) => ({
    ...r,
    cycles: Number(r.cycles),
    items: Number(r.items),
    failures: Number(r.failures),
  }));
  expect(raw.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
    expected.sort((a, b) => key(a).localeCompare(key(b))),
  );
});
