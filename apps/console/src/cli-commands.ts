import { parseArgs } from 'node:util';
import { WORKLOAD_NAMES } from '@syncfleet/workloads';
import { table } from './cli-format';
import { follow, mailboxes, workloadFlag } from './cli-mailboxes';
import { PROFILE_SET_FLAGS, PROFILE_USAGE, profilePatchOf, renderProfile } from './cli-profile-settings';
import { CliError, need, num, request, str, type CliIo, type Values } from './cli-request';

export type { CliIo, ProgressDisplay } from './cli-request';

const WORKLOAD_FLAGS = WORKLOAD_NAMES.map(workloadFlag);

export const USAGE = `Usage: syncfleet <command> [options]   (env: SYNCFLEET_CONSOLE_URL, SYNCFLEET_ADMIN_TOKEN)
  profiles list
  profiles create --name N --tenant T --client-id C --client-secret-stdin [--authority-url U]
                  [--graph-base-url U] [--max-connections N] [--min-polling-sec N]
                  [--process-email-from DATE] [--timeout-sec N] [--owner-email E]
${PROFILE_USAGE}
  profiles import <id> [--group ID|MAIL|NAME] [--domain D] [--addresses A,B]
                  users and shared mailboxes from the tenant (of one group, nested groups included)
  mailboxes list [filters] [--sort address|lastAttempt|lag|errors] [--order asc|desc] [--limit N] [--offset N]
     filters: [--q TEXT] [--profile ID] [--approval Empty|Approved|PendingApproval|Rejected]
              [--workload W] [--status NotRun|Success|Failure] [--enabled true|false]
              [--not-processed-min N] [--has-errors true|false]
  mailboxes set <id> [--incoming-filter All|ResponsesToAppEmail|FromKnownContacts|None|default]
                     [--process-email-from DATE|none] [--tracked-folders ID,ID|none]
  mailboxes bulk approve|reject|test-and-enable|disable|update (--ids ID,ID | [filters])
                 [--workloads ...] (disable)  [--incoming-filter ...] [--process-email-from ...]
                 [--tracked-folders ...] (update)   with a progress bar and a summary table
  mailboxes create --address A --owner-type User|Queue --owner-id ID --profile ID [--display-name N]
                   ${WORKLOAD_FLAGS.map((f, i) => `[--${f} ${i ? '...' : 'None|ServerSideSync'}]`).join(' ')} [--remap]
  mailboxes approve|reject|test-enable <id>
  mailboxes disable <id> [--workloads ${WORKLOAD_NAMES.join(',')}]
  mailboxes details <id> [--text]
  alerts <mailboxId> | alerts --profile <id>   [--severity Error|Warning|Information]
  queues
  secrets rotate     re-seal every profile secret under the newest SECRET_KEYS key
Add --json for raw JSON output.`;

