import { useEffect, useState } from 'preact/hooks';
import { api, query, type Json } from '../api';
import { navigate, usePolling } from '../hooks';
import { ago, Choice, ErrorNote, Section } from '../ui';
import { OperationPanel } from './operation';

const FILTERS = [
  'q',
  'profileId',
  'approvalState',
  'workload',
  'status',
  'enabled',
  'notProcessedMin',
  'hasErrors',
] as const;
const PAGE = 50;
const ACTIONS = [
  ['approve', 'Approve email'],
  ['reject', 'Reject email'],
  ['test-and-enable', 'Test & Enable'],
  ['disable', 'Disable'],
] as const;

export function MailboxesPage({ params }: { params: URLSearchParams }) {
  const filter = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<string, string>;
  const sort = params.get('sort') ?? 'address';
  const order = params.get('order') ?? 'asc';
  const offset = Number(params.get('offset') ?? 0);
  const path = `/api/mailboxes${query({ ...filter, sort, order, limit: PAGE, offset })}`;
  const { data, error, reload } = usePolling(path, 10_000);
  const profiles = usePolling('/api/profiles?limit=500', 0);
  const overview = usePolling('/api/overview', 0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [operationId, setOperationId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [path]);

  const go = (changes: Record<string, string>) =>
    navigate('/mailboxes', { ...filter, sort, order, ...changes, offset: changes.offset ?? '' });
  const applyFilter = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    go(Object.fromEntries(FILTERS.map((f) => [f, String(form.get(f) ?? '')])));
  };
  const sortBy = (column: string) =>
    go({
      sort: column,
      order: sort === column && order === 'asc' ? 'desc' : column === 'address' ? 'asc' : 'desc',
    });
  const items: Json[] = data?.items ?? [];
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
    setAllMatching(false);
  };
  const run = async (action: string) => {
    setActionError(null);
    const cleanFilter = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''));
    if (cleanFilter.notProcessedMin)
      cleanFilter.notProcessedMin = Number(cleanFilter.notProcessedMin) as unknown as string;
    const body = allMatching ? { filter: cleanFilter } : { ids: [...selected] };
    try {
      const operation = await api(`/api/mailboxes/bulk/${action}`, { method: 'POST', body });
      setOperationId(operation.id);
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
    }
  };
  const count = allMatching ? (data?.total ?? 0) : selected.size;
  const sortHeader = (column: string, label: string) => (
    <th scope="col" aria-sort={sort === column ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="link" onClick={() => sortBy(column)}>
        {label} {sort === column ? (order === 'asc' ? '▲' : '▼') : ''}
      </button>
    </th>
  );
  const workloads: Json[] = overview.data?.workloads ?? [];

  return (
    <>
      <h1>Mailboxes</h1>
      <Section title="Filter">
        <form class="filters" onSubmit={applyFilter} key={path}>
          <label>
            Search
            <input name="q" type="search" defaultValue={filter.q} placeholder="address or name" />
          </label>
          <label>
            Profile
            <Choice
              name="profileId"
              value={filter.profileId}
              options={[
                ['', 'any'],
                ...(profiles.data?.items ?? []).map((p: Json) => [p.id, p.name] as const),
              ]}
            />
          </label>
          <label>
            Approval
            <Choice
              name="approvalState"
              value={filter.approvalState}
              options={[
                ['', 'any'],
                ...['Approved', 'PendingApproval', 'Rejected', 'Empty'].map((s) => [s, s] as const),
              ]}
            />
          </label>
          <label>
            Workload
            <Choice
              name="workload"
              value={filter.workload}
              options={[['', 'any'], ...workloads.map((w) => [w.workload, w.label] as const)]}
            />
          </label>
          <label>
            Status
            <Choice
              name="status"
              value={filter.status}
              options={[['', 'any'], ...['Success', 'Failure', 'NotRun'].map((s) => [s, s] as const)]}
            />
          </label>
          <label>
            Enabled
            <Choice
              name="enabled"
              value={filter.enabled}
              options={[
                ['', 'any'],
                ['true', 'enabled'],
                ['false', 'disabled'],
              ]}
            />
          </label>
          <label>
            Not processed in (min)
            <input name="notProcessedMin" type="number" min={1} defaultValue={filter.notProcessedMin} />
          </label>
          <label>
            Errors
            <Choice
              name="hasErrors"
              value={filter.hasErrors}
              options={[
                ['', 'any'],
                ['true', 'with errors'],
                ['false', 'without errors'],
              ]}
            />
          </label>
          <button type="submit">Apply</button>
          <button type="button" class="secondary" onClick={() => navigate('/mailboxes')}>
            Clear
          </button>
        </form>
      </Section>
      <Section
        title={data ? `${data.total.toLocaleString()} mailboxes` : 'Mailboxes'}
        actions={
          <div class="bulk" role="group" aria-label="Bulk actions">
            <span aria-live="polite">{count} selected</span>
            {ACTIONS.map(([action, label]) => (
              <button
                type="button"
                disabled={count === 0}
                onClick={() => void run(action)}
                data-action={action}
              >
                {label}
              </button>
            ))}
          </div>
        }
      >
        <ErrorNote error={error ?? actionError} />
        {operationId && <OperationPanel id={operationId} onFinished={reload} />}
        {data && selected.size === items.length && items.length > 0 && data.total > items.length && (
          <p>
            <label>
              <input type="checkbox" checked={allMatching} onChange={() => setAllMatching(!allMatching)} />{' '}
              Select all {data.total.toLocaleString()} mailboxes matching the filter
            </label>
          </p>
        )}
        <table class="mailboxes">
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select all mailboxes on this page"
                  checked={items.length > 0 && selected.size === items.length}
                  onChange={() =>
                    setSelected(selected.size === items.length ? new Set() : new Set(items.map((m) => m.id)))
                  }
                />
              </th>
              {sortHeader('address', 'Address')}
              <th scope="col">Approval</th>
              {workloads.map((w) => (
                <th scope="col">{w.label}</th>
              ))}
              {sortHeader('lastAttempt', 'Last attempt')}
              {sortHeader('lag', 'Next due')}
              {sortHeader('errors', 'Errors')}
            </tr>
          </thead>
          <tbody>
            {items.map((m) => {
              const first = m.workloads.find(
                (w: Json) => w.workload === (filter.workload || workloads[0]?.workload),
              );
              return (
                <tr data-mailbox={m.address}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${m.address}`}
                      checked={selected.has(m.id)}
                      onChange={() => toggle(m.id)}
                    />
                  </td>
                  <th scope="row">
                    <a href={`#/mailboxes/${m.id}`}>{m.address}</a>
                  </th>
                  <td>{m.approvalState}</td>
                  {workloads.map((wd) => {
                    const w = m.workloads.find((x: Json) => x.workload === wd.workload);
                    if (!w || w.method === 'None') return <td class="muted">off</td>;
                    return (
                      <td>
                        <span class={`badge badge-${w.enabled ? w.status : 'Disabled'}`}>
                          {w.enabled ? w.status : 'Disabled'}
                        </span>
                      </td>
                    );
                  })}
                  <td>{ago(first?.lastAttemptAt)}</td>
                  <td>{first?.enabled ? ago(first?.nextDueAt).replace(' ago', ' late') : '—'}</td>
                  <td>{first?.lastError ? `${first.lastError.code} ×${first.lastError.count}` : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data && (
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={offset === 0}
              onClick={() => go({ offset: String(Math.max(0, offset - PAGE)) })}
            >
              Previous
            </button>
            <span>
              {data.total === 0 ? 0 : offset + 1}–{Math.min(offset + PAGE, data.total)} of{' '}
              {data.total.toLocaleString()}
            </span>
            <button
              type="button"
              disabled={offset + PAGE >= data.total}
              onClick={() => go({ offset: String(offset + PAGE) })}
            >
              Next
            </button>
          </nav>
        )}
      </Section>
    </>
  );
}
