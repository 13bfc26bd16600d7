import type { OutgoingCrashPoint } from '@syncfleet/config';
import { EmailStatus } from '@syncfleet/db';
import { SyncError } from '@syncfleet/errors';
import { classifyError } from '../engine/classify';
import type { CycleContext } from '../engine/types';
import { userPath } from '../probe/probe-handlers';
import { appendTrackingToken, formatTrackingToken } from '../tracking-token';
import {
  createDraft,
  deleteMessage,
  findByInternetMessageId,
  findOrphanDraft,
  sendDraft,
  type GraphMessageRef,
} from './graph-ops';

export interface SendSettings {
  trackingTokenEnabled: boolean;
  trackingTokenPrefix: string;
  /** Attempts of one email before a transient cause fails it (the fleet's TRANSIENT_MAX_RETRIES + 1). */
  maxAttempts: number;
  /** Fault injection: called at each named point of the protocol; may throw or end the process. */
  crash?: (point: OutgoingCrashPoint, emailId: string) => void;
}

export type SendOutcome = 'sent' | 'failed' | 'skipped';

/** Thrown by test crash hooks: never handled by the processor, like a process that died there. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/** Where the protocol was when something failed: only a failure *during* the send is ambiguous. */
type Phase = 'prepare' | 'send' | 'after-send';

const ACTIVE = [EmailStatus.PendingSend, EmailStatus.Sending];
/**
 * Graph rejecting the request itself (bad recipients, too large: InvalidRequest) fails this one
 * email; anything else (a routing problem, access denied…) is the mailbox's and goes to the policy.
 */
export function isEmailPermanent(error: SyncError): boolean {
  return error.reason === 'InvalidRequest';
}

const reasonOf = (e: SyncError) => `${e.code}: ${e.message}`.slice(0, 1000);

/**
 * Sends one outgoing email exactly once (README "Outgoing email: exactly once"):
 * 1. claim: PendingSend|Sending → Sending, sendAttemptCount + 1 (one conditional UPDATE);
 * 2. resuming (an earlier attempt started)? Look before acting: the internetMessageId recorded with
 *    the draft finds the message in any folder — sent (isDraft false) → just record Sent; still a
 *    draft → send that draft. No recorded draft → look for an unrecorded one by our header;
 * 3. no draft: create one (x-syncfleet-id header, tracking token in the subject) and record its id,
 *    internetMessageId and conversationId BEFORE sending it;
 * 4. send the recorded draft (202). A 404 for it means it is gone: sent by an attempt whose answer
 *    was lost, or deleted by the user — the internetMessageId lookup tells which;
 * 5. record Sent. Only now, if the profile keeps no Sent Items copy, delete the copy (it was the
 *    proof of sending until the database said Sent).
 */
