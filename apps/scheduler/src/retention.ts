import { Prisma, type Db } from '@syncfleet/db';

/**
 * Keeps SyncRun history bounded (SYNC_RUN_RETENTION_DAYS): deletes runs that started before the
 * cutoff, in batches on the startedAt index, at most `maxBatches` per call so a scheduler tick
 * never stalls on a large backlog — the next call continues.
 */
export async function pruneSyncRuns(
  prisma: Db,
  now: Date,
  retentionDays: number,
  { batchSize = 5_000, maxBatches = 10 } = {},
): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await prisma.$executeRaw(Prisma.sql`
      DELETE FROM "SyncRun" WHERE id IN (
        SELECT id FROM "SyncRun" WHERE "startedAt" < ${cutoff} LIMIT ${batchSize})`);
    deleted += n;
    if (n < batchSize) break;
  }
  return deleted;
}
