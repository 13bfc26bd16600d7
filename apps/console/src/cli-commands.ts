import { parseArgs } from 'node:util';
import { WORKLOAD_DEFINITIONS, WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import { mailboxRow, table } from './cli-format';
import { PROFILE_SET_FLAGS, PROFILE_USAGE, profilePatchOf, renderProfile } from './cli-profile-settings';

/** `mailboxes create --<flag> None|ServerSideSync`: one flag per workload (`--incoming`, `--act`...). */
const workloadFlag = (name: WorkloadName) => WORKLOAD_DEFINITIONS[name].envSuffix.toLowerCase();
const WORKLOAD_FLAGS = WORKLOAD_NAMES.map(workloadFlag);

export interface CliIo {
  baseUrl: string;
  token: string | undefined;
  /** Reads all of stdin (the client secret comes from there, never from argv: shell history). */
  readStdin: () => Promise<string>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** A progress display for bulk operations (cli.ts: a cli-progress bar on stderr). */
  progress?: (total: number, label: string) => ProgressDisplay;
  /** How often a bulk operation's progress is asked for (default 500 ms). */
  pollMs?: number;
}

export interface ProgressDisplay {
  update(done: number, counts: { succeeded: number; failed: number }): void;
  stop(): void;
}

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

class CliError extends Error {}

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

type Values = Record<string, string | boolean | undefined>;

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

const CLI_REQUEST_TIMEOUT_MS = 300_000;

async function request(io: CliIo, method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, io.baseUrl), {
    method,
    headers: {
      authorization: `Bearer ${io.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    // Test & Enable waits for Graph; nothing else takes long. No request waits forever.
    signal: AbortSignal.timeout(CLI_REQUEST_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new CliError(`cannot reach the console at ${io.baseUrl} (${(error as Error).message}).`);
  });
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const parsed = JSON.parse(text) as {
        error?: { message?: string; fields?: { path: string; message: string }[] };
      };
      message = `${response.status}: ${parsed.error?.message ?? text}`;
    } catch {
      // not JSON: keep the status line
    }
    throw new CliError(message);
  }
  return { text, json: () => (text ? JSON.parse(text) : undefined) };
}

const need = (values: Values, name: string): string => {
  const value = values[name];
  if (typeof value !== 'string' || !value) throw new CliError(`--${name} is required.`);
  return value;
};
const num = (value: unknown) => (typeof value === 'string' ? Number(value) : undefined);
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

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

async function mailboxes(
  action: string | undefined,
  id: string | undefined,
  values: Values,
  io: CliIo,
  print: (data: unknown, render: () => string) => void,
  idArg: (what: string) => string,
): Promise<number | void> {
  const columns = ['id', 'address', 'owner', 'approval', ...WORKLOAD_NAMES];
  switch (action) {
    case 'list': {
      const query = new URLSearchParams({
        limit: str(values.limit) ?? '500',
        offset: str(values.offset) ?? '0',
        ...(filterOf(values) as Record<string, string>),
      });
      if (values.sort) query.set('sort', String(values.sort));
      if (values.order) query.set('order', String(values.order));
      const page = (await request(io, 'GET', `/api/mailboxes?${query}`)).json();
      return print(
        page,
        () => `${table(page.items.map(mailboxRow), columns)}${page.total} mailbox(es) match\n`,
      );
    }
    case 'set': {
      const mailbox = (
        await request(io, 'PATCH', `/api/mailboxes/${idArg(action)}`, settingsOf(values))
      ).json();
      return print(mailbox, () =>
        table(
          [
            {
              ...mailboxRow(mailbox),
              incomingFilter: mailbox.incomingFilter ?? 'default',
              processEmailFrom: mailbox.processEmailFrom,
              trackedFolders: (mailbox.trackedFolders ?? [])
                .map((f: { folderId: string }) => f.folderId)
                .join(','),
            },
          ],
          [...columns, 'incomingFilter', 'processEmailFrom', 'trackedFolders'],
        ),
      );
    }
    case 'bulk':
      return bulk(id, values, io, print);
    case 'create': {
      const method = (name: string) => (values[name] ? { method: values[name] } : undefined);
      const body = {
        address: need(values, 'address'),
        owner: { type: need(values, 'owner-type'), id: need(values, 'owner-id') },
        profileId: need(values, 'profile'),
        displayName: str(values['display-name']),
        remap: values.remap ? true : undefined,
        workloads: Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, method(workloadFlag(name))])),
      };
      const mailbox = (await request(io, 'POST', '/api/mailboxes', body)).json();
      return print(mailbox, () => table([mailboxRow(mailbox)], columns));
    }
    case 'approve':
    case 'reject': {
      const mailbox = (await request(io, 'POST', `/api/mailboxes/${idArg(action)}/${action}`)).json();
      return print(mailbox, () => table([mailboxRow(mailbox)], columns));
    }
    case 'test-enable': {
      const result = (await request(io, 'POST', `/api/mailboxes/${idArg(action)}/test-and-enable`)).json();
      print(
        result,
        () =>
          `Test & Enable: ${result.ok ? 'OK' : 'FAILED'}\n` +
          table(result.checks, ['name', 'ok', 'code', 'message']) +
          table(
            Object.entries(result.workloads).map(([workload, state]) => ({ workload, state })),
            ['workload', 'state'],
          ),
      );
      // Distinct from 1 (request failed): the request worked, the mailbox did not pass.
      return result.ok ? 0 : 3;
    }
    case 'disable': {
      const workloads = str(values.workloads)
        ?.split(',')
        .map((w) => w.trim());
      const mailbox = (
        await request(io, 'POST', `/api/mailboxes/${idArg(action)}/disable`, { workloads })
      ).json();
      return print(mailbox, () => table([mailboxRow(mailbox)], columns));
    }
    case 'details': {
      const format = values.text ? 'text' : 'json';
      const response = await request(io, 'GET', `/api/mailboxes/${idArg(action)}/details?format=${format}`);
      io.out(values.text ? response.text : `${JSON.stringify(response.json(), null, 2)}\n`);
      return;
    }
    default:
      throw new CliError(`unknown command "mailboxes ${action ?? ''}".\n${USAGE}`);
  }
}

/** The list filter from the flags (the same filter the API and the dashboard use). */
function filterOf(values: Values): Record<string, string | number> {
  const filter: Record<string, string | number> = {};
  const map: [string, string][] = [
    ['q', 'q'],
    ['profile', 'profileId'],
    ['approval', 'approvalState'],
    ['workload', 'workload'],
    ['status', 'status'],
    ['enabled', 'enabled'],
    ['has-errors', 'hasErrors'],
  ];
  for (const [flag, field] of map)
    if (typeof values[flag] === 'string') filter[field] = values[flag] as string;
  if (typeof values['not-processed-min'] === 'string')
    filter.notProcessedMin = Number(values['not-processed-min']);
  return filter;
}

/** Mailbox settings from the flags; "default"/"none" clear a setting. */
function settingsOf(values: Values): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const filter = str(values['incoming-filter']);
  if (filter !== undefined) settings.incomingFilter = filter === 'default' ? null : filter;
  const from = str(values['process-email-from']);
  if (from !== undefined) settings.processEmailFrom = from === 'none' ? null : from;
  const folders = str(values['tracked-folders']);
  if (folders !== undefined)
    settings.trackedFolders =
      folders === 'none'
        ? []
        : folders
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean)
            .map((folderId) => ({ folderId }));
  return settings;
}

const BULK_ACTIONS = ['approve', 'reject', 'test-and-enable', 'disable', 'update'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A bulk operation: started, followed with a progress bar, summed up in a table. Exit 3 if any failed. */
async function bulk(
  action: string | undefined,
  values: Values,
  io: CliIo,
  print: (data: unknown, render: () => string) => void,
): Promise<number> {
  if (!action || !BULK_ACTIONS.includes(action))
    throw new CliError(`mailboxes bulk: give one of ${BULK_ACTIONS.join(', ')}.`);
  const ids = str(values.ids)
    ?.split(',')
    .map((i) => i.trim())
    .filter(Boolean);
  const body: Record<string, unknown> = ids ? { ids } : { filter: filterOf(values) };
  if (action === 'disable' && values.workloads)
    body.workloads = String(values.workloads)
      .split(',')
      .map((w) => w.trim());
  if (action === 'update') body.settings = settingsOf(values);
  const operation = (await request(io, 'POST', `/api/mailboxes/bulk/${action}`, body)).json();
  return follow(operation, action, values, io, print);
}

/** Follows an operation to its end with the progress display, then prints the summary. */
async function follow(
  started: { id: string; total: number; status: string; done: number },
  action: string,
  values: Values,
  io: CliIo,
  print: (data: unknown, render: () => string) => void,
): Promise<number> {
  let operation = started as typeof started & { succeeded: number; failed: number };
  const bar = values.json ? undefined : io.progress?.(operation.total, action);
  while (operation.status === 'Running') {
    bar?.update(operation.done, operation);
    await sleep(io.pollMs ?? 500);
    operation = (await request(io, 'GET', `/api/operations/${operation.id}`)).json();
  }
  bar?.update(operation.done, operation);
  bar?.stop();
  const failed = operation.failed
    ? (await request(io, 'GET', `/api/operations/${operation.id}/results?state=Failed&limit=1000`)).json()
        .items
    : [];
  print({ ...operation, failedResults: failed }, () => {
    const summary = table(
      [
        {
          action,
          total: operation.total,
          succeeded: operation.succeeded,
          failed: operation.failed,
          status: operation.status,
        },
      ],
      ['action', 'total', 'succeeded', 'failed', 'status'],
    );
    return failed.length ? `${summary}\nFailed:\n${table(failed, ['address', 'message'])}` : summary;
  });
  return operation.failed ? 3 : 0;
}
