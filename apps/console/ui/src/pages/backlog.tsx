import type { Json } from '../api';
import { usePolling } from '../hooks';
import { ago, ErrorNote, Section } from '../ui';

export function BacklogPage() {
  const { data, error } = usePolling('/api/backlog', 5_000);
  if (!data) return <ErrorNote error={error} />;
  return (
    <>
      <h1>Backlog</h1>
      <p class="muted">Items waiting to be synced, per kind — fleet-wide, and the mailboxes with the most.</p>
      <Section title="Fleet-wide">
        <table>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Items</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">Oldest</th>
            </tr>
          </thead>
          <tbody>
            {data.kinds.map((k: Json) => (
              <tr data-kind={k.kind}>
                <th scope="row">{k.label}</th>
                <td>{k.total}</td>
                <td>{k.mailboxes}</td>
                <td>{k.oldest ? ago(k.oldest) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Mailboxes with the largest backlog">
        <table>
          <thead>
            <tr>
              <th scope="col">Mailbox</th>
              <th scope="col">Total</th>
              {data.kinds.map((k: Json) => (
                <th scope="col">{k.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.mailboxes.map((m: Json) => (
              <tr>
                <th scope="row">
                  <a href={`#/mailboxes/${m.mailboxId}`}>{m.address ?? m.mailboxId}</a>
                </th>
                <td>{m.total}</td>
                {data.kinds.map((k: Json) => (
                  <td>{m.counts[k.kind] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
