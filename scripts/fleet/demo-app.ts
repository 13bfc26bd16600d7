// The demo's "application": what a CRM using Syncfleet would do — it sends a few emails a minute
// from the demo mailboxes to its known contacts (through the outgoing workload, like POST
// /api/emails), so the fleet visibly sends, and the contacts' answers come back as promoted mail.
// It also keeps activities for the mailboxes' owners — in turn a contact, a To Do task and a
// meeting with a colleague and an outside contact — which ACT writes into their mailboxes (the
// colleague gets Exchange's meeting request; the outside contact, under the default InternalOnly
// invitation policy, nothing).
import path from 'node:path';
import { parseBaseEnv } from '@syncfleet/config';
import { createPrisma, sqlClientOf } from '@syncfleet/db';
import { closeQueues, createQueues, createRedis } from '@syncfleet/queues';
import {
  createAppointment,
  createContact,
  createOutgoingEmail,
  createTask,
  requestCycles,
  type CycleRequest,
} from '@syncfleet/sync';
import { createLogger, onShutdown, runMain } from '@syncfleet/telemetry';
import { REPO_ROOT } from '@syncfleet/testing/processes';
import { demoContacts } from './demo';

const SEED = path.join(REPO_ROOT, 'apps/graph-simulator/seeds/demo.json');
const TOPICS = ['Your quote', 'Order confirmation', 'Meeting follow-up', 'Support case update', 'Renewal'];

async function main(): Promise<void> {
  const env = parseBaseEnv(process.env);
  const intervalMs = Number(process.env.DEMO_SEND_INTERVAL_SEC ?? 15) * 1000;
  const logger = createLogger({ name: 'demo-app', level: process.env.LOG_LEVEL ?? 'info' });
  const prisma = createPrisma(env.DATABASE_URL, { maxConnections: 1 });
  const redis = createRedis(env.REDIS_URL, { cluster: env.REDIS_CLUSTER });
  const queues = createQueues(redis, env.QUEUE_PREFIX);
  // As the console's API does after a write: the mailbox's cycle is queued now, not at its cadence.
  const syncNow = (request: CycleRequest) =>
    requestCycles({ sql: sqlClientOf(prisma), queues }, [request]).catch((error: unknown) =>
      logger.warn({ err: error }, 'demo app could not queue a cycle now; the scheduled one will sync it'),
    );
  const contacts = demoContacts(SEED);
  let sent = 0;
  const sendOne = async () => {
    const senders = await prisma.mailbox.findMany({
      where: { workloads: { some: { workload: 'OutgoingEmail', enabled: true } } },
      select: { id: true, address: true },
    });
    if (!senders.length || !contacts.length) return;
    const from = senders[sent % senders.length]!;
    const to = contacts[sent % contacts.length]!;
    const topic = TOPICS[sent % TOPICS.length]!;
    sent++;
    const email = await createOutgoingEmail(prisma, {
      mailboxId: from.id,
      subject: `${topic} #${1000 + sent}`,
      bodyText: `Hello,\n\nA message from the Syncfleet demo application (${topic.toLowerCase()}).\n`,
      to: [to],
      regarding: { type: 'demo-case', id: String(1000 + sent) },
    });
    logger.info({ emailId: email.id, from: from.address, to }, 'demo app queued an email');
    await syncNow({ mailboxId: from.id, workload: 'outgoing-email' });
  };
  let activities = 0;
  const addActivity = async () => {
    const owners = await prisma.mailbox.findMany({
      where: { workloads: { some: { workload: 'Act', enabled: true } } },
      select: { id: true, address: true, ownerType: true, ownerId: true },
      orderBy: { address: 'asc' },
    });
    if (owners.length < 2) return;
    const n = activities++;
    const owner = owners[n % owners.length]!;
    const colleague = owners[(n + 1) % owners.length]!;
    const outside = contacts[n % contacts.length];
    const kind = ['contact', 'task', 'meeting'][n % 3];
    const day = new Date(Date.now() + (1 + (n % 14)) * 86_400_000).toISOString().slice(0, 10);
    if (kind === 'contact' && outside) {
      const [name] = outside.split('@');
      await createContact(prisma, owner, {
        displayName: `${name!.charAt(0).toUpperCase()}${name!.slice(1)} (demo ${1000 + n})`,
        emailAddresses: [{ address: outside }],
        companyName: 'Fabrikam',
      });
    } else if (kind === 'task') {
      await createTask(prisma, owner, {
        subject: `Call back about case #${1000 + n}`,
        dueAt: new Date(`${day}T12:00:00Z`),
      });
    } else {
      await createAppointment(prisma, owner, {
        subject: `Account review #${1000 + n}`,
        start: { dateTime: `${day}T10:00:00`, timeZone: 'W. Europe Standard Time' },
        end: { dateTime: `${day}T10:30:00`, timeZone: 'W. Europe Standard Time' },
        attendees: [{ address: colleague.address }, ...(outside ? [{ address: outside }] : [])],
      });
    }
    logger.info({ owner: owner.address, kind }, 'demo app added an activity');
    await syncNow({ mailboxId: owner.id, workload: 'act' });
  };
  const tick = (what: string, job: () => Promise<void>) => () =>
    void job().catch((error: unknown) => logger.warn({ err: error }, `demo app could not ${what}`));
  const sendTick = tick('queue an email', sendOne);
  const activityTick = tick('add an activity', addActivity);
  const timers = [setInterval(sendTick, intervalMs), setInterval(activityTick, intervalMs)];
  sendTick();
  activityTick();
  console.log(
    `Demo app: one email every ${intervalMs / 1000} s to ${contacts.length} known contacts, ` +
      `and a contact, task or meeting for a mailbox owner as often`,
  );
  onShutdown(logger, 'demo-app', async () => {
    for (const timer of timers) clearInterval(timer);
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
  });
}

runMain('demo-app', main);
