/**
 * What a failed delta request means for the round. The one place that reads Graph's status codes
 * and error codes for delta: when errors carry a classified reason (SyncStateGone, NotFound), this
 * function switches on it instead, and nothing else changes.
 *
 * - `resync`: "410 (gone) and a Location header containing a request URL with an empty $deltaToken"
 *   ("Use delta query to track changes in Microsoft Graph data", Synchronization reset), or the
 *   code `resyncRequired` (Graph "Error codes"): start over with a full round, deltaLink included.
 * - `state-lost`: "In case of an expired token, the service should respond with a 40X-series error
 *   with error codes such as syncStateNotFound" (same page, Token duration) — any 410, or a 4xx with
 *   syncStateNotFound / syncStateInvalid in any casing: the round's token is gone.
 * - `folder-gone`: 404 ErrorItemNotFound — the folder itself was deleted.
 */
export type DeltaFailure = 'resync' | 'state-lost' | 'folder-gone';

interface GraphLikeError {
  statusCode?: number;
  code?: string;
  headers?: { get?: (name: string) => string | null };
}

const STATE_CODES = new Set(['syncstatenotfound', 'syncstateinvalid']);

export function deltaFailure(error: unknown): DeltaFailure | null {
  const e = (error ?? {}) as GraphLikeError;
  const status = e.statusCode ?? 0;
  const code = (e.code ?? '').toLowerCase();
  if (code === 'resyncrequired' || (status === 410 && e.headers?.get?.('location'))) return 'resync';
  if (status === 410 || (status >= 400 && status < 500 && STATE_CODES.has(code))) return 'state-lost';
  if (status === 404 && code === 'erroritemnotfound') return 'folder-gone';
  return null;
}
