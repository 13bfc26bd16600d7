import { WORKLOAD_DEFINITIONS, WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import { mailboxRow, table } from './cli-format';
import { CliError, need, request, str, type CliIo, type Values } from './cli-request';

/** `mailboxes create --<flag> None|ServerSideSync`: one flag per workload (`--incoming`, `--act`...). */
export const workloadFlag = (name: WorkloadName) => WORKLOAD_DEFINITIONS[name].envSuffix.toLowerCase();

/** `mailboxes …` and `mailboxes bulk …`: lists, settings, bulk operations followed with a progress bar. */

export async function mailboxes(
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
      throw new CliError(`unknown command "mailboxes ${action ?? ''}" (syncfleet --help lists them).`);
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
export async function follow(
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
