import { incomingEnvSchema, parseEnv } from '@syncfleet/config';
import type { Db } from '@syncfleet/db';
import { createLogger } from '@syncfleet/telemetry';
import { savePositions } from '../engine/finish-batch';
import type { CycleResult, EngineResources } from '../engine/types';
import { runIncomingCycle } from './processor';
import { incomingSettingsFromEnv, type IncomingSettings } from './settings';

/** Test settings: small pages so paging is exercised, everything promoted unless a test says otherwise. */
export const TEST_SETTINGS: IncomingSettings = {
  ...incomingSettingsFromEnv(parseEnv(incomingEnvSchema, {})),
  defaultFilter: 'All',
  pageSize: 7,
};

/** Runs one incoming cycle for a mailbox in-process, outside the scheduler (no claim, no due date). */
export async function runCycle(
  res: EngineResources,
  mailboxId: string,
  settings: Partial<IncomingSettings> = {},
  budgetMs = 30_000,
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
  const result = await runIncomingCycle(
    {
      mailbox,
      workload: 'incoming-email',
      graph,
      prisma: res.prisma,
      logger: createLogger({ name: 'test', level: 'silent' }),
      clock: () => new Date(),
      signal,
      deadline: Date.now() + budgetMs,
      checkpoint: null,
    },
    { ...TEST_SETTINGS, ...settings },
  );
  // Without a claim there is no finish statement: apply what the cycle deferred to it here.
  const { positions, ...outcome } = result;
  await savePositions(res.sql, mailboxId, positions);
  return outcome;
}

/** Cycles until a cycle finishes without yielding; returns every cycle's result. */
export async function syncUntilIdle(
  res: EngineResources,
  mailboxId: string,
  settings: Partial<IncomingSettings> = {},
  maxCycles = 50,
): Promise<CycleResult[]> {
  const results: CycleResult[] = [];
  for (let i = 0; i < maxCycles; i++) {
    const r = await runCycle(res, mailboxId, settings);
    results.push(r);
    if (!r.yielded) return results;
  }
  throw new Error(`mailbox ${mailboxId} still yielding after ${maxCycles} cycles`);
}

/** Every activity with its parties and links, in a stable order, for whole-state comparisons. */
export function snapshot(prisma: Db) {
  return prisma.emailActivity.findMany({
    orderBy: { internetMessageId: 'asc' },
    include: {
      parties: { orderBy: [{ role: 'asc' }, { address: 'asc' }], omit: { id: true } },
      links: { orderBy: { mailboxId: 'asc' }, omit: { id: true, createdAt: true, updatedAt: true } },
    },
    omit: { createdAt: true, updatedAt: true },
  });
}
