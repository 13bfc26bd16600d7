import { z } from 'zod';
import { int, urlWithProtocol } from './parse';

/**
 * Push (Graph change notifications): where Microsoft reaches the fleet, and how subscriptions live.
 * Without WEBHOOK_PUBLIC_URL the fleet polls as before and says so at start.
 */
export const pushEnvSchema = z.object({
  /** Public https URL of the webhook receiver (apps/webhooks); Microsoft requires https. */
  WEBHOOK_PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), urlWithProtocol('https:').optional()),
  /**
   * Lifetime asked for each subscription. Outlook message/event/contact subscriptions live at most
   * 4,230 minutes ("subscription resource type", maximum length per resource type); a longer request
   * is refused by Graph.
   */
  PUSH_SUBSCRIPTION_LIFETIME_MIN: int(1, 4230).default(4230),
  /** Renew this long before expiry (at most 90 % of the lifetime before). */
  PUSH_RENEW_BEFORE_SEC: int(1).default(12 * 3600),
  /** How often the subscription loop looks for work (renewals, lifecycle actions, retries). */
  PUSH_MANAGER_TICK_MS: int(50).default(1_000),
  /** How often it compares the subscriptions with the enabled workloads and tracked folders. */
  PUSH_RECONCILE_SEC: int(1).default(60),
  /** Subscriptions created, renewed or deleted per loop pass at most (Graph calls take fleet slots). */
  PUSH_MANAGER_BATCH: int(1, 10_000).default(200),
  /**
   * A subscription whose Graph calls have kept failing this long gets a Warning alert (one on the
   * profile when the cause is the profile's or the deployment's), resolved when it works again.
   * 0 = at the first failure.
   */
  PUSH_ALERT_AFTER_SEC: int(0).default(900),
});

/** The receiver role: its listener, TLS and request limits. */
export const webhookEnvSchema = z.object({
  WEBHOOK_HOST: z.string().default('127.0.0.1'),
  WEBHOOK_PORT: int(0, 65535).default(3443),
  /** PEM files for HTTPS; without them the receiver speaks HTTP behind a TLS-terminating Ingress. */
  WEBHOOK_TLS_CERT_FILE: z.string().optional(),
  WEBHOOK_TLS_KEY_FILE: z.string().optional(),
  /** Larger notification POSTs are refused with 413. */
  WEBHOOK_BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
});

export type PushEnv = z.output<typeof pushEnvSchema>;
export type WebhookEnv = z.output<typeof webhookEnvSchema>;
