import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { api, session, type Json } from '../api';
import { usePolling } from '../hooks';
import { AcknowledgeButton, ago, ChartView, Choice, ErrorNote, Section, StatusBadge, time } from '../ui';
import { OperationPanel } from './operation';

const OUTCOME_COLORS: Record<string, string> = {
  Success: '#16a34a',
  Yielded: '#2563eb',
  TransientFailure: '#d97706',
  PermanentFailure: '#dc2626',
};

function runsChart(runs: Json[]): ChartConfiguration {
  const ordered = [...runs].reverse();
  return {
    type: 'bar',
    data: {
      labels: ordered.map((r) => `${new Date(r.startedAt).toLocaleTimeString()} ${r.workload}`),
      datasets: [
        {
          label: 'Cycle duration (ms)',
          data: ordered.map((r) => r.durationMs),
          backgroundColor: ordered.map((r) => OUTCOME_COLORS[r.outcome] ?? '#6b7280'),
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { ticks: { display: false } }, y: { beginAtZero: true } },
    },
  };
}

function Settings({
  mailbox,
  workloads,
  onSaved,
}: {
  mailbox: Json;
  workloads: Json[];
  onSaved: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const folders = String(form.get('trackedFolders') ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const from = String(form.get('processEmailFrom') ?? '');
    const body = {
      incomingFilter: form.get('incomingFilter') || null,
      processEmailFrom: from || null,
      trackedFolders: folders.map((folderId) => ({ folderId })),
      workloads: Object.fromEntries(
        workloads.map((w) => [w.workload, { method: form.get(`method-${w.workload}`) }]),
      ),
    };
    setError(null);
    setSaved(false);
    try {
      await api(`/api/mailboxes/${mailbox.id}`, { method: 'PATCH', body });
      setSaved(true);
      onSaved();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form class="settings" onSubmit={save}>
      <label>
        Promote incoming email
        <Choice
          name="incomingFilter"
          value={mailbox.incomingFilter}
          options={[
            ['', 'Fleet default'],
            ['All', 'All email messages'],
            ['ResponsesToAppEmail', 'Responses to email sent by the app'],
            ['FromKnownContacts', 'Email from known contacts'],
            ['None', 'No email messages'],
          ]}
        />
      </label>
      <label>
        Process email from (UTC date)
        <input
          name="processEmailFrom"
          type="date"
          defaultValue={mailbox.processEmailFrom?.slice(0, 10) ?? ''}
        />
      </label>
      <label>
        Tracked folders (Graph folder ids or well-known names, comma-separated)
        <input
          name="trackedFolders"
          defaultValue={(mailbox.trackedFolders ?? []).map((f: Json) => f.folderId).join(', ')}
        />
      </label>
      {workloads.map((w) => (
        <label>
          {w.workload} method
          <Choice
            name={`method-${w.workload}`}
            value={w.method}
            options={[
              ['ServerSideSync', 'Server-side sync'],
              ['None', 'None'],
            ]}
          />
        </label>
      ))}
      <button type="submit">Save settings</button>
      {saved && <span role="status">Saved.</span>}
      <ErrorNote error={error} />
    </form>
  );
}

export function MailboxPage({ id }: { id: string }) {
  const { data, error, reload } = usePolling(`/api/mailboxes/${id}/details`, 5_000);
  const mailbox = usePolling(`/api/mailboxes/${id}`, 0);
  const alerts = usePolling(`/api/mailboxes/${id}/alerts?limit=50`, 5_000);
  const [operation, setOperation] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const chart = useMemo(() => (data ? runsChart(data.recentRuns) : null), [data]);
  if (!data || !mailbox.data) return <ErrorNote error={error ?? mailbox.error} />;
  const act = async (action: string) => {
    setActionError(null);
    try {
      const op = await api(`/api/mailboxes/bulk/${action}`, { method: 'POST', body: { ids: [id] } });
      setOperation(op.id);
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
    }
  };
  const acknowledge = async (alertId: string) => {
    await api(`/api/alerts/${alertId}/acknowledge`, { method: 'POST' });
    await alerts.reload();
  };
  const m = data.mailbox;
  return (
    <>
      <h1>{m.address}</h1>
      <p class="muted">
        {m.displayName ? `${m.displayName} · ` : ''}owner {m.owner.type} {m.owner.id} · profile{' '}
        <a href={`#/profiles/${data.profile.id}`}>{data.profile.name}</a> · approval{' '}
        <StatusBadge status={m.approvalState} />
      </p>
      <div class="actions" role="group" aria-label="Mailbox actions">
        <button type="button" onClick={() => void act('approve')}>
          Approve email
        </button>
        <button type="button" onClick={() => void act('reject')}>
          Reject email
        </button>
        <button type="button" onClick={() => void act('test-and-enable')}>
          Test & Enable
        </button>
        <button type="button" onClick={() => void act('disable')}>
          Disable
        </button>
        <a
          class="button secondary"
          href={`/api/mailboxes/${id}/details?format=text`}
          onClick={(e) => void download(e, id)}
        >
          Download details
        </a>
      </div>
      <ErrorNote error={actionError} />
      {operation && <OperationPanel id={operation} onFinished={() => void (reload(), mailbox.reload())} />}
      <Section title="Workloads">
        <table>
          <thead>
            <tr>
              <th scope="col">Workload</th>
              <th scope="col">Method</th>
              <th scope="col">Enabled</th>
              <th scope="col">Status</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Next due</th>
              <th scope="col">Last error</th>
              <th scope="col">Items (last cycle)</th>
              <th scope="col">Avg duration</th>
            </tr>
          </thead>
          <tbody>
            {data.workloads.map((w: Json) => (
              <tr>
                <th scope="row">{w.workload}</th>
                <td>{w.method}</td>
                <td>{w.enabled ? 'yes' : 'no'}</td>
                <td>
                  <StatusBadge status={w.status} />
                </td>
                <td title={time(w.lastAttemptAt)}>{ago(w.lastAttemptAt)}</td>
                <td>{time(w.nextDueAt)}</td>
                <td>
                  {w.lastError
                    ? `${w.lastError.code}: ${w.lastError.message ?? ''} (×${w.lastError.count})`
                    : ''}
                </td>
                <td>
                  {w.itemsProcessed} / {w.itemsFailed} failed
                </td>
                <td>{w.averageDurationMs ?? '—'} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <div class="grid">
        <Section title="Recent cycles">
          {chart && <ChartView config={chart} label="Duration of the recent cycles, colored by outcome" />}
          <p class="legend">
            {Object.entries(OUTCOME_COLORS).map(([k, c]) => (
              <span>
                <i style={`background:${c}`} /> {k}
              </span>
            ))}
          </p>
        </Section>
        <Section title="Backlog">
          <table>
            <tbody>
              {data.backlog.map((b: Json) => (
                <tr>
                  <th scope="row">{b.label}</th>
                  <td>{b.count}</td>
                  <td>{b.oldest ? `oldest ${ago(b.oldest)}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Folders (delta sync health)">
          {data.folders.length === 0 && <p class="muted">No folder synced yet.</p>}
          <table>
            <tbody>
              {data.folders.map((f: Json) => (
                <tr>
                  <th scope="row">{f.displayName ?? f.folderId}</th>
                  <td>{f.tracked ? 'tracked' : 'inbox'}</td>
                  <td>{f.midRound ? 'mid-round' : f.hasDeltaLink ? 'up to date' : 'not started'}</td>
                  <td>{ago(f.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      </div>
      <Section title="Alerts">
        <table class="alerts">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Severity</th>
              <th scope="col">Code</th>
              <th scope="col">Message</th>
              <th scope="col">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {(alerts.data?.items ?? []).map((a: Json) => (
              <tr data-alert={a.id}>
                <td>{time(a.createdAt)}</td>
                <td>
                  <StatusBadge status={a.severity} />
                </td>
                <td>{a.code}</td>
                <td>{a.message}</td>
                <td>
                  {a.acknowledgedAt ? (
                    <span data-acknowledged="true">{ago(a.acknowledgedAt)}</span>
                  ) : (
                    <AcknowledgeButton code={a.code} onAcknowledge={() => void acknowledge(a.id)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Item errors">
        {data.itemErrors.length === 0 ? (
          <p class="muted">No failed or bounced items.</p>
        ) : (
          <table>
            <tbody>
              {data.itemErrors.map((e: Json) => (
                <tr>
                  <td>{time(e.at)}</td>
                  <td>
                    <StatusBadge status={e.status} />
                  </td>
                  <td>{e.subject}</td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Settings">
        <Settings
          mailbox={mailbox.data}
          workloads={mailbox.data.workloads}
          onSaved={() => void mailbox.reload()}
        />
      </Section>
    </>
  );
}

/** The text details as a file: fetched with the token (a plain link would not carry it). */
async function download(event: Event, id: string) {
  event.preventDefault();
  const response = await fetch(`/api/mailboxes/${id}/details?format=text`, {
    headers: { authorization: `Bearer ${session.token() ?? ''}` },
  });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `mailbox-${id}-details.txt`;
  link.click();
  URL.revokeObjectURL(url);
}
