import { AlertSeverity, fromDbWorkload, SyncMethod, toDbWorkload } from '@syncfleet/db';
import { SyncError, type Reason } from '@syncfleet/errors';
import type { MailboxGraph } from '@syncfleet/graph';
import { WORKLOAD_DEFINITIONS, WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import { claimOwnership, OwnedElsewhereError } from '../act/ownership';
import { actSettingsOf } from '../act/settings';
import { userPath } from '../probe/probe-handlers';
import { notifyOwner, raiseAlert } from './alerts';
import { classifyError } from './classify';
import {
  appPermissionError,
  DIRECTORY_PERMISSION,
  missingPermissions,
  WORKLOAD_PERMISSIONS,
} from './permissions';
import type { EngineResources } from './types';

export interface TestAndEnableCheck {
  name: string;
  ok: boolean;
  code?: string;
  message?: string;
}

export interface TestAndEnableResult {
  mailboxId: string;
  ok: boolean;
  checks: TestAndEnableCheck[];
  workloads: Record<WorkloadName, 'enabled' | 'failed' | 'not-configured'>;
}

/** Looking the address up: no such user, or a user without a mailbox Graph can sync. */
const NO_MAILBOX: ReadonlySet<Reason> = new Set(['NotFound', 'MailboxUnavailable']);

const noMailbox = (address: string, detail: string | undefined) =>
  `${address} has no mailbox Graph can sync (an alias, a distribution list, or an inactive or on-premises mailbox cannot be synced): ${detail ?? ''}`;

interface DirectoryUser {
  id: string;
  mail?: string | null;
  userPrincipalName?: string;
}

/**
 * The user whose primary or secondary SMTP address is `address`. `/users/{id | userPrincipalName}`
 * does not take an email address (user: get) and the UPN need not be the address, so the look-up
 * is user: list with `$filter` on mail and proxyAddresses (user resource: both "Supports $filter
 * (eq …)", `any` for the multi-valued proxyAddresses; application permission User.Read.All).
 */
async function findUserByAddress(graph: MailboxGraph, address: string): Promise<DirectoryUser | undefined> {
  const quoted = address.replace(/'/g, "''");
  const found = (await graph
    .api('/users')
    .filter(`mail eq '${quoted}' or proxyAddresses/any(x:x eq 'smtp:${quoted}')`)
    .select('id,mail,userPrincipalName')
    .get()) as { value: DirectoryUser[] };
  return found.value[0];
}

/** The mailbox row does not exist: a NotFound SyncError, so callers switch on the reason. */
export class MailboxNotFoundError extends SyncError {
  constructor(mailboxId: string) {
    super('NotFound', `Mailbox ${mailboxId} does not exist`, { code: 'MailboxNotFound' });
  }
}

/**
 * Test & Enable (docs/dynamics-server-side-sync.md#test-and-enable): checks the profile's
 * credentials, that the address is a real mailbox (aliases and distribution lists are rejected:
 * Graph has no mailbox for them), and the rights each configured workload needs; records statuses
 * and alerts; enables what passed.
 */
export async function testAndEnable(
  res: EngineResources,
  mailboxId: string,
  /** `overwrite`: take the mailbox's ACT from another deployment that owns it (docs/act-sync.md#ownership). */
  options: { overwrite?: boolean } = {},
): Promise<TestAndEnableResult> {
  const mailbox = await res.prisma.mailbox.findUnique({
    where: { id: mailboxId },
    include: { profile: true, workloads: true },
  });
  if (!mailbox) throw new MailboxNotFoundError(mailboxId);
  const checks: TestAndEnableCheck[] = [];
  const configured = mailbox.workloads
    .filter((w) => w.method === SyncMethod.ServerSideSync)
    .map((w) => fromDbWorkload(w.workload));
  const workloads = Object.fromEntries(
    WORKLOAD_NAMES.map((w) => [w, configured.includes(w) ? 'failed' : 'not-configured']),
  ) as TestAndEnableResult['workloads'];
  const fail = (name: string, error: SyncError) => {
    checks.push({ name, ok: false, code: error.code, message: error.message });
    return error;
  };

  let failure: SyncError | undefined;
  if (mailbox.approvalState !== 'Approved') {
    failure = fail(
      'approval',
      new SyncError('MailboxUnavailable', 'The mailbox email address is not approved.', {
        code: 'MailboxNotApproved',
      }),
    );
  }
  // The probe requests go through a fresh client: a profile fixed since the last failure is used as it is now.
  res.graph.invalidate(mailbox.profileId);
  let graph: MailboxGraph | undefined;
  let graphUserId: string | null = null;
  const clientId = mailbox.profile.clientId;
  if (!failure) {
    try {
      graph = await res.graph.forMailbox(mailbox.profile, { id: mailbox.id, address: mailbox.address });
      // The app's granted permissions, when its token says (a fresh token: invalidated above).
      const roles = await res.graph.grantedRoles(mailbox.profile);
      const wanted = [DIRECTORY_PERMISSION, ...configured.flatMap((w) => WORKLOAD_PERMISSIONS[w])];
      const missing = roles ? missingPermissions(roles, wanted) : [];
      if (roles && (roles.length === 0 || missing.length > 0)) {
        failure = fail('permissions', appPermissionError(clientId, missing));
      } else {
        const user = await findUserByAddress(graph, mailbox.address);
        if (!user) {
          failure = fail(
            'mailbox',
            new SyncError('MailboxUnavailable', `no user of the tenant has the address ${mailbox.address}`, {
              code: 'UserNotFound',
            }),
          );
          checks[checks.length - 1]!.message = noMailbox(mailbox.address, checks[checks.length - 1]!.message);
        } else if (user.mail?.toLowerCase() !== mailbox.address) {
          failure = fail(
            'mailbox',
            new SyncError(
              'MailboxUnavailable',
              `${mailbox.address} is an alias of ${user.mail ?? user.userPrincipalName ?? user.id}; sync the primary address instead.`,
              { code: 'AliasNotSupported' },
            ),
          );
        } else {
          graphUserId = user.id;
          checks.push({ name: 'credentials', ok: true }, { name: 'mailbox', ok: true });
        }
      }
    } catch (error) {
      let e = classifyError(error);
      // The directory refuses the look-up: the app lacks a directory read permission (an
      // application access policy restricts mailboxes, never the directory).
      if (e.code === 'Authorization_RequestDenied')
        e = appPermissionError(clientId, [DIRECTORY_PERMISSION], error);
      failure = fail(
        e.scope === 'profile'
          ? e.reason === 'AppPermissionMissing'
            ? 'permissions'
            : 'credentials'
          : 'mailbox',
        e,
      );
      if (NO_MAILBOX.has(e.reason))
        checks[checks.length - 1]!.message = noMailbox(mailbox.address, e.message);
    }
  }
  for (const workload of failure ? [] : configured) {
    try {
      await graph!
        .api(WORKLOAD_DEFINITIONS[workload].probe(userPath({ graphUserId, address: mailbox.address })))
        .get();
      workloads[workload] = 'enabled';
      checks.push({ name: workload, ok: true });
    } catch (error) {
      let e = classifyError(error);
      if (e.reason === 'MissingPermission') {
        // The token grants what the workload needs (or cannot be read): the refusal is this
        // mailbox's — an application access policy excluding it, as Exchange documents.
        const needs = WORKLOAD_PERMISSIONS[workload].map((p) => p.name).join(', ');
        e = new SyncError(
          'MissingPermission',
          `Graph refused ${workload} for ${mailbox.address}: an application access policy excludes this mailbox, or the app lacks ${needs} (${e.message})`,
          { code: e.code, status: e.details.status, cause: error },
        );
      }
      failure ??= fail(workload, e);
    }
  }
  if (workloads.act === 'enabled') {
    // One organization owns a mailbox's ACT: write our ownership marker, or refuse (ownership.ts).
    try {
      const claim = await claimOwnership(
        res.prisma,
        graph!,
        {
          id: mailbox.id,
          userPath: userPath({ graphUserId, address: mailbox.address }),
          taskListName: actSettingsOf(mailbox.profile).taskListName,
        },
        { overwrite: options.overwrite ?? false, now: res.clock() },
      );
      if (!claim.ok) throw new OwnedElsewhereError(mailbox.address, claim.owner);
      checks.push({ name: 'act-ownership', ok: true });
    } catch (error) {
      workloads.act = 'failed';
      failure ??= fail('act-ownership', classifyError(error));
    }
  }
  return record(res, mailbox, graphUserId, checks, workloads, failure);
}

async function record(
  res: EngineResources,
  mailbox: { id: string; address: string; profileId: string },
  graphUserId: string | null,
  checks: TestAndEnableCheck[],
  workloads: TestAndEnableResult['workloads'],
  failure: SyncError | undefined,
): Promise<TestAndEnableResult> {
  const now = res.clock();
  const ok = !failure && Object.values(workloads).some((s) => s === 'enabled');
  const reason = checks.find((c) => !c.ok)?.message ?? failure?.message;
  const alert = await res.prisma.$transaction(async (tx) => {
    if (graphUserId) await tx.mailbox.update({ where: { id: mailbox.id }, data: { graphUserId } });
    for (const [name, state] of Object.entries(workloads) as [WorkloadName, string][]) {
      if (state === 'not-configured') continue;
      const enabled = state === 'enabled';
      await tx.mailboxWorkload.update({
        where: { mailboxId_workload: { mailboxId: mailbox.id, workload: toDbWorkload(name) } },
        data: enabled
          ? {
              enabled: true,
              status: 'NotRun',
              nextDueAt: now,
              postponedUntil: null,
              transientFailureCount: 0,
              processingState: 'Idle',
              processingLeaseUntil: null,
            }
          : {
              enabled: false,
              status: 'Failure',
              lastErrorCode: failure?.code,
              lastErrorMessage: reason,
              lastErrorAt: now,
            },
      });
    }
    if (failure?.scope === 'profile') {
      // The app registration's problem, the same for every mailbox of the profile: ONE alert on the
      // profile (standing until acknowledged), not one per mailbox tested.
      return raiseAlert(
        tx,
        {
          severity: AlertSeverity.Error,
          code: `TestAndEnable.${failure.code}`,
          message: `Test & Enable cannot enable mailboxes of this profile: ${failure.message}`,
          profileId: mailbox.profileId,
        },
        { dedupe: true },
      );
    }
    return raiseAlert(tx, {
      severity: failure ? AlertSeverity.Error : AlertSeverity.Information,
      code: failure ? `TestAndEnable.${failure.code}` : 'TestAndEnable.Succeeded',
      message: failure
        ? `Test & Enable failed for ${mailbox.address}: ${reason}`
        : `Test & Enable succeeded for ${mailbox.address}; enabled: ${Object.entries(workloads)
            .filter(([, s]) => s === 'enabled')
            .map(([w]) => w)
            .join(', ')}.`,
      mailboxId: mailbox.id,
      profileId: mailbox.profileId,
    });
  });
  if (failure && alert) await notifyOwner(res, alert);
  return { mailboxId: mailbox.id, ok, checks, workloads };
}
