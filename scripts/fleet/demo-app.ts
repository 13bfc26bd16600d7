// The demo's "application": what a CRM using Syncfleet would do — it sends a few emails a minute
// from the demo mailboxes to its known contacts (through the outgoing workload, like POST
// /api/emails), so the fleet visibly sends, and the contacts' answers come back as promoted mail.
import path from 'node:path';
import { createPrisma } from '@syncfleet/db';
import { createOutgoingEmail } from '@syncfleet/sync';
import { createLogger, onShutdown, runMain } from '@syncfleet/telemetry';
import { REPO_ROOT } from '@syncfleet/testing/processes';
import { demoContacts } from './demo';

const SEED = path.join(REPO_ROOT, 'apps/graph-simulator/seeds/demo.json');
const TOPICS = ['Your quote', 'Order confirmation', 'Meeting follow-up', 'Support case update', 'Renewal'];

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const intervalMs = Number(process.env.DEMO_SEND_INTERVAL_SEC ?? 15) * 1000;
  const logger = createLogger({ name: 'demo-app', level: process.env.LOG_LEVEL ?? 'info' });
  const prisma = createPrisma(databaseUrl, { maxConnections: 1 });
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
  };
  const timer = setInterval(() => {
    sendOne().catch((error: unknown) => logger.warn({ err: error }, 'demo app could not queue an email'));
  }, intervalMs);
  void sendOne().catch((error: unknown) => logger.warn({ err: error }, 'demo app could not queue an email'));
  console.log(`Demo app: one email every ${intervalMs / 1000} s to ${contacts.length} known contacts`);
  onShutdown(logger, 'demo-app', async () => {
    clearInterval(timer);
    await prisma.$disconnect();
  });
}

runMain('demo-app', main);
