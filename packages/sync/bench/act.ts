/**
 * `npm run bench:act`: the ACT workload in-process against the Graph simulator and a fresh
 * PostgreSQL database, over 10 mailboxes:
 * 1. Exchange → app: a 10,000-item backfill (half contacts, half To Do tasks created by users);
 * 2. app → Exchange: 10,000 items created in the application;
 * 3. appointments: BENCH_APPOINTMENTS (default 2,000) meetings created in Outlook, then as many in
 *    the application (each with an internal attendee), each way;
 * 4. idle cycles (at most 3 Graph requests per mailbox cycle: contacts, To Do and calendar deltas).
 * Prints items/s, Graph requests per item, the process's CPU use (saturation: a busy cycle is
 * CPU-bound in this process when CPU ≈ wall time) and the simulator's request rate and peak
 * concurrency. BENCH_ITEMS and BENCH_MAILBOXES change the size.
 */
import { createPrisma, dropDatabase, migrate, withDatabase } from '@syncfleet/db';
import { createRedis } from '@syncfleet/queues';
import { createAppointment } from '../src/act/appointments/records';
import { createContact, createTask } from '../src/act/records';
import { actUntilIdle, runActOnce } from '../src/act/test-support';
import { createFleetFixture } from '../src/testing/fleet-fixture';
import { testEngineResources } from '../src/testing/engine-resources';

const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/syncfleet';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 10);
const APPOINTMENTS = Number(process.env.BENCH_APPOINTMENTS ?? 2_000);

