/**
 * `npm run bench:outgoing`: outgoing email throughput against the Graph simulator, in process
 * (engine + handler as a worker runs them, one cycle loop per mailbox, like one job per mailbox).
 * Prints emails sent per second per mailbox and overall, and Graph requests per email.
 * The per-mailbox send rate is lifted for the measurement (Exchange Online's 30/min would cap it).
 */
import globalSetup from '@syncfleet/testing/global-setup';
import { createTestDatabase, createTestRedis } from '@syncfleet/testing';
import { runWorkloadJob } from '../src/engine/run-job';
import type { WorkloadHandlers } from '../src/engine/types';
import { createProbeHandlers } from '../src/probe/probe-handlers';
import { createOutgoingEmailHandler } from '../src/outgoing-email/processor';
import { TEST_SETTINGS, newEmail } from '../src/outgoing-email/test-support';
import { FAST_SETTINGS, testEngineResources } from '../src/testing/engine-resources';
import { createFleetFixture } from '../src/testing/fleet-fixture';

const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 10);
const PER_MAILBOX = Number(process.env.BENCH_EMAILS_PER_MAILBOX ?? 100);

async function scenario(latencyMs: number) {
  const [db, redis] = await Promise.all([
    createTestDatabase('bench-outgoing'),
    createTestRedis('bench-outgoing'),
  ]);
  const fx = await createFleetFixture(db.prisma, {
    mailboxes: MAILBOXES,
    workloads: ['outgoing-email'],
    maxConcurrentConnections: 50,
    simConfig: { defaultLatencyMs: latencyMs },
  });
  const res = testEngineResources(fx, {
    prisma: db.prisma,
    redis: redis.redis,
    prefix: redis.prefix,
    settings: {
      cadence: { ...FAST_SETTINGS.cadence, 'outgoing-email': { kind: 'fixed', intervalSec: 0 } },
      cycleBudgetMs: 120_000,
    },
  });
  const handlers: WorkloadHandlers = {
    ...createProbeHandlers(),
    'outgoing-email': createOutgoingEmailHandler({ ...TEST_SETTINGS, maxPerCycle: 50 }),
  };
  try {
    for (const mb of fx.mailboxes) for (let i = 0; i < PER_MAILBOX; i++) await newEmail(db.prisma, mb.id);
    const before = await fx.sim.admin.metrics();
    const started = Date.now();
    const perMailbox = await Promise.all(
      fx.mailboxes.map(async (mb) => {
        const t0 = Date.now();
        for (;;) {
          const outcome = await runWorkloadJob(res, handlers, {
            mailboxId: mb.id,
            workload: 'outgoing-email',
            dueAt: new Date().toISOString(),
          });
          if (outcome === 'failure') throw new Error(`cycle failed for ${mb.address}`);
          const left = await db.prisma.emailActivity.count({
            where: { ownerMailboxId: mb.id, status: { in: ['PendingSend', 'Sending'] } },
          });
          if (left === 0) break;
        }
        return PER_MAILBOX / ((Date.now() - t0) / 1000);
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const after = await fx.sim.admin.metrics();
    const total = MAILBOXES * PER_MAILBOX;
    const sent = await db.prisma.emailActivity.count({ where: { status: 'Sent' } });
    const deliveries = (await fx.sim.admin.deliveries()).length;
    const requests = after.requestsTotal - before.requestsTotal;
    const mean = perMailbox.reduce((a, b) => a + b, 0) / perMailbox.length;
    console.log(
      [
        `simulator latency ${latencyMs} ms: ${total} emails, ${MAILBOXES} mailboxes, ${seconds.toFixed(2)} s`,
        `  sent ${sent}, deliveries ${deliveries}`,
        `  overall: ${(total / seconds).toFixed(1)} emails/s`,
        `  per mailbox: mean ${mean.toFixed(1)} emails/s (min ${Math.min(...perMailbox).toFixed(1)}, max ${Math.max(...perMailbox).toFixed(1)})`,
        `  Graph requests per email: ${(requests / total).toFixed(2)} (${requests} requests)`,
      ].join('\n'),
    );
  } finally {
    await fx.close();
    await Promise.all([db.drop(), redis.cleanup()]);
  }
}

async function main() {
  await globalSetup();
  await scenario(0);
  await scenario(20);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
