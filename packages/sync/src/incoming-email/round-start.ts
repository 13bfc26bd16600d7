import type { CycleContext } from '../engine/types';
import { userPath } from '../probe/probe-handlers';
import { MESSAGE_SELECT } from './message';
import { deltaFilter, processEmailFrom } from './policy';

/**
 * "Applying $filter in a delta query returns only up to 5,000 messages" (delta-query-messages, Use
 * query parameters in a delta query for messages), and the only filter is receivedDateTime ge|gt:
 * a filtered round over a folder holding more cannot be continued, and which 5,000 it returns is
 * not documented. So a round is filtered only when the folder holds no more than that (mailFolder
 * totalItemCount); otherwise it runs unfiltered and Process Email From is applied as each message
 * is promoted (promote.ts) — slower on a big old mailbox, but it never loses mail.
 */
export const FILTERED_DELTA_MAX_ITEMS = 5_000;

export async function roundStartUrl(
  ctx: CycleContext,
  folderId: string,
  filteredMaxItems = FILTERED_DELTA_MAX_ITEMS,
): Promise<string> {
  const base = `${userPath(ctx.mailbox)}/mailFolders/${encodeURIComponent(folderId)}`;
  const params = [`$select=${MESSAGE_SELECT}`];
  const filter = deltaFilter(processEmailFrom(ctx.mailbox));
  if (filter && (await folderSize(ctx, base)) <= filteredMaxItems) {
    params.push(`$filter=${encodeURIComponent(filter)}`);
  }
  return `${base}/messages/delta?${params.join('&')}`;
}

async function folderSize(ctx: CycleContext, folderPath: string): Promise<number> {
  const folder = (await ctx.graph.api(`${folderPath}?$select=totalItemCount`).get()) as {
    totalItemCount?: unknown;
  };
  return typeof folder.totalItemCount === 'number' ? folder.totalItemCount : Number.POSITIVE_INFINITY;
}
