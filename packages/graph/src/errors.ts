import { AuthError, ClientConfigurationError, ServerError } from '@azure/msal-node';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { firstLine, SyncError, type Reason } from '@syncfleet/errors';
import { entraReason, entraCode, entraMessage } from './entra-errors';

/**
 * Graph, Entra ID (msal-node) and network failures → reasons: the one place that reads Graph status
 * codes, Graph error codes, OAuth `error` values and AADSTS numbers. Decided from codes only, never
 * from message text. Recorded response bodies for every row are in __fixtures__/ (errors.test.ts).
 */

/**
 * Graph `error.code` values that say more than their status ("Microsoft Graph error responses and
 * resource types"; Outlook mail REST API error codes; "Use delta query to track changes in
 * Microsoft Graph data": an expired delta token is 410 Gone with syncStateNotFound/resyncRequired).
 */
const GRAPH_CODES: Record<string, Reason> = {
  SyncStateNotFound: 'SyncStateGone',
  syncStateNotFound: 'SyncStateGone',
  resyncRequired: 'SyncStateGone',
  syncStateInvalid: 'SyncStateGone', // seen beside syncStateNotFound in real tenants' delta errors
  ErrorAccessDenied: 'MissingPermission', // also: an application access policy excludes the mailbox
  Authorization_RequestDenied: 'MissingPermission',
  accessDenied: 'MissingPermission',
  MailboxNotEnabledForRESTAPI: 'MailboxUnavailable', // inactive, soft-deleted or on-premises mailbox
  MailboxNotSupportedForRESTAPI: 'MailboxUnavailable',
  ErrorInvalidUser: 'MailboxUnavailable',
  ErrorNonExistentMailbox: 'MailboxUnavailable',
  ErrorIncorrectRoutingHint: 'MailboxUnavailable', // X-AnchorMailbox does not route to the mailbox
  ErrorQuotaExceeded: 'MailboxUnavailable', // the mailbox is full
  ErrorItemNotFound: 'NotFound',
  ResourceNotFound: 'NotFound',
  Request_ResourceNotFound: 'NotFound',
  itemNotFound: 'NotFound',
  ErrorIrresolvableConflict: 'Conflict', // If-Match change key is stale
  InvalidAuthenticationToken: 'ProfileAuth',
  // 401 for a token carrying no permissions at all ("NoPermissionsInAccessToken when calling /me
  // endpoint", learn.microsoft.com/troubleshoot/entra/entra-id/users-groups-entra-apis/): nothing
  // was granted to the app registration — every mailbox of the profile fails alike.
  NoPermissionsInAccessToken: 'AppPermissionMissing',
  ApplicationThrottled: 'Throttled',
  TooManyRequests: 'Throttled',
  activityLimitReached: 'Throttled',
};

/** HTTP status → reason, for codes the table above does not know ("Microsoft Graph error responses"). */
function reasonForStatus(status: number): Reason {
  switch (status) {
    case 401: // authentication missing or not valid: our token is the profile's app registration's
      return 'ProfileAuth';
    case 403:
      return 'MissingPermission';
    case 404:
      return 'NotFound';
    case 408:
      return 'Timeout';
    case 409:
    case 412:
    case 423:
      return 'Conflict';
    case 410:
      return 'SyncStateGone';
    case 429:
    case 509: // bandwidth limit exceeded
      return 'Throttled';
    case 501:
      return 'InvalidRequest';
    case 507: // insufficient storage: the mailbox quota is reached
      return 'MailboxUnavailable';
  }
  return status >= 500 ? 'ServiceUnavailable' : 'InvalidRequest';
}

/** Node's and undici's socket error codes: the request never got an answer. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Failures without an HTTP answer reach us as GraphError(statusCode -1) whose `code` is the
 * original error's name (GraphErrorHandler.constructError): fetch rejects every network failure
 * with a TypeError (Fetch standard), and AbortSignal.timeout() with a TimeoutError.
 */
