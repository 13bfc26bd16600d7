import type { Db } from '@syncfleet/db';
import { createLogger } from '@syncfleet/telemetry';
import { savePositions } from '../engine/finish-batch';
import type { CycleResult, EngineResources } from '../engine/types';
import { runActCycle } from './cycle';

/** Runs one ACT cycle for a mailbox in-process, outside the scheduler (no claim, no due date). */
export async function runActOnce(
  res: EngineResources,
  mailboxId: string,
  budgetMs = 60_000,
): Promise<CycleResult> {
  const mailbox = await res.prisma.mailbox.findUniqueOrThrow({
    where: { id: mailboxId },
    include: { profile: true },
  });
  const signal = AbortSignal.timeout(budgetMs);
  const graph = await res.graph.forMailbox(
    mailbox.profile,
    { id: mailbox.id, address: mailbox.address },
    signal,
  );
  const result = await runActCycle({
    mailbox,
    workload: 'act',
    graph,
    prisma: res.prisma,
    logger: createLogger({ name: 'test', level: 'silent' }),
    clock: () => new Date(),
    signal,
    deadline: Date.now() + budgetMs,
    checkpoint: null,
  });
  const { positions, ...outcome } = result;
  await savePositions(res.sql, mailboxId, positions);
  return outcome;
}

export async function actUntilIdle(
  res: EngineResources,
  mailboxId: string,
  max = 30,
): Promise<CycleResult[]> {
  const out: CycleResult[] = [];
  for (let i = 0; i < max; i++) {
    const r = await runActOnce(res, mailboxId);
    out.push(r);
    if (!r.yielded) return out;
  }
  throw new Error(`ACT for ${mailboxId} still yielding after ${max} cycles`);
}

/** The owner's live contacts, by display name. */
export async function contactsOf(prisma: Db, ownerId: string) {
  return prisma.contact.findMany({
    where: { ownerId, deletedAt: null },
    include: { emails: { orderBy: { position: 'asc' } } },
    orderBy: { fullName: 'asc' },
  });
}
