import { SyncError } from '@syncfleet/errors';
import type { WorkloadName } from '@syncfleet/workloads';
import type { EngineResources, MailboxWithProfile } from './types';

/**
 * The Microsoft Graph application permissions Syncfleet needs (docs/microsoft-graph.md#permissions),
 * from the "Permissions" table of each method's page on learn.microsoft.com/graph/api: `name` is
 * the one to grant, `anyOf` the permissions the page accepts for the same calls (a higher
 * privileged one works too).
 */
export interface AppPermission {
  name: string;
  anyOf: readonly string[];
  /** What needs it, for the message. */
  neededFor: string;
}

/** user: list with `$filter` (Test & Enable resolves the mailbox's address): User.Read.All. */
export const DIRECTORY_PERMISSION: AppPermission = {
  name: 'User.Read.All',
  anyOf: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  neededFor: 'finding mailboxes by address',
};

/**
 * Per workload. incoming-email: message: delta, attachments (Mail.Read); outgoing-email: create a
 * draft and its attachments (Mail.ReadWrite), message: send (Mail.Send); act: events, contacts and
 * To Do tasks both ways (Calendars.ReadWrite, Contacts.ReadWrite, Tasks.ReadWrite.All).
 */
export const WORKLOAD_PERMISSIONS: Record<WorkloadName, readonly AppPermission[]> = {
  'incoming-email': [
    { name: 'Mail.Read', anyOf: ['Mail.Read', 'Mail.ReadWrite'], neededFor: 'incoming email' },
  ],
  'outgoing-email': [
    { name: 'Mail.ReadWrite', anyOf: ['Mail.ReadWrite'], neededFor: 'outgoing email (drafts)' },
    { name: 'Mail.Send', anyOf: ['Mail.Send'], neededFor: 'outgoing email (sending)' },
  ],
  act: [
    { name: 'Calendars.ReadWrite', anyOf: ['Calendars.ReadWrite'], neededFor: 'appointments' },
    { name: 'Contacts.ReadWrite', anyOf: ['Contacts.ReadWrite'], neededFor: 'contacts' },
    { name: 'Tasks.ReadWrite.All', anyOf: ['Tasks.ReadWrite.All'], neededFor: 'tasks' },
  ],
};

/** The permissions of `wanted` that `roles` does not grant. */
export function missingPermissions(
  roles: readonly string[],
  wanted: readonly AppPermission[],
): AppPermission[] {
  return wanted.filter((p) => !p.anyOf.some((r) => roles.includes(r)));
}

/**
 * ONE profile-level error naming what to grant: the app registration is the profile's, so every
 * mailbox fails alike and the fix is an administrator's (grant with admin consent).
 */
export function appPermissionError(
  clientId: string,
  missing: readonly AppPermission[],
  cause?: unknown,
): SyncError {
  const names = [...new Set(missing.map((p) => p.name))];
  const what = missing.map((p) => `${p.name} (${p.neededFor})`).join(', ');
  return new SyncError(
    'AppPermissionMissing',
    names.length === 0
      ? `The app registration ${clientId} has no Microsoft Graph application permission granted. Grant the permissions Syncfleet needs (docs/microsoft-graph.md#permissions) with admin consent, then Test & Enable.`
      : `The app registration ${clientId} lacks the Microsoft Graph application permission${names.length > 1 ? 's' : ''} ${what}. Grant ${names.join(', ')} with admin consent in Entra ID, then Test & Enable.`,
    { code: 'AppPermissionMissing', cause },
  );
}

/**
 * A 403 in a cycle is the mailbox's (an application access policy excluding it) unless the app's
 * token lacks a permission the workload needs: then it is the profile's, and the policy disables
 * the profile's mailboxes with ONE alert naming the permission, instead of one alert per mailbox.
 */
export async function permissionOrMailbox(
  res: Pick<EngineResources, 'graph'>,
  mailbox: MailboxWithProfile,
  workload: WorkloadName,
  error: SyncError,
): Promise<SyncError> {
  if (error.reason !== 'MissingPermission') return error;
  const roles = await res.graph.grantedRoles(mailbox.profile).catch(() => undefined);
  if (!roles) return error;
  const missing = missingPermissions(roles, WORKLOAD_PERMISSIONS[workload]);
  return missing.length > 0 ? appPermissionError(mailbox.profile.clientId, missing, error) : error;
}
