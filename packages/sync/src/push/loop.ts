import { Prisma, type SqlClient } from '@syncfleet/db';
import type { Logger } from '@syncfleet/telemetry';
import type { SubscriptionManager } from './manager';

/**
 * The loop the scheduler runs when WEBHOOK_PUBLIC_URL is set. Errors of one pass (PostgreSQL away…)
 * are logged and the next pass tries again.
 */
export function startSubscriptionLoop(manager: SubscriptionManager, logger: Logger, tickMs: number) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = manager
      .pass()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error }, 'change-notification subscription pass failed'),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(run, tickMs);
      });
  };
  run();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Without a public URL the fleet polls: health marks left by an earlier run are cleared. */
export async function clearPushHealth(sql: SqlClient): Promise<number> {
  const rows = await sql.query<{ n: number }>(Prisma.sql`
    WITH c AS (UPDATE "MailboxWorkload" SET "pushHealthyUntil" = NULL WHERE "pushHealthyUntil" IS NOT NULL
               RETURNING 1)
    SELECT count(*)::int AS n FROM c`);
  return rows[0]?.n ?? 0;
}
