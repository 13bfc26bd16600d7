import { useEffect } from 'preact/hooks';
import type { Json } from '../api';
import { usePolling } from '../hooks';

/** Live progress of a bulk operation, then its per-mailbox results (failures first). */
export function OperationPanel({ id, onFinished }: { id: string; onFinished?: () => void }) {
  const { data } = usePolling(`/api/operations/${id}`, 1_000);
  const finished = data?.status === 'Finished';
  const failed = usePolling(finished ? `/api/operations/${id}/results?state=Failed&limit=200` : null, 0);
  const succeeded = usePolling(
    finished ? `/api/operations/${id}/results?state=Succeeded&limit=200` : null,
    0,
  );
  useEffect(() => {
    if (finished) onFinished?.();
  }, [finished]);
  if (!data) return null;
  const results: Json[] = [...(failed.data?.items ?? []), ...(succeeded.data?.items ?? [])];
  return (
    <div class="operation" data-operation={id} data-status={data.status} aria-live="polite">
      <p>
        <strong>{data.action}</strong>: {data.done} of {data.total} done — {data.succeeded} succeeded,{' '}
        {data.failed} failed
        {finished ? ' — finished' : '…'}
      </p>
      <progress max={data.total || 1} value={data.done} aria-label={`${data.action} progress`} />
      {finished && results.length > 0 && (
        <div class="results" tabIndex={0} aria-label="Results per mailbox (scrollable)">
          <table>
            <caption>Results per mailbox</caption>
            <thead>
              <tr>
                <th scope="col">Mailbox</th>
                <th scope="col">Result</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {results.map((r) => (
                <tr data-result={r.state}>
                  <th scope="row">
                    <a href={`#/mailboxes/${r.mailboxId}`}>{r.address}</a>
                  </th>
                  <td>
                    <span class={`badge badge-${r.state === 'Succeeded' ? 'Success' : 'Failure'}`}>
                      {r.state}
                    </span>
                  </td>
                  <td>{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
