export interface SimConfig {
  /** Outlook: 4 concurrent requests per app per mailbox (Microsoft Graph throttling limits). */
  mailboxConcurrency: number;
  /** Outlook: 10,000 requests per 10 minutes per app per mailbox. */
  mailboxRequestsPer10Min: number;
  /**
   * Outlook: "150 megabytes (MB) upload (PATCH, POST, PUT) in a 5-minute period" per app per
   * mailbox (Microsoft Graph service-specific throttling limits, Outlook service limits).
   */
  mailboxUploadBytesPer5Min: number;
  /** The upload budget's sliding window in seconds (Outlook: 5 minutes; shorter in tests). */
  mailboxUploadWindowSeconds: number;
  /** Optional global limit per app across mailboxes (0 = off; Graph documents 2,000/s). */
  appRequestsPerSecond: number;
  /** Retry-After sent with concurrency 429s. */
  concurrencyRetryAfterSeconds: number;
  tokenLifetimeSeconds: number;
  /** Outlook resources: sources disagree (4,230 vs 10,080 min), so configurable. */
  maxSubscriptionLifetimeMinutes: number;
  defaultLatencyMs: number;
  /** Delta page size without `Prefer: odata.maxpagesize` (observed 10 for messages). */
  defaultPageSize: number;
  /** LRU bound on stored delta states (rounds + delta tokens); older ones answer 410 SyncStateNotFound. */
  maxDeltaStates: number;
  /**
   * Outlook delta tokens live in a bounded cache, not for a fixed time ("Use delta query to track
   * changes", Token duration): each mailbox keeps this many states, the oldest are dropped.
   */
  deltaStatesPerMailbox: number;
  /** A state older than this is dropped (the cache's eviction, as a realistic default). */
  deltaStateMaxAgeSeconds: number;
  /** Skiptokens of a round still valid: older nextLinks answer 410 once newer ones were issued. */
  deltaSkipTokenHistory: number;
  /**
   * Updated messages come back with the id and only the changed properties ("Use delta query",
   * Resource representation: "at least the properties that have been updated").
   */
  deltaPartialUpdates: boolean;
  /** "Applying $filter in a delta query returns only up to 5,000 messages" (delta-query-messages). */
  filteredDeltaMaxItems: number;
  /**
   * Sending is asynchronous (user: sendMail: "202 Accepted ... does not indicate that the request
   * processing has completed"): delivery, the Sent Items copy and NDRs come this long after the 202.
   */
  sendLatencyMs: number;
  sendLatencyJitterMs: number;
  validationTimeoutMs: number;
  notificationTimeoutMs: number;
  notificationRetryBaseMs: number;
  notificationGiveUpMs: number;
  allowHttpNotificationUrls: boolean;
  /** Extra CA certificates (PEM) trusted when delivering notifications, besides the simulator CA. */
  notificationCaPem?: string;
}

export const DEFAULT_CONFIG: SimConfig = {
  mailboxConcurrency: 4,
  mailboxRequestsPer10Min: 10_000,
  mailboxUploadBytesPer5Min: 150 * 1024 * 1024,
  mailboxUploadWindowSeconds: 300,
  appRequestsPerSecond: 0,
  concurrencyRetryAfterSeconds: 1,
  tokenLifetimeSeconds: 3599,
  maxSubscriptionLifetimeMinutes: 4230,
  defaultLatencyMs: 0,
  defaultPageSize: 10,
  maxDeltaStates: 50_000,
  deltaStatesPerMailbox: 200,
  deltaStateMaxAgeSeconds: 24 * 3600,
  deltaSkipTokenHistory: 2,
  deltaPartialUpdates: true,
  filteredDeltaMaxItems: 5_000,
  sendLatencyMs: 1_500,
  sendLatencyJitterMs: 1_500,
  validationTimeoutMs: 10_000,
  notificationTimeoutMs: 3_000,
  notificationRetryBaseMs: 1_000,
  notificationGiveUpMs: 4 * 60 * 60 * 1000,
  allowHttpNotificationUrls: false,
};

/** Fields `PATCH /_sim/config` may change at run time. */
export const PATCHABLE_NUMBERS = [
  'mailboxConcurrency',
  'mailboxRequestsPer10Min',
  'mailboxUploadBytesPer5Min',
  'mailboxUploadWindowSeconds',
  'appRequestsPerSecond',
  'concurrencyRetryAfterSeconds',
  'tokenLifetimeSeconds',
  'maxSubscriptionLifetimeMinutes',
  'defaultLatencyMs',
  'defaultPageSize',
  'maxDeltaStates',
  'deltaStatesPerMailbox',
  'deltaStateMaxAgeSeconds',
  'deltaSkipTokenHistory',
  'filteredDeltaMaxItems',
  'sendLatencyMs',
  'sendLatencyJitterMs',
  'validationTimeoutMs',
  'notificationTimeoutMs',
  'notificationRetryBaseMs',
  'notificationGiveUpMs',
] as const;
