import { stampChanges, type ChangeInput } from '../act/changes';
import { EmailStatus } from '@syncfleet/db';
import { SyncError } from '@syncfleet/errors';
import { classifyError } from '../engine/classify';
import type { CycleContext } from '../engine/types';
import { userPath } from '../probe/probe-handlers';
import { appendTrackingToken, formatTrackingToken } from '../tracking-token';
import {
  createDraft,
  draftPayload,
  findByInternetMessageId,
  findOrphanDraft,
  sendDraft,
  type GraphMessageRef,
} from './graph-ops';
import type { SendHooks, SendProtocolPoint } from './hooks';

export interface SendSettings {
  trackingTokenEnabled: boolean;
  trackingTokenPrefix: string;
  /** Attempts of one email before a transient cause fails it (the fleet's TRANSIENT_MAX_RETRIES + 1). */
  maxAttempts: number;
  /** How long a submitted send may stay in flight before it is taken as lost (OUTGOING_SEND_SETTLE_SEC). */
  sendSettleMs: number;
  /** Test instrumentation (hooks.ts); never set in production. */
  hooks?: SendHooks;
}

export type SendOutcome = 'sent' | 'failed' | 'skipped' | 'in-flight' | 'postponed';

/**
 * The mailbox's upload budget for this cycle (processor.ts): Outlook allows each app "150 megabytes
 * (MB) upload (PATCH, POST, PUT) in a 5-minute period" per mailbox. `usedBytes` grows as drafts are
 * uploaded.
 */
export interface UploadBudget {
  limitBytes: number;
  usedBytes: number;
}

/**
 * What a resumed email whose send may already have been requested should do. Exchange sends
 * asynchronously ("Send mail by using the Microsoft Graph API": the move to Sent Items happens after
 * the 202), so the draft keeps looking unsent for a while:
 * - never requested → `unsent` (send the draft, or create it again if it is gone);
 * - requested, draft still there, within the settle time → `in-flight` (wait, never send twice);
 * - requested, draft still there after the settle time → `unsent`: the request was lost;
 * - requested, no draft and no sent item → `sent`: transport took it (and the copy was deleted or
 *   moved by the user, or saveToSentItems=false removed it). A draft deleted by the user in the
 *   seconds between our request and transport would be counted as sent: accepted, a resend could
 *   duplicate mail that went out.
 */
export function submittedSend(
  submittedAt: Date | null,
  draft: GraphMessageRef | null,
  now: Date,
  settleMs: number,
): 'unsent' | 'in-flight' | 'sent' {
  if (!submittedAt) return 'unsent';
  if (!draft) return 'sent';
  return now.getTime() - submittedAt.getTime() < settleMs ? 'in-flight' : 'unsent';
}

