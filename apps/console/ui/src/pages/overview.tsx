import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'preact/hooks';
import type { Json } from '../api';
import { usePolling } from '../hooks';
import { ChartView, ErrorNote, PALETTE, Section, Stat } from '../ui';

const minuteLabel = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function seriesChart(
  series: Json,
  pick: (w: Json) => (number | null)[],
  type: 'bar' | 'line',
): ChartConfiguration {
  return {
    type,
    data: {
      labels: series.minutes.map(minuteLabel),
      datasets: series.workloads.map((w: Json, i: number) => ({
        label: w.label,
        data: pick(w),
        backgroundColor: PALETTE[i % PALETTE.length],
        borderColor: PALETTE[i % PALETTE.length],
        spanGaps: true,
        pointRadius: 0,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: type === 'bar' }, y: { stacked: type === 'bar', beginAtZero: true } },
      plugins: { legend: { position: 'bottom' } },
    },
  };
}

export function OverviewPage() {
  const { data, error } = usePolling('/api/overview', 5_000);
  const series = usePolling('/api/overview/series?minutes=60', 15_000);
  const charts = useMemo(() => {
    if (!series.data) return null;
    return {
      cycles: seriesChart(series.data, (w) => w.cycles, 'bar'),
      items: seriesChart(series.data, (w) => w.items, 'bar'),
      lag: seriesChart(series.data, (w) => w.maxLagSec, 'line'),
    };
  }, [series.data]);
  if (!data) return error ? <ErrorNote error={error} /> : <p>Loading…</p>;
  const failures = data.workloads.reduce((a: number, w: Json) => a + w.byStatus.Failure, 0);
  return (
    <>
      <h1>Fleet overview</h1>
      <ErrorNote error={error} />
      <div class="stats" aria-live="polite">
        <Stat id="mailboxes" label="Mailboxes" value={data.mailboxes.total} />
        <Stat id="enabled" label="Enabled" value={data.mailboxes.enabled} tone="good" />
        <Stat id="disabled" label="Disabled" value={data.mailboxes.disabled} />
        <Stat
          id="pending-approval"
          label="Pending approval"
          value={data.mailboxes.byApproval.PendingApproval}
        />
        <Stat id="failures" label="Workloads failing" value={failures} tone={failures ? 'bad' : ''} />
        <Stat
          id="alerts"
          label="Open error alerts"
          value={data.alerts.Error}
          tone={data.alerts.Error ? 'bad' : ''}
        />
        <Stat id="received" label="Emails promoted" value={data.emails.received} tone="good" />
        <Stat id="sent" label="Emails sent" value={data.emails.sent} tone="good" />
        <Stat id="pending-send" label="Pending send" value={data.emails.pendingSend} />
      </div>
      <div class="grid">
        <Section title="Cycles per minute (last hour)">
          {charts ? (
            <ChartView config={charts.cycles} label="Cycles per minute and workload, last hour" />
          ) : null}
        </Section>
        <Section title="Items synced per minute">
          {charts ? (
            <ChartView config={charts.items} label="Items per minute and workload, last hour" />
          ) : null}
        </Section>
        <Section title="Schedule lag, worst per minute (s)">
          {charts ? (
            <ChartView config={charts.lag} label="Maximum schedule lag per minute and workload" />
          ) : null}
        </Section>
      </div>
      <Section title="Workloads">
        <table>
          <caption class="sr-only">Mailbox workloads by state</caption>
          <thead>
            <tr>
              <th scope="col">Workload</th>
              <th scope="col">Enabled</th>
              <th scope="col">Disabled</th>
              <th scope="col">Succeeded</th>
              <th scope="col">Failed</th>
              <th scope="col">Not run</th>
              <th scope="col">Running now</th>
              <th scope="col">Due</th>
              <th scope="col">Worst lag</th>
            </tr>
          </thead>
          <tbody>
            {data.workloads.map((w: Json) => (
              <tr data-workload={w.workload}>
                <th scope="row">
                  <a href={`#/mailboxes?workload=${w.workload}`}>{w.label}</a>
                </th>
                <td data-col="enabled">{w.enabled}</td>
                <td>{w.disabled}</td>
                <td>{w.byStatus.Success}</td>
                <td>
                  <a href={`#/mailboxes?workload=${w.workload}&status=Failure`}>{w.byStatus.Failure}</a>
                </td>
                <td>{w.byStatus.NotRun}</td>
                <td>{w.processing}</td>
                <td>{w.due}</td>
                <td>{w.maxLagSec} s</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Profiles">
        <table>
          <thead>
            <tr>
              <th scope="col">Profile</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">Failing workloads</th>
              <th scope="col">Open alerts (error / warning)</th>
              <th scope="col">Connections in use</th>
              <th scope="col">Throttled</th>
            </tr>
          </thead>
          <tbody>
            {data.profiles.map((p: Json) => (
              <tr>
                <th scope="row">
                  <a href={`#/profiles/${p.id}`}>{p.name}</a>
                </th>
                <td>{p.mailboxes}</td>
                <td>{p.failures}</td>
                <td>
                  {p.openAlerts.Error} / {p.openAlerts.Warning}
                </td>
                <td>
                  <meter
                    min={0}
                    max={p.maxConcurrentConnections}
                    value={p.connectionsInUse}
                    aria-label={`Connections in use for ${p.name}`}
                  />{' '}
                  {p.connectionsInUse} / {p.maxConcurrentConnections}
                </td>
                <td>{p.throttled}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Queues">
        <table>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Waiting</th>
              <th scope="col">Active</th>
              <th scope="col">Delayed</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {data.queues.map((q: Json) => (
              <tr>
                <th scope="row">{q.name}</th>
                <td>{q.counts.waiting}</td>
                <td>{q.counts.active}</td>
                <td>{q.counts.delayed}</td>
                <td>{q.counts.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
