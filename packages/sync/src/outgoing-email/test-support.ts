import { EmailStatus, type Db } from '@syncfleet/db';
import type { MailboxGraph } from '@syncfleet/graph';
import { waitFor } from '@syncfleet/testing';
import { createLogger } from '@syncfleet/telemetry';
import type { CycleContext, EngineResources } from '../engine/types';
import type { FleetFixture } from '../testing/fleet-fixture';
import { createOutgoingEmail, type OutgoingEmailInput } from './create';
import { SYNCFLEET_HEADER } from '../message-headers';
import type { OutgoingSettings } from './processor';

export const TEST_SETTINGS: OutgoingSettings = {
  maxPerCycle: 50,
  sendRatePerMinute: 100_000,
  trackingTokenEnabled: true,
  trackingTokenPrefix: 'CRM',
  maxAttempts: 3,
  sendSettleMs: 20_000,
  uploadBudgetBytes: 150 * 1024 * 1024,
  uploadWindowMs: 300_000,
};

/** Sending is asynchronous (the simulator's transport): waits until every accepted send is processed. */
export const transportSettled = (fx: FleetFixture) =>
  waitFor(async () => (await fx.sim.admin.status()).pendingSends === 0, {
    timeoutMs: 15_000,
    intervalMs: 100,
    description: 'accepted sends processed by the simulator',
  });

/** A cycle context for a mailbox without the engine's claim (the processor is tested directly). */
export async function cycleContext(
  res: EngineResources,
  prisma: Db,
  mailboxId: string,
  wrap: (graph: MailboxGraph) => MailboxGraph = (g) => g,
): Promise<CycleContext> {
  const mailbox = await prisma.mailbox.findUniqueOrThrow({
    where: { id: mailboxId },
    include: { profile: true },
  });
  const graph = await res.graph.forMailbox(mailbox.profile, { id: mailbox.id, address: mailbox.address });
  return {
    mailbox,
    workload: 'outgoing-email',
    graph: wrap(graph),
    prisma,
    logger: createLogger({ name: 'outgoing-test', level: 'silent' }),
    clock: () => new Date(),
    signal: new AbortController().signal,
    deadline: Date.now() + 60_000,
    checkpoint: null,
  };
}

let counter = 0;
/** An email from `mailbox` to an external address (plus `extra`). */
export function emailInput(mailboxId: string, extra: Partial<OutgoingEmailInput> = {}): OutgoingEmailInput {
  counter++;
  return {
    mailboxId,
    subject: `Quote ${counter}`,
    bodyText: `Hello, here is quote ${counter}.`,
    to: [{ address: `customer${counter}@fabrikam.test`, name: `Customer ${counter}` }],
    regarding: { type: 'opportunity', id: `opp-${counter}` },
    ...extra,
  };
}

export const newEmail = (prisma: Db, mailboxId: string, extra: Partial<OutgoingEmailInput> = {}) =>
  createOutgoingEmail(prisma, emailInput(mailboxId, extra));

/** Deliveries (the simulator's send log) per email id, from our x-syncfleet-id header. */
/** The simulator's delivery log once every accepted send has been processed. */
export async function settledDeliveries(fx: FleetFixture) {
  await transportSettled(fx);
  return fx.sim.admin.deliveries();
}

export async function deliveriesByEmail(fx: FleetFixture): Promise<Map<string, number>> {
  await transportSettled(fx);
  const counts = new Map<string, number>();
  for (const d of await fx.sim.admin.deliveries()) {
    const id = d.headers[SYNCFLEET_HEADER];
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export const statusOf = async (prisma: Db, id: string) =>
  (await prisma.emailActivity.findUniqueOrThrow({ where: { id } })).status;

export const isDone = (status: EmailStatus) => status === EmailStatus.Sent || status === EmailStatus.Failed;

/** Messages in one of the simulator mailbox's folders carrying our header for `emailId`. */
export async function copiesIn(fx: FleetFixture, simMailboxId: string, folder: string, emailId: string) {
  await transportSettled(fx);
  // Drafts and received copies carry our header; the Sent Items copy does not (custom headers are
  // not kept there), so it is recognised by the internetMessageId the send was delivered with.
  const sentAs = new Set(
    (await fx.sim.admin.deliveries())
      .filter((d) => d.headers[SYNCFLEET_HEADER] === emailId)
      .map((d) => d.internetMessageId),
  );
  const { value } = await fx.sim.admin.listMessages(simMailboxId, folder);
  return value.filter(
    (m) =>
      sentAs.has(String(m.internetMessageId)) ||
      ((m.internetMessageHeaders as { name: string; value: string }[] | undefined) ?? []).some(
        (h) => h.name === SYNCFLEET_HEADER && h.value === emailId,
      ),
  );
}
