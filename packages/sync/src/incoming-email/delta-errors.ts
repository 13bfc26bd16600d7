import { classifyError } from '../engine/classify';

/**
 * What a failed delta request means for the round, from the error's classified reason
 * (SyncStateGone, NotFound) and, to tell the variants apart, its Graph code.
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

const STATE_CODES = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

export function deltaFailure(error: unknown): DeltaFailure | null {
  const classified = classifyError(error);
  const code = (classified.code ?? '').toLowerCase();
  const status = classified.details.status ?? 0;
  // Graph sends these codes in more than one casing, and with statuses other than 410.
  const stateGone =
    classified.reason === 'SyncStateGone' || (status >= 400 && status < 500 && STATE_CODES.has(code));
  if (stateGone) {
    const location = (classified.details.cause as { headers?: Headers } | undefined)?.headers?.get?.(
      'location',
    );
    return code === 'resyncrequired' || (status === 410 && location) ? 'resync' : 'state-lost';
  }
  if (classified.reason === 'NotFound' && code === 'erroritemnotfound') return 'folder-gone';
  return null;
}