export async function sendOne(ctx: CycleContext, emailId: string, s: SendSettings): Promise<SendOutcome> {
  const { prisma, graph, clock } = ctx;
  const crash = (point: OutgoingCrashPoint) => s.crash?.(point, emailId);
  const email = await prisma.emailActivity.findUnique({
    where: { id: emailId },
    include: { parties: true, attachments: true },
  });
  if (!email || !ACTIVE.includes(email.status as (typeof ACTIVE)[number])) return 'skipped';
  const resuming = email.status === EmailStatus.Sending || email.sendAttemptCount > 0;
  const token =
    email.trackingToken ??
    (s.trackingTokenEnabled
      ? formatTrackingToken(s.trackingTokenPrefix, 0, Number(email.trackingNumber))
      : null);
  const claimed = await prisma.emailActivity.updateMany({
    where: { id: emailId, status: { in: ACTIVE } },
    data: {
      status: EmailStatus.Sending,
      sendAttemptCount: { increment: 1 },
      sendingStartedAt: email.sendingStartedAt ?? clock(),
      trackingToken: token,
    },
  });
  if (claimed.count !== 1) return 'skipped';
  crash('after-claim');

  const attempt = email.sendAttemptCount + 1;
  const user = userPath(ctx.mailbox);
  let phase: Phase = 'prepare';

  const markSent = async (sentAt: Date, found: Partial<GraphMessageRef>) => {
    await prisma.emailActivity.updateMany({
      where: { id: emailId, status: EmailStatus.Sending },
      data: {
        status: EmailStatus.Sent,
        sentAt,
        failureReason: null,
        ...(found.conversationId ? { conversationId: found.conversationId } : {}),
        ...(found.internetMessageId ? { internetMessageId: found.internetMessageId } : {}),
      },
    });
    crash('after-sent-saved');
    if (!ctx.mailbox.profile.saveToSentItems) await dropSentCopy(found);
    return 'sent' as const;
  };

  // saveToSentItems = false: message: send always files a copy in Sent Items; it is deleted only
  // after Sent is recorded. A crash in between leaves the copy (harmless, logged), never a resend.
  const dropSentCopy = async (found: Partial<GraphMessageRef>) => {
    try {
      const imid = found.internetMessageId ?? email.internetMessageId;
      const copies =
        found.id && found.isDraft === false
          ? [found as GraphMessageRef]
          : imid
            ? await findByInternetMessageId(graph, user, imid)
            : [];
      for (const copy of copies.filter((c) => !c.isDraft)) await deleteMessage(graph, user, copy.id);
    } catch (error) {
      ctx.logger.warn({ emailId, err: classifyError(error).message }, 'could not delete the Sent Items copy');
    }
  };

  try {
    let draft: GraphMessageRef | null = null;
    if (resuming) {
      if (email.internetMessageId) {
        const found = await findByInternetMessageId(graph, user, email.internetMessageId);
        const sent = found.find((m) => !m.isDraft);
        if (sent) return await markSent(sent.sentDateTime ? new Date(sent.sentDateTime) : clock(), sent);
        draft = found.find((m) => m.isDraft) ?? null; // none: deleted in Exchange, never sent
      } else {
        draft = await findOrphanDraft(graph, user, emailId);
        if (draft) await recordDraft(draft);
      }
    }
    // Twice at most: a recorded draft that vanished unsent (deleted by the user) is created again.
    for (let round = 0; round < 2; round++) {
      if (!draft) {
        const subject =
          token && s.trackingTokenEnabled ? appendTrackingToken(email.subject, token) : email.subject;
        draft = await createDraft(graph, user, email, subject);
        crash('after-draft-created');
        await recordDraft(draft);
        crash('after-draft-saved');
      }
      phase = 'send';
      try {
        await sendDraft(graph, user, draft.id);
      } catch (error) {
        const e = classifyError(error);
        if (e.reason !== 'NotFound' || !draft.internetMessageId) throw error;
        // Gone: our own earlier send (answer lost, or retried by the Graph client), or deleted.
        phase = 'prepare';
        const found = await findByInternetMessageId(graph, user, draft.internetMessageId);
        const sent = found.find((m) => !m.isDraft);
        if (sent) return await markSent(sent.sentDateTime ? new Date(sent.sentDateTime) : clock(), sent);
        draft = found.find((m) => m.isDraft) ?? null;
        continue;
      }
      phase = 'after-send';
      crash('after-send');
      return await markSent(clock(), draft);
    }
    throw new SyncError('Conflict', 'the draft kept disappearing before sending', { code: 'DraftVanished' });
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    const e = classifyError(error);
    if (isEmailPermanent(e) && phase !== 'after-send') {
      await fail(reasonOf(e));
      return 'failed';
    }
    // Transient (or about the whole mailbox): the email stays Sending and is resumed — by the
    // look-before-acting step — in a later cycle, under the fleet's error policy. After the
    // configured attempts it fails, unless the last attempt was mid-send (outcome unknown: only a
    // later lookup may decide, so it is never failed blindly).
    if (e.kind === 'transient' && attempt >= s.maxAttempts && phase === 'prepare' && !ctx.signal.aborted) {
      await fail(`${reasonOf(e)} (gave up after ${attempt} attempts)`);
    } else {
      await prisma.emailActivity.updateMany({
        where: { id: emailId, status: EmailStatus.Sending },
        data: { failureReason: `attempt ${attempt}: ${reasonOf(e)}` },
      });
    }
    throw error;
  }

  async function recordDraft(draft: GraphMessageRef) {
    await prisma.emailActivity.updateMany({
      where: { id: emailId, status: EmailStatus.Sending },
      data: {
        graphDraftId: draft.id,
        internetMessageId: draft.internetMessageId,
        conversationId: draft.conversationId,
      },
    });
  }

  async function fail(reason: string) {
    await prisma.emailActivity.updateMany({
      where: { id: emailId, status: EmailStatus.Sending },
      data: { status: EmailStatus.Failed, failureReason: reason },
    });
  }
}
