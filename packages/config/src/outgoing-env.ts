import { z } from 'zod';
import { bool, int } from './parse';

/**
 * Outgoing email workload. Read by the worker; see README "Outgoing email" and
 * packages/sync/src/outgoing-email/README.md.
 */
export const outgoingEnvSchema = z.object({
  /** Emails one cycle of one mailbox sends at most; a longer backlog continues in the next cycle. */
  OUTGOING_MAX_PER_CYCLE: int(1, 10_000).default(20),
  /** Per-mailbox send rate (Exchange Online allows about 30 messages a minute per mailbox). */
  OUTGOING_SEND_RATE_PER_MINUTE: int(1, 1_000_000).default(30),
  /** Append the tracking token (TRACKING_TOKEN_PREFIX) to the subject of sent mail. */
  TRACKING_TOKEN_ENABLED: bool.default(true),
  /**
   * Sending is asynchronous in Exchange Online: a draft whose send was requested may still look
   * unsent for a while. A resumed email waits this long for its Sent Items copy before concluding
   * the request was lost and sending again (outgoing-email README, "Exactly once").
   */
  OUTGOING_SEND_SETTLE_SEC: int(1, 86_400).default(600),
  /**
   * Outlook allows each app "150 megabytes (MB) upload (PATCH, POST, PUT) in a 5-minute period" per
   * mailbox (Microsoft Graph throttling limits). A mailbox's drafts are paced under this budget:
   * an email whose upload does not fit waits (PendingSend) until enough of the window has passed,
   * instead of meeting 429s and failing after its attempts.
   */
  OUTGOING_UPLOAD_BUDGET_BYTES: int(1, 10 * 1024 * 1024 * 1024).default(150 * 1024 * 1024),
  /** The upload budget's sliding window (Outlook: 5 minutes). */
  OUTGOING_UPLOAD_WINDOW_SEC: int(1, 86_400).default(300),
});

export type OutgoingEnv = z.output<typeof outgoingEnvSchema>;
