import { z } from 'zod';
import { bool, int } from './parse';

/**
 * Incoming email workload. Read by the worker; see README "Incoming email" and
 * docs/dynamics-server-side-sync.md#incoming-email.
 */
export const incomingEnvSchema = z.object({
  /**
   * Promotion filter of a mailbox whose own `incomingFilter` is null. Default
   * `ResponsesToAppEmail`: like Dynamics 365's default, only answers to mail the app sent or tracks
   * are promoted until an administrator chooses otherwise.
   */
  INCOMING_DEFAULT_FILTER: z
    .enum(['All', 'ResponsesToAppEmail', 'FromKnownContacts', 'None'])
    .default('ResponsesToAppEmail'),
  /** Messages (delta entries) looked at per cycle before the cycle saves and yields. */
  INCOMING_MAX_ITEMS_PER_CYCLE: int(1, 100_000).default(2_000),
  /** `Prefer: odata.maxpagesize` of a delta page. */
  INCOMING_PAGE_SIZE: int(1, 1_000).default(50),
  /** File attachments up to this size are stored; larger ones are metadata only (skipped). */
  ATTACHMENT_MAX_BYTES: int(0).default(3 * 1024 * 1024),
  /** Tracking token prefix in subjects, e.g. `CRM:0001001`. */
  TRACKING_TOKEN_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9]{1,20}$/, 'must be 1-20 letters or digits')
    .default('CRM'),
  /** Smart matching (subject words + recipients hash) as the last correlation step. */
  SMART_MATCHING: bool.default(false),
});

export type IncomingEnv = z.output<typeof incomingEnvSchema>;
