import type { ServerError } from '@azure/msal-node';
import { firstLine, REASONS, type Reason } from '@syncfleet/errors';

/**
 * Entra ID token endpoint errors → reasons ("Microsoft Entra authentication and authorization error
 * codes", learn.microsoft.com/entra/identity-platform/reference-error-codes). msal-node throws them
 * as ServerError: `errorCode` = the OAuth `error` field, `errorNo` = the first of `error_codes`
 * (the AADSTS number), `status` = the HTTP status.
 *
 * That page asks clients to act on the `error` field, since AADSTS numbers may become more granular
 * over time: so the `error` field decides, and an AADSTS number only refines it where the fix
 * differs (an expired secret is fixed differently from a wrong one).
 */
const OAUTH_ERRORS: Record<string, Reason> = {
  invalid_client: 'ProfileAuth', // AADSTS7000215 wrong secret, AADSTS7000222 expired secret
  unauthorized_client: 'ProfileAuth', // AADSTS700016 app not found in the tenant, app disabled
  invalid_request: 'ProfileAuth', // AADSTS90002 tenant not found
  invalid_grant: 'ProfileAuth',
  invalid_scope: 'ProfileAuth',
  invalid_resource: 'ProfileAuth', // AADSTS500011 resource principal not found in the tenant
  unsupported_grant_type: 'ProfileAuth',
  interaction_required: 'ProfileAuth', // AADSTS65001 consent missing
  consent_required: 'ProfileAuth',
  access_denied: 'ProfileAuth',
  temporarily_unavailable: 'AuthUnavailable', // "the server is temporarily too busy": retry
};

/** AADSTS numbers whose fix differs from their `error` field's. */
const AADSTS: Record<string, Reason> = {
  '7000222': 'SecretExpired', // InvalidClientSecretExpiredKeysProvided
};

export function entraReason(error: string, errorNo: string | number | undefined, status?: number): Reason {
  const refined = errorNo === undefined ? undefined : AADSTS[String(errorNo)];
  if (refined) return refined;
  const byError = OAUTH_ERRORS[error];
  if (byError) return byError;
  // Unknown `error`: a server-side failure or throttling is retried; any other answer is the profile's.
  return status === undefined || status >= 500 || status === 429 ? 'AuthUnavailable' : 'ProfileAuth';
}

/** The AADSTS code an operator can look up (login.microsoftonline.com/error?code=…), else `error`. */
export function entraCode(e: ServerError): string {
  return e.errorNo !== undefined && String(e.errorNo) !== ''
    ? `AADSTS${e.errorNo}`
    : e.errorCode || 'ServerError';
}

/** The description without trace/correlation ids, plus what to do for the reasons with a known fix. */
export function entraMessage(reason: Reason, e: ServerError): string {
  // msal-node formats it "Error(s): … - Timestamp: … - Description: <error_description> - Correlation
  // ID: … - Trace ID: …"; the description itself ends with its own trace and correlation ids.
  const description = e.errorMessage.split(' - Description: ')[1] ?? e.errorMessage;
  const text = firstLine(description.split(/ - Correlation ID:|\s*Trace ID:/)[0]) || e.errorCode;
  if (reason === 'SecretExpired') {
    return `The client secret of the profile's app registration has expired (${entraCode(e)}). Create a new client secret for the app in Microsoft Entra ID (App registrations > Certificates & secrets) and update the profile with it.`;
  }
  if (reason === 'ProfileAuth') return `${text} (${REASONS.ProfileAuth.summary})`;
  return text;
}
