/**
 * The error taxonomy's one table: every reason a failure can have, and what it is about.
 *
 * - kind: `transient` failures are retried (after the retry delay, or Retry-After if longer);
 *   `permanent` ones need someone to fix something first.
 * - scope: who is affected, and so who is disabled or alerted —
 *   `mailbox`: this mailbox only;
 *   `profile`: the app registration / tenant of an email server profile, so every mailbox of it;
 *   `app`: our own infrastructure (database, deployment configuration): never a mailbox's fault.
 *
 * Raw responses (Graph, Entra ID, msal-node, PostgreSQL, Prisma) are mapped to a reason by the
 * classifiers in packages/graph and packages/db; callers switch on `reason`, never on raw codes.
 */
export type ErrorKind = 'permanent' | 'transient';
export type ErrorScope = 'mailbox' | 'profile' | 'app';

interface ReasonInfo {
  kind: ErrorKind;
  scope: ErrorScope;
  /** What it means, for an operator reading an alert or the README. */
  summary: string;
}

export const REASONS = {
  SyncStateGone: {
    kind: 'transient',
    scope: 'mailbox',
    summary:
      'Graph no longer holds the delta state (410 Gone): the folder is synchronised again from the start',
  },
  NotFound: { kind: 'permanent', scope: 'mailbox', summary: 'the requested item or resource does not exist' },
  Conflict: {
    kind: 'transient',
    scope: 'mailbox',
    summary:
      'a concurrent change won (HTTP 409/412, a unique or foreign key violation); reading again resolves it',
  },
  Throttled: {
    kind: 'transient',
    scope: 'mailbox',
    summary: 'Graph throttled the request (429): wait Retry-After',
  },
  ServiceUnavailable: {
    kind: 'transient',
    scope: 'mailbox',
    summary: 'Graph failed or was unavailable (5xx)',
  },
  Network: {
    kind: 'transient',
    scope: 'mailbox',
    summary: 'the request never got an HTTP answer (network error)',
  },
  Timeout: {
    kind: 'transient',
    scope: 'mailbox',
    summary: 'the request or transaction took longer than allowed',
  },
  InvalidRequest: {
    kind: 'permanent',
    scope: 'mailbox',
    summary: 'Graph rejected the request as malformed or unprocessable (400, 413, 415, 422…)',
  },
  MissingPermission: {
    kind: 'permanent',
    scope: 'mailbox',
    summary:
      'access denied (403): the app lacks the application permission, or an application access policy excludes the mailbox',
  },
  AppPermissionMissing: {
    kind: 'permanent',
    scope: 'profile',
    summary:
      'the app registration lacks a Microsoft Graph application permission the enabled workloads need (or has none at all): an administrator grants it with admin consent, then Test & Enable',
  },
  MailboxUnavailable: {
    kind: 'permanent',
    scope: 'mailbox',
    summary: 'the address has no mailbox Graph can sync (inactive, on-premises, not a user, over quota)',
  },
  OwnedElsewhere: {
    kind: 'permanent',
    scope: 'mailbox',
    summary:
      "another Syncfleet deployment owns this mailbox's appointments, contacts and tasks (its ownership marker is in the mailbox): ACT stays off here until Test & Enable is run with overwrite",
  },
  ProfileAuth: {
    kind: 'permanent',
    scope: 'profile',
    summary:
      'the app registration cannot authenticate (wrong secret, unknown app or tenant, no admin consent)',
  },
  SecretExpired: {
    kind: 'permanent',
    scope: 'profile',
    summary:
      'the client secret has expired: create a new secret for the app registration and update the profile with it',
  },
  SecretUnreadable: {
    kind: 'permanent',
    scope: 'profile',
    summary:
      "this deployment cannot decrypt the profile's stored secret (SECRET_KEYS lacks the key that sealed it): restore the key, or enter the secret again",
  },
  EndpointNotAllowed: {
    kind: 'permanent',
    scope: 'profile',
    summary:
      "the profile's authority or Graph URL is not one of Microsoft's cloud endpoints nor allowed by GRAPH_ALLOWED_HOSTS",
  },
  AuthUnavailable: {
    kind: 'transient',
    scope: 'profile',
    summary: 'the Entra ID token endpoint could not be reached or was temporarily unavailable',
  },
  NotificationUrlRejected: {
    kind: 'transient',
    scope: 'app',
    summary:
      "Microsoft Graph could not validate the deployment's notification URL (WEBHOOK_PUBLIC_URL) when creating a change-notification subscription: the webhook receiver must be reachable from Microsoft and echo the validation token; mailboxes are polled meanwhile",
  },
  Database: {
    kind: 'transient',
    scope: 'app',
    summary: 'PostgreSQL could not be reached, closed the connection or ran out of resources',
  },
  TransactionConflict: {
    kind: 'transient',
    scope: 'app',
    summary: 'PostgreSQL aborted the transaction (serialization failure, deadlock): running it again is safe',
  },
  DatabaseSetup: {
    kind: 'permanent',
    scope: 'app',
    summary:
      'the database is not set up for this release (missing database, table or column, refused login): apply the migrations or fix DATABASE_URL',
  },
  Unexpected: {
    kind: 'transient',
    scope: 'mailbox',
    summary:
      'not recognised; retried, and counted against the mailbox so that a failure repeating there surfaces on it',
  },
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;
export const REASON_NAMES = Object.keys(REASONS) as Reason[];