const OPTIONS = {
  json: { type: 'boolean' },
  text: { type: 'boolean' },
  remap: { type: 'boolean' },
  'client-secret-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(
    [
      'name',
      'tenant',
      'client-id',
      'authority-url',
      'graph-base-url',
      'max-connections',
      'min-polling-sec',
      'process-email-from',
      'timeout-sec',
      'owner-email',
      'profile',
      'approval',
      'limit',
      'offset',
      'address',
      'owner-type',
      'owner-id',
      'display-name',
      ...WORKLOAD_FLAGS,
      'workloads',
      'severity',
      'q',
      'workload',
      'status',
      'enabled',
      'not-processed-min',
      'has-errors',
      'sort',
      'order',
      'ids',
      'incoming-filter',
      'tracked-folders',
      'domain',
      'addresses',
      'group',
      ...PROFILE_SET_FLAGS,
    ].map((name) => [name, { type: 'string' }]),
  ),
} as const;

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    if (values.help || !positionals.length) {
      io.out(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    if (!io.token) throw new CliError('SYNCFLEET_ADMIN_TOKEN is not set (the console ADMIN_TOKEN).');
    return (await dispatch(positionals, values as Values, io)) ?? 0;
  } catch (error) {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch([group, action, id]: string[], values: Values, io: CliIo): Promise<number | void> {
  const print = (data: unknown, render: () => string): void => {
    io.out(values.json ? `${JSON.stringify(data, null, 2)}\n` : render());
  };
  const idArg = (what: string) => {
    if (!id) throw new CliError(`${what}: missing <id>.`);
    return encodeURIComponent(id);
  };

  if (group === 'profiles' && action === 'list') {
    const page = (await request(io, 'GET', '/api/profiles?limit=500')).json();
    return print(page, () =>
      table(page.items, ['id', 'name', 'tenantId', 'clientId', 'maxConcurrentConnections', 'ownerEmail']),
    );
  }
  if (group === 'profiles' && action === 'create') {
    if (!values['client-secret-stdin'])
      throw new CliError(
        '--client-secret-stdin is required: pipe the client secret on stdin (never in argv).',
      );
    const clientSecret = (await io.readStdin()).replace(/\r?\n$/, '');
    if (!clientSecret) throw new CliError('no client secret on stdin.');
    const body = {
      name: need(values, 'name'),
      tenantId: need(values, 'tenant'),
      clientId: need(values, 'client-id'),
      clientSecret,
      authorityUrl: str(values['authority-url']),
      graphBaseUrl: str(values['graph-base-url']),
      maxConcurrentConnections: num(values['max-connections']),
      minPollingIntervalSec: num(values['min-polling-sec']),
      processEmailFrom: str(values['process-email-from']),
      connectionTimeoutSec: num(values['timeout-sec']),
      ownerEmail: str(values['owner-email']),
    };
    const profile = (await request(io, 'POST', '/api/profiles', body)).json();
    return print(profile, () => table([profile], ['id', 'name', 'tenantId', 'clientId', 'hasClientSecret']));
  }
  if (group === 'profiles' && (action === 'show' || action === 'set')) {
    const path = `/api/profiles/${idArg(`profiles ${action}`)}`;
    const profile = (
      action === 'show'
        ? await request(io, 'GET', path)
        : await request(io, 'PATCH', path, profilePatchOf(values))
    ).json();
    return print(profile, () => renderProfile(profile));
  }
  if (group === 'secrets' && action === 'rotate') {
    const result = (await request(io, 'POST', '/api/secrets/rotate')).json();
    print(
      result,
      () =>
        `Re-sealed ${result.rotated} profile secret(s) under key "${result.currentKeyId}"; ${result.current} already were.\n` +
        (result.unreadable.length
          ? `Cannot open ${result.unreadable.length} (key not configured): re-enter their secrets.\n` +
            table(result.unreadable, ['profileId', 'keyId'])
          : 'No profile needs an older key any more: older keys can be removed from SECRET_KEYS.\n'),
    );
    return result.unreadable.length ? 3 : 0;
  }
  if (group === 'mailboxes') return mailboxes(action, id, values, io, print, idArg);
  if (group === 'profiles' && action === 'import') {
    const addresses = str(values.addresses)
      ?.split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    const body = { domain: str(values.domain), addresses, group: str(values.group) };
    const started = (
      await request(io, 'POST', `/api/profiles/${idArg('profiles import')}/import`, body)
    ).json();
    const source = started.group
      ? `users of group ${started.group.displayName} (${started.group.id})`
      : 'tenant users';
    io.err(
      `Listed ${started.listed} ${source}; ${started.alreadyKnown} already known; importing ${started.operation.total}.\n`,
    );
    return follow(started.operation, 'import', values, io, print);
  }
  if (group === 'alerts') {
    const base = values.profile
      ? `/api/profiles/${encodeURIComponent(String(values.profile))}/alerts`
      : `/api/mailboxes/${encodeURIComponent(action ?? '')}/alerts`;
    if (!values.profile && !action) throw new CliError('alerts: give a <mailboxId> or --profile <id>.');
    const severity = str(values.severity);
    const page = (
      await request(io, 'GET', `${base}?limit=100${severity ? `&severity=${severity}` : ''}`)
    ).json();
    return print(page, () =>
      table(page.items, ['createdAt', 'severity', 'workload', 'code', 'message', 'mailboxId']),
    );
  }
  if (group === 'queues') {
    const data = (await request(io, 'GET', '/api/queues')).json();
    return print(data, () =>
      table(
        data.queues.map((q: { name: string; counts: Record<string, number> }) => ({
          queue: q.name,
          ...q.counts,
        })),
        ['queue', 'waiting', 'active', 'delayed', 'failed', 'completed'],
      ),
    );
  }
  throw new CliError(`unknown command "${[group, action].filter(Boolean).join(' ')}".\n${USAGE}`);
}
