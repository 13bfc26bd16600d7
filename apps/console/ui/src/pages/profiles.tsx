import { useState } from 'preact/hooks';
import { api, type Json } from '../api';
import { usePolling } from '../hooks';
import { AcknowledgeButton, ErrorNote, Section, StatusBadge, time } from '../ui';
import { OperationPanel } from './operation';
import { ActSettingsSection } from './profile-act';

export function ProfilesPage() {
  const { data, error } = usePolling('/api/profiles?limit=500', 10_000);
  const overview = usePolling('/api/overview', 10_000);
  return (
    <>
      <h1>Email server profiles</h1>
      <ErrorNote error={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Tenant</th>
            <th scope="col">Mailboxes</th>
            <th scope="col">Open error alerts</th>
            <th scope="col">Max connections</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((p: Json) => {
            const o = overview.data?.profiles.find((x: Json) => x.id === p.id);
            return (
              <tr>
                <th scope="row">
                  <a href={`#/profiles/${p.id}`}>{p.name}</a>
                </th>
                <td>{p.tenantId}</td>
                <td>{o?.mailboxes ?? '—'}</td>
                <td>{o?.openAlerts.Error ?? '—'}</td>
                <td>{p.maxConcurrentConnections}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

const NUMBERS = [
  'maxConcurrentConnections',
  'minPollingIntervalSec',
  'connectionTimeoutSec',
  'digestQuietSec',
];

export function ProfilePage({ id }: { id: string }) {
  const profile = usePolling(`/api/profiles/${id}`, 0);
  const alerts = usePolling(`/api/profiles/${id}/alerts?limit=50&acknowledged=false`, 5_000);
  const digests = usePolling(`/api/profiles/${id}/digests`, 10_000);
  const sender = usePolling(
    profile.data?.notificationMailboxId ? `/api/mailboxes/${profile.data.notificationMailboxId}` : null,
    0,
  );
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [importing, setImporting] = useState<{ id: string; note: string } | null>(null);
  if (!profile.data) return <ErrorNote error={profile.error} />;
  const startImport = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const domain = String(form.get('domain') ?? '').trim();
    const group = String(form.get('group') ?? '').trim();
    setError(null);
    try {
      const started = await api(`/api/profiles/${id}/import`, {
        method: 'POST',
        body: { ...(domain ? { domain } : {}), ...(group ? { group } : {}) },
      });
      const source = started.group ? `in group ${started.group.displayName}` : 'in the tenant';
      setImporting({
        id: started.operation.id,
        note: `${started.listed} users listed ${source}, ${started.alreadyKnown} already known.`,
      });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const p = profile.data;
  const patch = async (body: Record<string, unknown>, done: string) => {
    setError(null);
    setMessage(null);
    try {
      await api(`/api/profiles/${id}`, { method: 'PATCH', body });
      setMessage(done);
      await profile.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const saveSettings = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const body: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) {
      if (key === 'webhookSecret' || key === 'clientSecret') continue;
      const text = String(value).trim();
      if (NUMBERS.includes(key)) body[key] = Number(text);
      else body[key] = text === '' ? null : text;
    }
    void patch(body, 'Settings saved.');
  };
  const replaceSecret = (event: Event) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const secret = String(new FormData(formElement).get('clientSecret') ?? '');
    formElement.reset();
    void patch({ clientSecret: secret }, 'Client secret replaced.');
  };
  const saveNotifications = async (event: Event) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    const address = String(form.get('notificationMailbox') ?? '')
      .trim()
      .toLowerCase();
    const body: Record<string, unknown> = {
      ownerEmail: String(form.get('ownerEmail') ?? '').trim() || null,
      webhookUrl: String(form.get('webhookUrl') ?? '').trim() || null,
      digestQuietSec: Number(form.get('digestQuietSec')),
      notificationMailboxId: null,
    };
    const secret = String(form.get('webhookSecret') ?? '');
    if (secret) body.webhookSecret = secret;
    if (address) {
      const found = await api(`/api/mailboxes?q=${encodeURIComponent(address)}&limit=5`);
      const match = found.items.find((m: Json) => m.address === address);
      if (!match) {
        setError(`No mailbox has the address ${address}.`);
        return;
      }
      body.notificationMailboxId = match.id;
    }
    (formElement.elements.namedItem('webhookSecret') as HTMLInputElement).value = '';
    await patch(body, 'Notification settings saved.');
  };
  const acknowledge = async (alertId: string) => {
    await api(`/api/alerts/${alertId}/acknowledge`, { method: 'POST' });
    await alerts.reload();
  };
  return (
    <>
      <h1>{p.name}</h1>
      <p>
        <a href={`#/mailboxes?profileId=${id}`}>Its mailboxes</a>
      </p>
      {message && <p role="status">{message}</p>}
      <ErrorNote error={error} />
      <div class="grid">
        <Section title="Settings">
          <form class="settings" onSubmit={saveSettings}>
            <label>
              Name <input name="name" defaultValue={p.name} required />
            </label>
            <label>
              Max concurrent connections
              <input
                name="maxConcurrentConnections"
                type="number"
                min={1}
                max={300}
                defaultValue={p.maxConcurrentConnections}
              />
            </label>
            <label>
              Minimum polling interval (s)
              <input
                name="minPollingIntervalSec"
                type="number"
                min={1}
                defaultValue={p.minPollingIntervalSec}
              />
            </label>
            <label>
              Connection timeout (s)
              <input
                name="connectionTimeoutSec"
                type="number"
                min={1}
                defaultValue={p.connectionTimeoutSec}
              />
            </label>
            <p class="muted">
              Tenant {p.tenantId} · app {p.clientId} · client secret{' '}
              {p.hasClientSecret ? 'set (never shown)' : 'missing'}
            </p>
            <button type="submit">Save settings</button>
          </form>
        </Section>
        <Section title="Replace the client secret">
          <form class="settings" onSubmit={replaceSecret}>
            <label>
              New client secret
              <input name="clientSecret" type="password" autoComplete="off" required />
            </label>
            <p class="muted">Sealed at rest; it is never shown again, here or in the API.</p>
            <button type="submit">Replace secret</button>
          </form>
        </Section>
      </div>
      <div class="grid">
        <Section title="Owner notifications">
          <form class="settings" onSubmit={(e) => void saveNotifications(e)}>
            <p class="muted">
              One digest per burst of error alerts (mailboxes disabled, profile errors): an email from the
              notification mailbox to the owner, and/or a webhook signed with HMAC-SHA256 (header
              x-syncfleet-signature).
            </p>
            <label>
              Owner email
              <input name="ownerEmail" type="email" defaultValue={p.ownerEmail ?? ''} />
            </label>
            <label>
              Notification mailbox (sends the digest email; needs outgoing email enabled)
              <input
                name="notificationMailbox"
                type="email"
                defaultValue={sender.data?.address ?? ''}
                key={sender.data?.address}
              />
            </label>
            <label>
              Webhook URL
              <input name="webhookUrl" type="url" defaultValue={p.webhookUrl ?? ''} />
            </label>
            <label>
              Webhook signing secret {p.hasWebhookSecret ? '(set; leave empty to keep it)' : ''}
              <input name="webhookSecret" type="password" autoComplete="off" minLength={16} />
            </label>
            <label>
              A burst ends after (seconds without a new alert)
              <input name="digestQuietSec" type="number" min={5} max={3600} defaultValue={p.digestQuietSec} />
            </label>
            <button type="submit">Save notification settings</button>
          </form>
        </Section>
        <Section title="Digests sent">
          {(digests.data?.items ?? []).length === 0 ? (
            <p class="muted">No digest yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Alerts</th>
                  <th scope="col">Email</th>
                  <th scope="col">Webhook</th>
                </tr>
              </thead>
              <tbody>
                {digests.data.items.map((d: Json) => (
                  <tr>
                    <td title={d.subject}>{time(d.createdAt)}</td>
                    <td>{d.alertCount}</td>
                    <td>{d.email ? <StatusBadge status={d.email.status} /> : '—'}</td>
                    <td>
                      {d.webhook ? (
                        <>
                          <StatusBadge status={d.webhook.state} /> {d.webhook.attempts} attempt(s)
                          {d.webhook.lastError ? ` — ${d.webhook.lastError}` : ''}
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      </div>
      <ActSettingsSection profile={p} onSaved={profile.reload} />
      <Section title="Import mailboxes from the tenant">
        <form class="filters" onSubmit={(e) => void startImport(e)}>
          <label>
            Domain (empty: every user and shared mailbox)
            <input name="domain" placeholder="contoso.com" />
          </label>
          <label>
            Group (object id, mail or name; empty: no group)
            <input name="group" placeholder="Sales team" />
          </label>
          <button type="submit">Import</button>
        </form>
        <p class="muted">
          Lists the tenant's users and shared mailboxes through Graph (the app needs User.Read.All) — or a
          group's users, nested groups included (it also needs GroupMember.Read.All) — and creates the ones
          not known yet, approved; then select them and run Test & Enable.
        </p>
        {importing && (
          <>
            <p role="status">{importing.note}</p>
            <OperationPanel id={importing.id} />
          </>
        )}
      </Section>
      <Section title="Open alerts (this profile and its mailboxes)">
        <table class="alerts">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Severity</th>
              <th scope="col">Code</th>
              <th scope="col">Message</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {(alerts.data?.items ?? []).map((a: Json) => (
              <tr data-alert={a.id}>
                <td>{time(a.createdAt)}</td>
                <td>
                  <StatusBadge status={a.severity} />
                </td>
                <td>{a.mailboxId ? <a href={`#/mailboxes/${a.mailboxId}`}>{a.code}</a> : a.code}</td>
                <td>{a.message}</td>
                <td>
                  <AcknowledgeButton code={a.code} onAcknowledge={() => void acknowledge(a.id)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
