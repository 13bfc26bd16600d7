import { SecretUnreadableError } from '@syncfleet/config';
import { classifyDatabaseError } from '@syncfleet/db';
import { firstLine, SyncError } from '@syncfleet/errors';
import { classifyGraphError } from '@syncfleet/graph';

/**
 * The classification every caller uses: any thrown value → one SyncError (reason × kind × scope).
 * Each source is recognised by its own package — the database's errors by packages/db, Graph's,
 * Entra ID's and the network's by packages/graph, a secret this deployment cannot open by
 * packages/config's SecretUnreadableError. The database comes first: its connection failures carry
 * socket codes too, and they are our infrastructure's, not a mailbox's.
 */
export function classifyError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  if (error instanceof SecretUnreadableError) {
    return new SyncError(
      'SecretUnreadable',
      `${error.message} Restore the missing key to SECRET_KEYS, or enter the profile's client secret again.`,
      { code: 'SecretUnreadable', cause: error },
    );
  }
  return (
    classifyDatabaseError(error) ??
    classifyGraphError(error) ??
    new SyncError('Unexpected', firstLine((error as Error | undefined)?.message) || String(error), {
      code: (error as Error | undefined)?.name || 'Unexpected',
      cause: error,
    })
  );
}