/** A send that got no answer, or a gateway's timeout, may have been accepted by Exchange. */
function sendOutcomeUnknown(e: SyncError): boolean {
  // No HTTP answer at all (network, timeout, anything unrecognised) or a gateway's timeout.
  return e.details.status === undefined || e.details.status === 504;
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
export async function sendOne(
  ctx: CycleContext,
  emailId: string,
  s: SendSettings,
  budget?: UploadBudget,
): Promise<SendOutcome> {
  const { prisma, graph, clock } = ctx;
  const crash = (point: SendProtocolPoint) => s.hooks?.at(point, emailId);
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
  // The draft's upload must fit the mailbox's budget, else the email waits — unclaimed, no attempt
  // spent — until enough of the window has passed (one too large for any budget goes alone).
  const subject = token && s.trackingTokenEnabled ? appendTrackingToken(email.subject, token) : email.subject;
  const payload = email.internetMessageId ? null : draftPayload(email, subject);
  if (payload && budget && budget.usedBytes > 0 && budget.usedBytes + payload.bytes > budget.limitBytes) {
    return 'postponed';
  }
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
    await prisma.$transaction(async (tx) => {
      const marked = await tx.emailActivity.updateMany({
        where: { id: emailId, status: EmailStatus.Sending },
        data: {
          status: EmailStatus.Sent,
          sentAt,
          failureReason: null,
          ...(found.conversationId ? { conversationId: found.conversationId } : {}),
          ...(found.internetMessageId ? { internetMessageId: found.internetMessageId } : {}),
        },
      });
      if (marked.count) await stampChanges(tx, [emailChange('update')]);
    });
    crash('after-sent-saved');
    // saveToSentItems = false: the Sent Items copy, filed asynchronously, is removed by a later
    // cycle (sent-copies.ts) — until then it is the proof of sending.
    return 'sent' as const;
  };

  try {
    let draft: GraphMessageRef | null = null;
    if (resuming) {
      if (email.internetMessageId) {
        const found = await findByInternetMessageId(graph, user, email.internetMessageId);
        const sent = found.find((m) => !m.isDraft);
        if (sent) return await markSent(sent.sentDateTime ? new Date(sent.sentDateTime) : clock(), sent);
        const pending = found.find((m) => m.isDraft) ?? null;
        const submitted = submittedSend(email.sendSubmittedAt, pending, clock(), s.sendSettleMs);
        if (submitted === 'in-flight') {
          ctx.logger.info({ emailId }, 'send requested earlier still in flight: not sending again');
          return 'in-flight';
        }
        if (submitted === 'sent') return await markSent(email.sendSubmittedAt ?? clock(), {});
        draft = pending; // none: deleted in Exchange before it was ever submitted
      } else {
        draft = await findOrphanDraft(graph, user, emailId);
        if (draft) await recordDraft(draft);
      }
    }
    // Twice at most: a recorded draft that vanished unsent (deleted by the user) is created again.
    for (let round = 0; round < 2; round++) {
      if (!draft) {
        const upload = payload ?? draftPayload(email, subject);
        draft = await createDraft(graph, user, upload);
        if (budget) budget.usedBytes += upload.bytes;
        crash('after-draft-created');
        await recordDraft(draft, upload.bytes);
        crash('after-draft-saved');
      }
      // Recorded before the request: after a crash, a draft that still looks unsent is known to be
      // in Exchange's asynchronous send (user: sendMail, 202 "does not indicate that the request
      // processing has completed") and is not sent a second time.
      await prisma.emailActivity.updateMany({
        where: { id: emailId, status: EmailStatus.Sending },
        data: { sendSubmittedAt: clock() },
      });
      crash('after-send-submitted');
      phase = 'send';
      try {
        await sendDraft(graph, user, draft.id);
      } catch (error) {
        const e = classifyError(error);
        // An answer that rejects the request means it was not accepted: not in flight. Only a
        // request without an answer (network, timeout) or a gateway timeout stays ambiguous.
        if (!sendOutcomeUnknown(e)) {
          await prisma.emailActivity.updateMany({
            where: { id: emailId, status: EmailStatus.Sending },
            data: { sendSubmittedAt: null },
          });
        }
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
    if (s.hooks?.isCrash(error)) throw error;
    const e = classifyError(error);
    if (isEmailPermanent(e) && phase !== 'after-send') {
      await fail(reasonOf(e));
      return 'failed';
    }
    // Transient (or about the whole mailbox): the email stays Sending and is resumed — by the
    // look-before-acting step — in a later cycle, under the fleet's error policy. After the
    // configured attempts it fails, unless the last attempt was mid-send (outcome unknown: only a
    // later lookup may decide, so it is never failed blindly).
    // Throttling is Graph asking to wait, never the email's fault: it does not use up attempts.
    if (
      e.kind === 'transient' &&
      e.reason !== 'Throttled' &&
      attempt >= s.maxAttempts &&
      phase === 'prepare' &&
      !ctx.signal.aborted
    ) {
      await fail(`${reasonOf(e)} (gave up after ${attempt} attempts)`);
    } else {
      await prisma.emailActivity.updateMany({
        where: { id: emailId, status: EmailStatus.Sending },
        data: { failureReason: `attempt ${attempt}: ${reasonOf(e)}` },
      });
    }
    throw error;
  }

  /** `uploadBytes`: the draft was just uploaded (counted in the mailbox's upload budget). */
  async function recordDraft(draft: GraphMessageRef, uploadBytes?: number) {
    await prisma.emailActivity.updateMany({
      where: { id: emailId, status: EmailStatus.Sending },
      data: {
        graphDraftId: draft.id,
        internetMessageId: draft.internetMessageId,
        conversationId: draft.conversationId,
        ...(uploadBytes !== undefined ? { draftUploadedAt: clock(), draftUploadBytes: uploadBytes } : {}),
      },
    });
  }

  async function fail(reason: string) {
    await prisma.$transaction(async (tx) => {
      const marked = await tx.emailActivity.updateMany({
        where: { id: emailId, status: EmailStatus.Sending },
        data: { status: EmailStatus.Failed, failureReason: reason },
      });
      if (marked.count) await stampChanges(tx, [emailChange('update')]);
    });
  }

  /** The change-sequence entry of this email's new status (GET /api/changes). */
  function emailChange(operation: 'update'): ChangeInput {
    return { kind: 'email', recordId: emailId, operation, source: 'exchange', mailboxId: ctx.mailbox.id };
  }
}
