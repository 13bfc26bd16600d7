/**
 * `npm run bench:incoming`: the incoming workload in-process against the Graph simulator and a
 * fresh PostgreSQL database: a 10,000-message backfill over 10 mailboxes, then idle cycles.
 * Prints messages promoted per second, Graph requests per message, and the simulator's early
 * requests (requests made before a Retry-After elapsed: must be 0).
 */
import { incomingEnvSchema, parseEnv } from '@syncfleet/config';
import { createPrisma, dropDatabase, migrate, withDatabase } from '@syncfleet/db';
import { createRedis } from '@syncfleet/queues';
import { createFleetFixture } from '../src/testing/fleet-fixture';
import { testEngineResources } from '../src/testing/engine-resources';
import { runCycle, syncUntilIdle } from '../src/incoming-email/test-support';
import { incomingSettingsFromEnv } from '../src/incoming-email/settings';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/syncfleet';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 10);

async function main(): Promise<void> {
  const url = withDatabase(SERVER, 'syncfleet_bench_incoming');
  await dropDatabase(url);
  await migrate(url);
  const prisma = createPrisma(url, { maxConnections: 10 });
  const redis = createRedis(REDIS_URL);
  const fx = await createFleetFixture(prisma, { mailboxes: MAILBOXES, maxConcurrentConnections: 20 });
  const res = testEngineResources(fx, {
    prisma,
    redis,
    prefix: `bench-incoming-${process.pid}`,
    settings: { cycleBudgetMs: 120_000 },
  });
  // Production defaults (page size 50, 2,000 items per cycle), every message promoted.
  const settings = {
    ...incomingSettingsFromEnv(parseEnv(incomingEnvSchema, {})),
    defaultFilter: 'All' as const,
  };
  try {
    const seeding = Date.now();
    const perMailbox = Math.ceil(MESSAGES / MAILBOXES);
    await Promise.all(
      fx.mailboxes.map(async (m, i) => {
        for (let n = 0; n < perMailbox; n++) {
          await fx.sim.admin.inbound(m.simId, {
            from: `sender${n % 97}@example.test`,
            to: [m.address],
            cc: n % 5 === 0 ? ['team@contoso.test'] : undefined,
            subject: `Message ${n} for mailbox ${i}`,
            body: `Hello ${n}. `.repeat(20),
            internetMessageId: `<bench-${i}-${n}@example.test>`,
          });
        }
      }),
    );
    console.log(
      `seeded ${perMailbox * MAILBOXES} messages in ${((Date.now() - seeding) / 1000).toFixed(1)} s`,
    );

    const m0 = await fx.sim.admin.metrics();
    const started = Date.now();
    const cycles = await Promise.all(fx.mailboxes.map((m) => syncUntilIdle(res, m.id, settings, 1_000)));
    const seconds = (Date.now() - started) / 1000;
    const m1 = await fx.sim.admin.metrics();
    const promoted = await prisma.emailActivity.count();
    const requests = m1.requestsTotal - m0.requestsTotal;
    console.log(
      `backfill: ${promoted} promoted in ${seconds.toFixed(1)} s = ${(promoted / seconds).toFixed(0)} messages/s; ` +
        `${requests} Graph requests = ${(requests / promoted).toFixed(3)} per message; ` +
        `${cycles.flat().length} cycles`,
    );

    const IDLE_ROUNDS = 5;
    const idleStart = Date.now();
    for (let r = 0; r < IDLE_ROUNDS; r++)
      await Promise.all(fx.mailboxes.map((m) => runCycle(res, m.id, settings)));
    const m2 = await fx.sim.admin.metrics();
    const idleCycles = IDLE_ROUNDS * MAILBOXES;
    console.log(
      `idle: ${idleCycles} cycles, ${m2.requestsTotal - m1.requestsTotal} Graph requests = ` +
        `${((m2.requestsTotal - m1.requestsTotal) / idleCycles).toFixed(2)} per mailbox cycle, ` +
        `${((Date.now() - idleStart) / idleCycles).toFixed(1)} ms per cycle; 0 messages promoted ` +
        `(${await prisma.emailActivity.count()} total)`,
    );
    console.log(`simulator early requests: ${m2.earlyRequests}; 429s: ${m2.throttled429}`);
  } finally {
    await fx.close();
    redis.disconnect();
    await prisma.$disconnect();
    await dropDatabase(url);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
