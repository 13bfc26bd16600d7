import { graphError } from '../http/errors';
import type { SimResponse } from '../http/types';

/**
 * Application permissions (the `roles` claim of an app-only token) each Graph route needs, from the
 * "Permissions" table of each method's page (learn.microsoft.com/graph/api/<method>, e.g.
 * user-get, user-list, user-list-messages, message-delta, message-send, user-sendmail,
 * user-list-events, event-delta, user-list-contacts, todotasklist-list-tasks,
 * user-get-mailboxsettings). Any one of `anyOf` suffices (the least privileged first, then the
 * higher privileged ones the page lists).
 *
 * What a request without it gets ("Resolve Microsoft Graph authorization errors",
 * https://learn.microsoft.com/graph/resolve-auth-errors: a missing permission is a 403):
 * - directory resources (`/users`, `/users/{id}` itself): 403 `Authorization_RequestDenied`
 *   "Insufficient privileges to complete the operation." (the Entra directory's code);
 * - mailbox resources (mail, calendar, contacts, To Do, mailbox settings): 403 `ErrorAccessDenied`
 *   "Access is denied. Check credentials and try again." (Exchange's code, as Outlook REST reports
 *   it);
 * - a token with no permissions at all (an app nobody granted anything): 401
 *   `NoPermissionsInAccessToken` "The token contains no permissions, or permissions can not be
 *   understood." (the body of "NoPermissionsInAccessToken when calling /me endpoint",
 *   https://learn.microsoft.com/troubleshoot/entra/entra-id/users-groups-entra-apis/error-call-me-endpoint-microsoft-graph;
 *   that it is a 401 is what SDK and mail-project issues report — the page shows only the body).
 */
export interface Requirement {
  /** The permission named in messages: the least privileged one that allows the request. */
  name: string;
  anyOf: readonly string[];
  surface: 'directory' | 'mailbox';
}

const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

const req = (surface: Requirement['surface'], ...anyOf: string[]): Requirement => ({
  name: anyOf[0] ?? '',
  anyOf,
  surface,
});

const MAIL_READ = req('mailbox', 'Mail.Read', 'Mail.ReadWrite');
const MAIL_WRITE = req('mailbox', 'Mail.ReadWrite');
const MAIL_SEND = req('mailbox', 'Mail.Send');
const CAL_READ = req('mailbox', 'Calendars.Read', 'Calendars.ReadWrite');
const CAL_WRITE = req('mailbox', 'Calendars.ReadWrite');
const CONTACTS_READ = req('mailbox', 'Contacts.Read', 'Contacts.ReadWrite');
const CONTACTS_WRITE = req('mailbox', 'Contacts.ReadWrite');
const TASKS_READ = req('mailbox', 'Tasks.Read.All', 'Tasks.ReadWrite.All');
const TASKS_WRITE = req('mailbox', 'Tasks.ReadWrite.All');
const SETTINGS_READ = req('mailbox', 'MailboxSettings.Read', 'MailboxSettings.ReadWrite');
const DIRECTORY_READ = req('directory', ...USER_READ);
/**
 * List groups, Get group, List group members, List group transitive members
 * (https://learn.microsoft.com/graph/api/group-list, group-get, group-list-members,
 * group-list-transitivemembers): GroupMember.Read.All is the least privileged; each page lists
 * Group.Read.All, Directory.Read.All and the ReadWrite ones as higher privileged.
 */
const GROUP_READ = req(
  'directory',
  'GroupMember.Read.All',
  'Group.Read.All',
  'Directory.Read.All',
  'GroupMember.ReadWrite.All',
  'Group.ReadWrite.All',
  'Directory.ReadWrite.All',
);

/**
 * Whether the roles let the app read user objects. Member lists are directoryObject collections:
 * "if it doesn't have permission to read a certain resource type, members of that type are
 * returned but with limited information ... only the @odata.type property for the object type and
 * the id" (List group transitive members, "Limited information returned for inaccessible member
 * objects").
 */
export function canReadUsers(roles: readonly string[] | undefined): boolean {
  return USER_READ.some((r) => roles?.includes(r));
}

/** Send actions: message: send, user: sendMail, message: reply/replyAll/forward (Mail.Send). */
const SEND_ACTIONS = new Set(['send', 'sendmail', 'reply', 'replyall', 'forward']);

/**
 * The requirement of a `/users/...` or `/groups/...` route pattern (`users/:u/messages/:id`, …), or undefined for
 * routes that need no Graph permission here (subscriptions: checked by the resource they name, not
 * modelled yet).
 */
export function requirementOf(method: string, pattern: string): Requirement | undefined {
  const parts = pattern.split('/');
  if (parts[0] === 'groups') return GROUP_READ; // the simulator serves only reads of groups
  if (parts[0] !== 'users') return undefined;
  if (parts.length <= 2) return DIRECTORY_READ; // GET /users, GET /users/{id | userPrincipalName}
  const write = method !== 'GET';
  const lower = parts.map((p) => p.toLowerCase());
  const last = lower[lower.length - 1] ?? '';
  if (SEND_ACTIONS.has(last)) return MAIL_SEND;
  if (lower.includes('mailboxsettings')) return SETTINGS_READ;
  if (lower.includes('todo')) return write ? TASKS_WRITE : TASKS_READ;
  if (lower.some((p) => p === 'contacts' || p === 'contactfolders'))
    return write ? CONTACTS_WRITE : CONTACTS_READ;
  if (lower.some((p) => p === 'events' || p === 'calendar' || p === 'calendarview' || p === 'calendars')) {
    return write ? CAL_WRITE : CAL_READ;
  }
  return write ? MAIL_WRITE : MAIL_READ;
}

/** The refusal for a token whose roles do not satisfy `requirement`, or undefined when they do. */
export function checkRoles(
  roles: readonly string[] | undefined,
  requirement: Requirement | undefined,
): SimResponse | undefined {
  if (!roles || roles.length === 0) {
    return graphError(
      401,
      'NoPermissionsInAccessToken',
      'The token contains no permissions, or permissions can not be understood.',
    );
  }
  if (!requirement || requirement.anyOf.some((r) => roles.includes(r))) return undefined;
  return requirement.surface === 'directory'
    ? graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
    : graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}