async function main(): Promise<void> {
  const url = withDatabase(SERVER, 'syncfleet_bench_act');
  await dropDatabase(url);
  await migrate(url);
  const prisma = createPrisma(url, { maxConnections: 10 });
  const redis = createRedis(REDIS_URL);
  const fx = await createFleetFixture(prisma, {
    mailboxes: MAILBOXES,
    maxConcurrentConnections: 40,
    workloads: ['act'],
  });
  const res = testEngineResources(fx, {
    prisma,
    redis,
    prefix: `bench-act-${process.pid}`,
    settings: { cycleBudgetMs: 600_000 },
  });
  // Contacts and tasks first on their own (calendar sync, on by default, is measured in step 3).
  await prisma.emailServerProfile.updateMany({ data: { actSettings: { appointments: false } } });
  const perMailbox = Math.ceil(ITEMS / MAILBOXES / 2);
  const owner = (i: number) => ({ ownerType: 'User' as const, ownerId: `user-${i}` });
  const syncAll = () => Promise.all(fx.mailboxes.map((m) => actUntilIdle(res, m.id, 1_000)));

  async function measure(label: string, items: () => Promise<number>, run: () => Promise<unknown>) {
    const m0 = await fx.sim.admin.metrics();
    const cpu0 = process.cpuUsage();
    const started = Date.now();
    await run();
    const seconds = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const m1 = await fx.sim.admin.metrics();
    const n = await items();
    const requests = m1.requestsTotal - m0.requestsTotal;
    const peak = Math.max(0, ...Object.values(m1.maxConcurrencyByApp));
    console.log(
      `${label}: ${n} items in ${seconds.toFixed(1)} s = ${(n / seconds).toFixed(0)} items/s; ` +
        `${requests} Graph requests = ${(requests / Math.max(1, n)).toFixed(3)} per item, ` +
        `${(requests / seconds).toFixed(0)} requests/s (peak ${peak} in flight); ` +
        `worker CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s = ` +
        `${((100 * (cpu.user + cpu.system)) / 1e6 / seconds).toFixed(0)}% of one core`,
    );
  }

  try {
    // First cycle: ownership marker and empty rounds.
    await syncAll();
    const seeding = Date.now();
    await Promise.all(
      fx.mailboxes.map(async (m, i) => {
        for (let n = 0; n < perMailbox; n++) {
          await fx.sim.admin.createContact(m.simId, {
            givenName: `Given${n}`,
            surname: `Mailbox${i}`,
            emailAddresses: [{ address: `p${n}.m${i}@fabrikam.test`, name: `P ${n}` }],
            companyName: 'Fabrikam',
            businessPhones: ['+1 555 0100'],
          });
          await fx.sim.admin.createTask(m.simId, 'defaultList', {
            title: `Outlook task ${n}`,
            importance: 'high',
          });
        }
      }),
    );
    console.log(
      `seeded ${2 * perMailbox * MAILBOXES} Outlook items in ${((Date.now() - seeding) / 1000).toFixed(1)} s`,
    );
    await measure(
      'Exchange → app backfill',
      async () => (await prisma.contact.count()) + (await prisma.task.count()),
      syncAll,
    );

    const before = (await prisma.actLink.count()) as number;
    const appSeed = Date.now();
    await Promise.all(
      fx.mailboxes.map(async (_m, i) => {
        for (let n = 0; n < perMailbox; n++) {
          await createContact(prisma, owner(i), {
            displayName: `App contact ${n}`,
            emailAddresses: [{ address: `a${n}.m${i}@contoso.test` }],
            jobTitle: 'Buyer',
          });
          await createTask(prisma, owner(i), {
            subject: `App task ${n}`,
            dueAt: new Date(Date.now() + 86_400_000),
          });
        }
      }),
    );
    console.log(
      `created ${2 * perMailbox * MAILBOXES} app records in ${((Date.now() - appSeed) / 1000).toFixed(1)} s`,
    );
    await measure('app → Exchange', async () => (await prisma.actLink.count()) - before, syncAll);

    // Appointments, each way (one per meeting: the attendee's copy links to the same record).
    await prisma.emailServerProfile.updateMany({ data: { actSettings: { appointments: true } } });
    const perMailboxAppts = Math.ceil(APPOINTMENTS / MAILBOXES / 2);
    const at = (n: number, hour: number) =>
      `${new Date(Date.now() + (1 + (n % 300)) * 86_400_000).toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00:00`;
    await Promise.all(
      fx.mailboxes.map(async (m) => {
        for (let n = 0; n < perMailboxAppts; n++) {
          await fx.sim.admin.createEvent(m.simId, {
            subject: `Outlook meeting ${n}`,
            start: { dateTime: at(n, 9), timeZone: 'W. Europe Standard Time' },
            end: { dateTime: at(n, 10), timeZone: 'W. Europe Standard Time' },
          });
        }
      }),
    );
    await measure('appointments Exchange → app', () => prisma.appointment.count(), syncAll);
    const apptBefore = await prisma.actLink.count({
      where: { kind: 'appointment', graphItemId: { not: null } },
    });
    await Promise.all(
      fx.mailboxes.map(async (_m, i) => {
        for (let n = 0; n < perMailboxAppts; n++) {
          await createAppointment(prisma, owner(i), {
            subject: `App meeting ${n}`,
            start: { dateTime: at(n, 14), timeZone: 'Pacific Standard Time' },
            end: { dateTime: at(n, 15), timeZone: 'Pacific Standard Time' },
            attendees: [{ address: fx.mailboxes[(i + 1) % MAILBOXES]!.address }],
          });
        }
      }),
    );
    await measure(
      'appointments app → Exchange',
      async () =>
        (await prisma.actLink.count({ where: { kind: 'appointment', graphItemId: { not: null } } })) -
        apptBefore,
      syncAll,
    );

    // Attendees' copies of the app's meetings land in calendars whose cycle may already have
    // finished: one more pass takes them in, so what follows is idle.
    await syncAll();
    const IDLE_ROUNDS = 5;
    const m2 = await fx.sim.admin.metrics();
    const idleStart = Date.now();
    for (let r = 0; r < IDLE_ROUNDS; r++) await Promise.all(fx.mailboxes.map((m) => runActOnce(res, m.id)));
    const m3 = await fx.sim.admin.metrics();
    const idleCycles = IDLE_ROUNDS * MAILBOXES;
    console.log(
      `idle: ${idleCycles} cycles, ${m3.requestsTotal - m2.requestsTotal} Graph requests = ` +
        `${((m3.requestsTotal - m2.requestsTotal) / idleCycles).toFixed(2)} per mailbox cycle (target ≤ 3 with the calendar), ` +
        `${((Date.now() - idleStart) / idleCycles).toFixed(1)} ms per cycle`,
    );
    console.log(
      `no duplicates: app contacts ${await prisma.contact.count()} + tasks ${await prisma.task.count()} ` +
        `= links ${await prisma.actLink.count({ where: { kind: { not: 'appointment' } } })} (expected ${4 * perMailbox * MAILBOXES}); ` +
        `appointments ${await prisma.appointment.count()} (expected ${2 * perMailboxAppts * MAILBOXES})`,
    );
    console.log(`simulator early requests: ${m3.earlyRequests}; 429s: ${m3.throttled429}`);
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
