import { randomBytes } from 'node:crypto';
import { graphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import type { Item, ItemKind, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import { odataType, preferMaxPageSize, serializeItem } from './odata';

/**
 * Delta query engine ("Use delta query to track changes", "message: delta"). Every item change takes
 * the mailbox's next sequence number; a deltatoken is a watermark over that sequence, kept
 * server-side under an opaque id. A round snapshots the ids changed since the watermark and pages
 * through them (skiptoken = round id + position), always rendering the item's *current* state: an
 * item changed mid-round is rendered fresh and, having a newer seq, appears again next round — the
 * documented "same item may appear more than once".
 */
export interface DeltaScope {
  mailboxId: string;
  kind: ItemKind;
  parentId: string;
  /** calendarView window in epoch ms; events outside it are `@removed`. */
  window?: [number, number];
  filter?: (item: Item) => boolean;
  select?: string[];
  /** Request path after `/v1.0`, reused to build nextLink/deltaLink. */
  pathBase: string;
}

interface Round {
  scope: DeltaScope;
  ids: string[];
  upTo: number;
  initial: boolean;
}

interface Watermark {
  scope: DeltaScope;
  watermark: number;
}

type State = { round: Round } | { token: Watermark };

export type DeltaEngine = ReturnType<typeof createDeltaEngine>;

export function createDeltaEngine(deps: { store: Store; maxStates: () => number; pageSize: () => number }) {
  const states = new Map<string, State>();

  function put(state: State): string {
    const id = randomBytes(12).toString('base64url');
    states.set(id, state);
    while (states.size > deps.maxStates()) {
      const oldest = states.keys().next().value;
      if (oldest === undefined) break;
      states.delete(oldest);
    }
    return id;
  }

  function get(id: string): State | undefined {
    const state = states.get(id);
    if (state) {
      states.delete(id); // LRU touch
      states.set(id, state);
    }
    return state;
  }

  function evict(mailboxId?: string): number {
    let n = 0;
    for (const [id, state] of states) {
      const scope = 'round' in state ? state.round.scope : state.token.scope;
      if (!mailboxId || scope.mailboxId === mailboxId) {
        states.delete(id);
        n++;
      }
    }
    return n;
  }

  function inWindow(item: Item, window: [number, number] | undefined): boolean {
    if (!window) return true;
    const start = dateOf(item.fields.start);
    const end = dateOf(item.fields.end);
    return start < window[1] && end > window[0];
  }

  function changedSince(mailbox: Mailbox, scope: DeltaScope, watermark: number, initial: boolean): string[] {
    const data = deps.store.dataOf(mailbox);
    const changes: Array<[number, string]> = [];
    for (const item of deps.store.itemsIn(mailbox, scope.parentId)) {
      if (item.seq <= watermark) continue;
      if (initial && (!inWindow(item, scope.window) || (scope.filter && !scope.filter(item)))) continue;
      changes.push([item.seq, item.id]);
    }
    if (!initial) {
      for (const [id, seq] of data.tombstones.get(scope.parentId) ?? []) {
        if (seq > watermark && !data.items.has(id)) changes.push([seq, id]);
      }
    }
    changes.sort((a, b) => a[0] - b[0]);
    return changes.map((c) => c[1]);
  }

  function startRound(mailbox: Mailbox, scope: DeltaScope, watermark: number, initial: boolean): Round {
    const upTo = deps.store.dataOf(mailbox).seq;
    return { scope, ids: changedSince(mailbox, scope, watermark, initial), upTo, initial };
  }

  function render(mailbox: Mailbox, round: Round, id: string): Record<string, unknown> | undefined {
    const { scope } = round;
    const item = deps.store.dataOf(mailbox).items.get(id);
    const removed = {
      '@odata.type': odataType(scope.kind),
      id,
      '@removed': { reason: 'deleted' },
    };
    if (!item || item.parentId !== scope.parentId) return removed;
    if (!inWindow(item, scope.window)) return removed;
    if (scope.filter && !scope.filter(item)) return undefined;
    return { '@odata.type': odataType(scope.kind), ...serializeItem(item, scope.select) };
  }

  function page(
    req: SimRequest,
    mailbox: Mailbox,
    round: Round,
    roundId: string,
    position: number,
  ): SimResponse {
    const requested = preferMaxPageSize(req.headers.prefer);
    const size = requested ?? deps.pageSize();
    const slice = round.ids.slice(position, position + size);
    const value: Array<Record<string, unknown>> = [];
    for (const id of slice) {
      const rendered = render(mailbox, round, id);
      if (rendered) value.push(rendered);
    }
    const next = position + slice.length;
    const base = `${req.baseUrl}/v1.0${round.scope.pathBase}`;
    const body: Record<string, unknown> = {
      '@odata.context': `${req.baseUrl}/v1.0/$metadata#Collection(${odataType(round.scope.kind).slice(1)})`,
      value,
    };
    if (next < round.ids.length) {
      body['@odata.nextLink'] = `${base}?$skiptoken=${roundId}.${next}`;
    } else {
      const token = put({ token: { scope: round.scope, watermark: round.upTo } });
      body['@odata.deltaLink'] = `${base}?$deltatoken=${token}`;
    }
    const headers: Record<string, string> = {};
    if (requested) headers['preference-applied'] = `odata.maxpagesize=${requested}`;
    return { status: 200, headers, body };
  }

  const gone = (): SimResponse =>
    graphError(410, 'SyncStateNotFound', 'The sync state generation is not found. Please restart the sync.');

  /** Serves one delta request: initial (no token), a `$skiptoken` page, or a `$deltatoken` replay. */
  function handle(
    req: SimRequest,
    mailbox: Mailbox,
    initialScope: () => DeltaScope | SimResponse,
  ): SimResponse {
    const skip = req.query.get('$skiptoken');
    const delta = req.query.get('$deltatoken');
    if (skip) {
      const [roundId = '', pos = '0'] = skip.split('.');
      const state = get(roundId);
      if (!state || !('round' in state) || state.round.scope.mailboxId !== mailbox.id) return gone();
      return page(req, mailbox, state.round, roundId, Number(pos) || 0);
    }
    if (delta && delta !== 'latest') {
      const state = get(delta);
      if (!state || !('token' in state) || state.token.scope.mailboxId !== mailbox.id) return gone();
      const round = startRound(mailbox, state.token.scope, state.token.watermark, false);
      return page(req, mailbox, round, put({ round }), 0);
    }
    const scope = initialScope();
    if ('status' in scope) return scope;
    if (delta === 'latest') {
      const round: Round = { scope, ids: [], upTo: deps.store.dataOf(mailbox).seq, initial: true };
      return page(req, mailbox, round, put({ round }), 0);
    }
    const round = startRound(mailbox, scope, 0, true);
    return page(req, mailbox, round, put({ round }), 0);
  }

  return { handle, evict, size: () => states.size };
}

export function dateOf(value: unknown): number {
  const v = value as { dateTime?: string; timeZone?: string } | undefined;
  if (!v?.dateTime) return NaN;
  // Only UTC is modelled: a dateTime without offset is read as UTC.
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v.dateTime) ? v.dateTime : v.dateTime + 'Z');
}
