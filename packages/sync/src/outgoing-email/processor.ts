import { EmailDirection, EmailStatus } from '@syncfleet/db';
import type { CycleContext, CycleResult, WorkloadHandler } from '../engine/types';
import type { HandlersConfig } from '../handlers';
import type { SendHooks } from './hooks';
import { sendOne, type SendSettings, type UploadBudget } from './send-one';
import { dropSentCopies } from './sent-copies';

export interface OutgoingSettings extends SendSettings {
  maxPerCycle: number;
  sendRatePerMinute: number;
  /** The mailbox's upload budget over `uploadWindowMs` (OUTGOING_UPLOAD_BUDGET_BYTES, Outlook: 150 MB). */
  uploadBudgetBytes: number;
  /** OUTGOING_UPLOAD_WINDOW_SEC (Outlook: 5 minutes). */
  uploadWindowMs: number;
}

/** Stop starting new emails this close to the cycle's deadline: the cycle saves and yields. */
const DEADLINE_MARGIN_MS = 2_000;

/** The handler's settings from the worker's environment (packages/config outgoing-env.ts). */
export function outgoingSettingsFromConfig(config: HandlersConfig, hooks?: SendHooks): OutgoingSettings {
  return {
    maxPerCycle: config.OUTGOING_MAX_PER_CYCLE,
    sendRatePerMinute: config.OUTGOING_SEND_RATE_PER_MINUTE,
    trackingTokenEnabled: config.TRACKING_TOKEN_ENABLED,
    trackingTokenPrefix: config.TRACKING_TOKEN_PREFIX,
    maxAttempts: config.TRANSIENT_MAX_RETRIES + 1,
    sendSettleMs: config.OUTGOING_SEND_SETTLE_SEC * 1000,
    uploadBudgetBytes: config.OUTGOING_UPLOAD_BUDGET_BYTES,
    uploadWindowMs: config.OUTGOING_UPLOAD_WINDOW_SEC * 1000,
    hooks,
  };
}

/**
 * The outgoing-email workload: each cycle sends the mailbox's PendingSend emails (and resumes the
 * ones left Sending by a crash), oldest first, at most OUTGOING_MAX_PER_CYCLE and no more than the
 * per-mailbox rate allows (Sent in the last minute counts). A longer backlog yields so the cycle
 * comes back soon — it delays only its own mailbox, since every cycle is one mailbox's job.
 * Per-email rejections fail that email alone; transient errors end the cycle under the fleet's
 * error policy (Retry-After, retry delay), leaving the email to be resumed.
 */
export function createOutgoingEmailHandler(
  settings: OutgoingSettings,
): WorkloadHandler & { workload: 'outgoing-email' } {
  return {
    workload: 'outgoing-email',
    async run(ctx: CycleContext): Promise<CycleResult> {
      const { prisma, mailbox, clock } = ctx;
      const now = clock();
      const sentLastMinute = await prisma.emailActivity.count({
        where: {
          ownerMailboxId: mailbox.id,
          direction: EmailDirection.Outgoing,
          status: EmailStatus.Sent,
          sentAt: { gt: new Date(now.getTime() - 60_000) },
        },
      });
      const allowed = Math.max(
        0,
        Math.min(settings.maxPerCycle, settings.sendRatePerMinute - sentLastMinute),
      );
      const queue = await prisma.emailActivity.findMany({
        where: {
          ownerMailboxId: mailbox.id,
          direction: EmailDirection.Outgoing,
          status: { in: [EmailStatus.PendingSend, EmailStatus.Sending] },
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: allowed + 1,
        select: { id: true },
      });
      let sent = 0;
      let failed = 0;
      let handled = 0;
      let postponed = false;
      const budget = allowed > 0 && queue.length > 0 ? await uploadBudget(ctx, settings, now) : undefined;
      for (const { id } of queue.slice(0, allowed)) {
        if (ctx.signal.aborted || clock().getTime() > ctx.deadline - DEADLINE_MARGIN_MS) break;
        const outcome = await sendOne(ctx, id, settings, budget);
        // Oldest first: a large email waiting for the budget is not overtaken by smaller ones.
        if (outcome === 'postponed') {
          postponed = true;
          break;
        }
        if (outcome === 'sent') sent++;
        if (outcome === 'failed') failed++;
        handled++;
      }
      await dropSentCopies(ctx);
      if (allowed === 0 && queue.length > 0)
        ctx.logger.debug({ sentLastMinute, rate: settings.sendRatePerMinute }, 'send rate reached: waiting');
      if (postponed) {
        ctx.logger.info(
          {
            usedBytes: budget?.usedBytes,
            budgetBytes: settings.uploadBudgetBytes,
            waiting: queue.length - handled,
          },
          'upload budget reached: emails postponed',
        );
      }
      return {
        itemsProcessed: sent,
        itemsFailed: failed,
        // In-flight sends and copies still to remove wait for the next scheduled cycle (no spin).
        yielded: queue.length > handled,
        // Visible on the workload (console details): the pacing while emails wait for the budget,
        // and its end (written once, when the stored state still shows emails waiting).
        ...(budget && (postponed || wasPostponed(ctx.checkpoint))
          ? {
              checkpoint: {
                uploadBudget: {
                  usedBytes: budget.usedBytes,
                  budgetBytes: settings.uploadBudgetBytes,
                  windowSec: settings.uploadWindowMs / 1000,
                  postponed: postponed ? queue.length - handled : 0,
                  at: clock().toISOString(),
                },
              },
            }
          : {}),
      };
    },
  };
}

/** Bytes this mailbox's drafts uploaded within the window (the budget's used part). */
async function uploadBudget(ctx: CycleContext, settings: OutgoingSettings, now: Date): Promise<UploadBudget> {
  const used = await ctx.prisma.emailActivity.aggregate({
    where: {
      ownerMailboxId: ctx.mailbox.id,
      draftUploadedAt: { gt: new Date(now.getTime() - settings.uploadWindowMs) },
    },
    _sum: { draftUploadBytes: true },
  });
  return { limitBytes: settings.uploadBudgetBytes, usedBytes: used._sum.draftUploadBytes ?? 0 };
}

function wasPostponed(checkpoint: unknown): boolean {
  const state = (checkpoint as { uploadBudget?: { postponed?: number } } | null)?.uploadBudget;
  return (state?.postponed ?? 0) > 0;
}
