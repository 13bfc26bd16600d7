/**
 * The one error taxonomy (docs/dynamics-server-side-sync.md#error-policy): every failure a cycle
 * can meet becomes a SyncError that is permanent or transient, and about one mailbox or the whole
 * server profile. Decided from HTTP status and error codes only — never from message text.
 */
export type ErrorKind = 'permanent' | 'transient';
export type ErrorScope = 'mailbox' | 'server';

export class SyncError extends Error {
  override name = 'SyncError';
  constructor(
    readonly kind: ErrorKind,
    readonly scope: ErrorScope,
    readonly code: string,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
  }
}

/** Graph codes meaning "this mailbox cannot be synced as configured" (docs: Microsoft Graph error responses). */
const MAILBOX_PERMANENT_CODES = new Set([
  'ErrorAccessDenied', // application access policy excludes the mailbox
  'MailboxNotEnabledForRESTAPI', // inactive, soft-deleted or on-premises mailbox
  'MailboxNotSupportedForRESTAPI',
  'ErrorInvalidUser',
  'ErrorNonExistentMailbox',
  'ResourceNotFound',
  'Request_ResourceNotFound',
  'ErrorIncorrectRoutingHint',
]);

/** AAD errors about the app registration itself: every mailbox of the profile is affected. */
const SERVER_PERMANENT_AAD = new Set([
  'invalid_client', // wrong secret (AADSTS7000215), unknown app (AADSTS700016)
  'unauthorized_client',
  'invalid_request', // e.g. unknown tenant (AADSTS90002)
  'invalid_scope',
]);

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface GraphErrorLike {
  statusCode?: number;
  code?: string | null;
  message?: string;
  headers?: Headers;
  body?: unknown;
}

export function classifyError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const e = (error ?? {}) as GraphErrorLike & { errorCode?: string; name?: string; cause?: unknown };

  // msal-node: ServerError carries the AAD error in errorCode; network failures are ClientAuthErrors.
  if (
    typeof e.errorCode === 'string' &&
    (e.name === 'ServerError' || e.name === 'ClientAuthError' || e.name === 'AuthError')
  ) {
    if (SERVER_PERMANENT_AAD.has(e.errorCode)) {
      return new SyncError('permanent', 'server', `Auth.${e.errorCode}`, firstLine(e.message), {
        cause: error,
      });
    }
    return new SyncError('transient', 'server', `Auth.${e.errorCode}`, firstLine(e.message), {
      cause: error,
    });
  }

  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  if (status !== undefined) {
    const code = graphCode(e) ?? `Http${status}`;
    const retryAfterMs = parseRetryAfter(e.headers?.get?.('retry-after') ?? null);
    const details = { status, retryAfterMs, cause: error };
    const message = firstLine(e.message) || code;
    if (TRANSIENT_STATUSES.has(status)) return new SyncError('transient', 'mailbox', code, message, details);
    if (status === 410) return new SyncError('transient', 'mailbox', code, message, details); // sync state evicted
    if (status === 401) return new SyncError('permanent', 'mailbox', code, message, details);
    if (MAILBOX_PERMANENT_CODES.has(code) || status === 403 || status === 404) {
      return new SyncError('permanent', 'mailbox', code, message, details);
    }
    return new SyncError('permanent', 'mailbox', code, message, details);
  }

  // The Graph client wraps failures that had no HTTP response into GraphError(statusCode -1) whose
  // code is the original error's name.
  if (
    e.code === 'AbortError' ||
    e.code === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.name === 'TimeoutError'
  ) {
    return new SyncError(
      'transient',
      'mailbox',
      'Network.Timeout',
      firstLine(e.message) || 'request timed out',
      { cause: error },
    );
  }
  const networkCode = findNetworkCode(error);
  if (networkCode)
    return new SyncError('transient', 'mailbox', `Network.${networkCode}`, firstLine(e.message), {
      cause: error,
    });
  // Prisma's connection errors (P1xxx) and pg's: our own infrastructure, never the mailbox's fault.
  const dbCode = (error as { code?: unknown })?.code;
  if (typeof dbCode === 'string' && (/^P1\d{3}$/.test(dbCode) || /^(08|57P)/.test(dbCode))) {
    return new SyncError('transient', 'server', `Database.${dbCode}`, firstLine(e.message), { cause: error });
  }
  return new SyncError('transient', 'mailbox', 'Unexpected', firstLine(e.message) || String(error), {
    cause: error,
  });
}

function graphCode(e: GraphErrorLike): string | undefined {
  if (e.code && e.code !== 'null') return e.code;
  const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
  const code = (body as { error?: { code?: string } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Retry-After is seconds (possibly fractional) or an HTTP date (Graph throttling guidance). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function findNetworkCode(error: unknown): string | undefined {
  for (
    let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    current && depth < 5;
    depth++
  ) {
    if (typeof current.code === 'string' && NETWORK_CODES.has(current.code)) return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function firstLine(message: unknown): string {
  return typeof message === 'string' ? (message.split('\n')[0] ?? '').slice(0, 500) : '';
}
