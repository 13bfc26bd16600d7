import { REASONS, type ErrorKind, type ErrorScope, type Reason } from './reasons';

export interface SyncErrorDetails {
  /** The raw code for display: Graph's error.code, the AADSTS code, the SQLSTATE… (default: the reason). */
  code?: string;
  /** HTTP status, when there was a response. */
  status?: number;
  /** Retry-After, when the service asked for one. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A classified failure. Kind and scope come from the reason (REASONS), so a reason means the same
 * consequence wherever it is raised.
 */
export class SyncError extends Error {
  override name = 'SyncError';
  readonly kind: ErrorKind;
  readonly scope: ErrorScope;
  readonly code: string;
  readonly details: { status?: number; retryAfterMs?: number; cause?: unknown };

  constructor(
    readonly reason: Reason,
    message: string,
    { code, status, retryAfterMs, cause }: SyncErrorDetails = {},
  ) {
    super(message, { cause });
    this.kind = REASONS[reason].kind;
    this.scope = REASONS[reason].scope;
    this.code = code ?? reason;
    this.details = { status, retryAfterMs, cause };
  }
}

/** First line of an error message, bounded: messages end up in alerts and database columns. */
export function firstLine(message: unknown): string {
  return typeof message === 'string' ? (message.trim().split('\n')[0] ?? '').slice(0, 500) : '';
}
