import type { ActConflictPolicy } from '@syncfleet/db';
import { same, type ActKind, type Direction, type Fields, type FieldValue } from './fields';

export interface FieldConflict {
  field: string;
  appValue: FieldValue;
  exchangeValue: FieldValue;
  winner: 'app' | 'exchange';
  rule: ActConflictPolicy | 'CompletedStays';
}

export interface MergeInput {
  kind: ActKind;
  app: Fields;
  exchange: Fields;
  /** The values both sides agreed on at the last sync (null: never synced — Exchange's are taken). */
  base: Fields | null;
  directions: Record<string, Direction>;
  policy: ActConflictPolicy;
  /** Our last change of the record (its updatedAt) and Exchange's lastModifiedDateTime. */
  appChangedAt: Date;
  exchangeChangedAt: Date;
  /** When the app record's status last changed (tasks: the completed-work rule). */
  appStatusChangedAt?: Date;
}

export interface MergeResult {
  /** The merged values: what the app record holds after the sync. */
  merged: Fields;
  conflicts: FieldConflict[];
}

/**
 * Per-field three-way merge (docs/act-sync.md#conflicts). For each field, against the base:
 * - `None`: left alone on both sides; `ToExchange`: the app's value; `ToApp`: Exchange's value;
 * - `TwoWay`: a change on one side wins; the same new value on both is no conflict; different new
 *   values on both sides are a conflict, decided by the profile policy (LatestWins compares
 *   Exchange's lastModifiedDateTime with our change time) — and recorded.
 * Tasks: completed work is never reopened by a stale copy. A side that did not edit the status has
 * no say in it (a stale Outlook copy edited elsewhere keeps the app's "Completed"); when both edited
 * it and one completed, reopening wins only if that explicit edit is the newer one, whatever the
 * policy. completedAt follows the merged status.
 */
export function mergeFields(input: MergeInput): MergeResult {
  const { app, exchange, directions } = input;
  const base = input.base ?? exchange;
  const merged: Fields = { ...app };
  const conflicts: FieldConflict[] = [];
  for (const [field, direction] of Object.entries(directions)) {
    if (input.kind === 'task' && field === 'completedAt') continue;
    const a = app[field] ?? null;
    const e = exchange[field] ?? null;
    const b = base[field] ?? null;
    if (direction === 'None' || direction === 'ToExchange') continue;
    if (direction === 'ToApp') {
      merged[field] = e;
      continue;
    }
    const appChanged = !same(a, b);
    const exChanged = !same(e, b);
    if (!exChanged || same(a, e)) continue; // app's value stands (changed or not)
    if (!appChanged || input.base === null) {
      merged[field] = e;
      continue;
    }
    const decided = decide(input, field, a, e);
    merged[field] = decided.winner === 'app' ? a : e;
    conflicts.push({ field, appValue: a, exchangeValue: e, ...decided });
  }
  if (input.kind === 'task') {
    const status = merged.status;
    merged.completedAt =
      status === 'Completed'
        ? ((merged.status === app.status ? app.completedAt : exchange.completedAt) ??
          app.completedAt ??
          exchange.completedAt ??
          null)
        : null;
  }
  return { merged, conflicts };
}

function decide(
  input: MergeInput,
  field: string,
  a: FieldValue,
  e: FieldValue,
): Pick<FieldConflict, 'winner' | 'rule'> {
  if (input.kind === 'task' && field === 'status' && (a === 'Completed') !== (e === 'Completed')) {
    // Both sides edited the status and exactly one completed it: reopening needs the newer edit.
    const appAt = seconds(input.appStatusChangedAt ?? input.appChangedAt);
    const exAt = seconds(input.exchangeChangedAt);
    const appReopens = e === 'Completed';
    const reopenerIsNewer = appReopens ? appAt > exAt : exAt > appAt;
    const completedSide = a === 'Completed' ? 'app' : 'exchange';
    const reopeningSide = completedSide === 'app' ? 'exchange' : 'app';
    return { winner: reopenerIsNewer ? reopeningSide : completedSide, rule: 'CompletedStays' };
  }
  switch (input.policy) {
    case 'AppWins':
      return { winner: 'app', rule: 'AppWins' };
    case 'ExchangeWins':
      return { winner: 'exchange', rule: 'ExchangeWins' };
    case 'LatestWins':
      // Exchange reports lastModifiedDateTime to the second: compare whole seconds, a tie goes to
      // the app (whose time is exact).
      return {
        winner: seconds(input.exchangeChangedAt) > seconds(input.appChangedAt) ? 'exchange' : 'app',
        rule: 'LatestWins',
      };
  }
}

/** The fields whose values differ between two canonical objects. */
export function changedFields(from: Fields, to: Fields, fields: Iterable<string>): string[] {
  return [...fields].filter((f) => !same(from[f] ?? null, to[f] ?? null));
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
