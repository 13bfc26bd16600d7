import type { Db, Prisma } from '@syncfleet/db';
import { classifyError } from './classify';

/**
 * A delta page's transaction (incoming email, ACT), retried up to 4 times when PostgreSQL chose it
 * as a deadlock or serialization victim (TransactionConflict) or a concurrent worker won a unique
 * race (Conflict): both roll back cleanly, and re-running a page is safe by construction.
 */
export async function inPageTransaction<T>(
  prisma: Db,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(fn, { maxWait: 10_000, timeout: 60_000 });
    } catch (error) {
      const reason = classifyError(error).reason;
      if (attempt >= 4 || (reason !== 'TransactionConflict' && reason !== 'Conflict')) throw error;
    }
  }
}