const NAMED: Record<string, Reason> = {
  TypeError: 'Network',
  TimeoutError: 'Timeout',
  AbortError: 'Timeout',
  // msal-node failing inside the Graph client's AuthenticationHandler: its code is lost there, but
  // the next attempt acquires the token before any request and meets the real error.
  ServerError: 'AuthUnavailable',
  ClientAuthError: 'AuthUnavailable',
};

/** A SyncError for a Graph, msal-node or network failure; undefined when it is none of those. */
export function classifyGraphError(error: unknown): SyncError | undefined {
  if (error instanceof GraphError) return fromGraphError(error);
  if (error instanceof AuthError) return fromMsal(error);
  // AbortSignal.timeout() and abort() reject with a DOMException, told apart by its standard name.
  const named = (error as { name?: unknown } | null)?.name;
  if (named === 'TimeoutError' || named === 'AbortError') {
    return new SyncError('Timeout', firstLine((error as Error).message) || 'request timed out', {
      code: named,
      cause: error,
    });
  }
  const networkCode = findNetworkCode(error);
  if (networkCode) {
    return new SyncError('Network', firstLine((error as Error).message) || networkCode, {
      code: networkCode,
      cause: error,
    });
  }
  return undefined;
}

function fromGraphError(e: GraphError): SyncError {
  const status = e.statusCode >= 400 ? e.statusCode : undefined;
  const code = graphCode(e);
  if (status === undefined) {
    const reason = (code && NAMED[code]) || 'Unexpected';
    return new SyncError(reason, firstLine(e.message) || code || 'Graph request failed', {
      code: code ?? 'GraphError',
      status: e.statusCode > 0 ? e.statusCode : undefined,
      cause: e,
    });
  }
  const reason = (code && GRAPH_CODES[code]) || reasonForStatus(status);
  const retryAfterMs = parseRetryAfter(e.headers?.get('retry-after') ?? null);
  return new SyncError(reason, firstLine(e.message) || code || `HTTP ${status}`, {
    code: code ?? `Http${status}`,
    status,
    retryAfterMs,
    cause: e,
  });
}

function fromMsal(e: AuthError): SyncError {
  if (e instanceof ServerError) {
    const reason = entraReason(e.errorCode, e.errorNo, e.status);
    return new SyncError(reason, entraMessage(reason, e), { code: entraCode(e), status: e.status, cause: e });
  }
  // A profile whose authority URL msal cannot use is the profile's to fix.
  if (e instanceof ClientConfigurationError) {
    return new SyncError('ProfileAuth', firstLine(e.message), { code: e.errorCode, cause: e });
  }
  // ClientAuthError network_error / endpoints_resolution_error: the token endpoint (or its
  // metadata) could not be reached.
  const reason: Reason = MSAL_UNREACHABLE.has(e.errorCode) ? 'AuthUnavailable' : 'Unexpected';
  return new SyncError(reason, firstLine(e.message), { code: e.errorCode, cause: e });
}

/** msal-common ClientAuthErrorCodes for "the network failed". */
const MSAL_UNREACHABLE = new Set(['network_error', 'endpoints_resolution_error', 'no_network_connectivity']);

function graphCode(e: GraphError): string | undefined {
  if (e.code && e.code !== 'null') return e.code;
  const body = typeof e.body === 'string' ? safeJson(e.body) : e.body;
  const code = (body as { code?: unknown; error?: { code?: unknown } } | null)?.error?.code;
  if (typeof code === 'string') return code;
  // constructErrorFromResponse keeps the inner `error` object (stringified) as the body.
  const inner = (body as { code?: unknown } | null)?.code;
  if (typeof inner === 'string') return inner;
  // A failure that GraphErrorHandler did not recognise as an Error (one from another realm, as
  // under Jest) is kept whole as the body: its name is what `code` would have been.
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
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
  let current = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
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
