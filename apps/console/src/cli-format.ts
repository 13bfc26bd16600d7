/** Aligned plain-text tables for the CLI. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (!rows.length) return '(none)\n';
  const cell = (value: unknown) => (value === null || value === undefined ? '-' : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n')}\n`;
}

/** Mailbox rows flattened for a table: one column per workload ("SSS on", "SSS off", "None"). */
export interface MailboxLike {
  id: string;
  address: string;
  owner?: { type: string; id: string };
  approvalState: string;
  workloads?: { workload: string; method: string; enabled: boolean; status: string }[];
}

export function mailboxRow(m: MailboxLike): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: m.id,
    address: m.address,
    owner: `${m.owner?.type}:${m.owner?.id}`,
    approval: m.approvalState,
  };
  for (const w of m.workloads ?? [])
    row[w.workload] = w.method === 'None' ? 'None' : `${w.enabled ? 'on' : 'off'}/${w.status}`;
  return row;
}
