import { EmailDirection, EmailStatus } from '@syncfleet/db';
import { classifyError } from '../engine/classify';
import type { CycleContext } from '../engine/types';
import { userPath } from '../probe/probe-handlers';
import { deleteMessage, findByInternetMessageId } from './graph-ops';

/** Copies still to remove are looked for this long after sending (then given up, logged). */
const SWEEP_WINDOW_MS = 24 * 60 * 60 * 1000;
const SWEEP_BATCH = 50;

/**
 * saveToSentItems = false. Syncfleet sends through a draft (the Sent Items copy is the proof of
 * sending after a crash), and Exchange files that copy only after the 202 — asynchronously ("Send
 * mail by using the Microsoft Graph API", step 4). So the copy is deleted by a later cycle, once it
 * exists: every Sent email of the mailbox whose copy is not yet handled (graphDraftId still set) is
 * looked up; its Sent Items copies are deleted; while the draft is still in flight it is left for
 * the next cycle. Returns how many still wait (the cycle yields so it comes back soon).
 */
export async function dropSentCopies(ctx: CycleContext): Promise<number> {
  if (ctx.mailbox.profile.saveToSentItems) return 0;
  const { prisma, graph } = ctx;
  const user = userPath(ctx.mailbox);
  const pending = await prisma.emailActivity.findMany({
    where: {
      ownerMailboxId: ctx.mailbox.id,
      direction: EmailDirection.Outgoing,
      status: { in: [EmailStatus.Sent, EmailStatus.Bounced] },
      graphDraftId: { not: null },
      internetMessageId: { not: null },
      sentAt: { gt: new Date(ctx.clock().getTime() - SWEEP_WINDOW_MS) },
    },
    select: { id: true, internetMessageId: true },
    take: SWEEP_BATCH,
  });
  let waiting = 0;
  for (const email of pending) {
    if (ctx.signal.aborted) break;
    try {
      const copies = await findByInternetMessageId(graph, user, email.internetMessageId!);
      if (copies.some((c) => c.isDraft)) {
        waiting += 1; // still in Exchange's asynchronous send
        continue;
      }
      for (const copy of copies) await deleteMessage(graph, user, copy.id);
      await prisma.emailActivity.update({ where: { id: email.id }, data: { graphDraftId: null } });
    } catch (error) {
      waiting += 1;
      ctx.logger.warn(
        { emailId: email.id, err: classifyError(error).message },
        'could not delete the Sent Items copy',
      );
    }
  }
  return waiting;
}
