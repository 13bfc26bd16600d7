import { randomUUID } from 'node:crypto';
import type { SimResponse } from './types';

/** Graph's error envelope (Microsoft Graph "Error responses and resource types"). */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): SimResponse {
  return { status, headers, body: { error: { code, message } } };
}

/** Fills in innerError once request ids are known (done by the pipeline for every error). */
export function withInnerError(
  res: SimResponse,
  requestId: string,
  clientRequestId: string | undefined,
): void {
  const body = res.body as { error?: Record<string, unknown> } | undefined;
  if (res.status < 400 || !body || typeof body !== 'object' || !body.error) return;
  body.error.innerError = {
    date: new Date().toISOString().slice(0, 19),
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
  };
}

export const notFound = (what = 'The specified object was not found in the store.'): SimResponse =>
  graphError(404, 'ErrorItemNotFound', what);

export const badRequest = (message: string, code = 'BadRequest'): SimResponse =>
  graphError(400, code, message);

/** Entra ID (AAD) style error body for the token endpoint. */
export function aadError(status: number, error: string, aadsts: number, description: string): SimResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: 'https://login.microsoftonline.com/error?code=' + aadsts,
    },
  };
}
