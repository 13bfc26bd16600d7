import type { SimConfig } from '../config';
import { graphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import type { Item, ItemKind, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import { createStateCache } from './delta-states';
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
  /** `$expand` of extended properties or open extensions (extensions.ts), kept for the whole round. */
  expand?: (item: Item, json: Record<string, unknown>) => void;
  /** Request path after `/v1.0`, reused to build nextLink/deltaLink. */
  pathBase: string;
  /** The initial request's query string (without state tokens), for a reset's Location header. */
  initialQuery?: string;
}

interface Round {
  kind: 'round';
  scope: DeltaScope;
  ids: string[];
  upTo: number;
  /** The deltatoken's watermark this round started from (0 for an initial round). */
  watermark: number;
  initial: boolean;
  /** Skiptoken positions still valid, newest last. */
  issued: number[];
  reset?: boolean;
}

interface Token {
  kind: 'token';
  scope: DeltaScope;
  watermark: number;
  reset?: boolean;
}

type State = Round | Token;

export interface DeltaEngineDeps {
  store: Store;
  config: Pick<
    SimConfig,
    | 'maxDeltaStates'
    | 'defaultPageSize'
    | 'deltaStatesPerMailbox'
    | 'deltaStateMaxAgeSeconds'
    | 'deltaSkipTokenHistory'
    | 'deltaPartialUpdates'
    | 'filteredDeltaMaxItems'
  >;
  now?: () => number;
}

export type DeltaEngine = ReturnType<typeof createDeltaEngine>;

export function createDeltaEngine(deps: DeltaEngineDeps) {
  const { config } = deps;
  const states = createStateCache<State>({
    maxStates: () => config.maxDeltaStates,
    perMailbox: () => config.deltaStatesPerMailbox,
    maxAgeMs: () => config.deltaStateMaxAgeSeconds * 1000,
    now: deps.now ?? Date.now,
  });

  /**
   * Drops a mailbox's states (or all). With `reset`, the states stay just long enough to answer the
   * documented synchronization reset: 410 with a Location header (see `resetResponse`).
   */
  function evict(mailboxId?: string, options: { reset?: boolean } = {}): number {
    if (!options.reset) return states.evict(mailboxId);
    if (!mailboxId) throw new Error('a reset names a mailbox');
    const affected = states.states(mailboxId);
    for (const state of affected) state.reset = true;
    return affected.length;
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
    const ids = changes.map((c) => c[1]);
    // delta-query-messages, "Use query parameters in a delta query for messages": "Applying $filter
    // in a delta query returns only up to 5,000 messages." The rest are simply not returned.
    if (initial && scope.filter && scope.kind === 'message')
      return ids.slice(0, config.filteredDeltaMaxItems);
    return ids;
  }

  function startRound(mailbox: Mailbox, scope: DeltaScope, watermark: number, initial: boolean): Round {
    const upTo = deps.store.dataOf(mailbox).seq;
    const ids = changedSince(mailbox, scope, watermark, initial);
    return { kind: 'round', scope, ids, upTo, watermark, initial, issued: [] };
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
    const type = { '@odata.type': odataType(scope.kind) };
    if (
      config.deltaPartialUpdates &&
      scope.kind === 'message' &&
      !round.initial &&
      item.createdSeq <= round.watermark
    ) {
      // "Updated instances are represented by their id with *at least* the properties that have
      // been updated" ("Use delta query to track changes", Resource representation): whatever
      // $select asked for, an isRead toggle comes back as id, changeKey, parentFolderId, isRead.
      const changed = Object.entries(item.fieldSeqs)
        .filter(([, seq]) => seq > round.watermark)
        .map(([key]) => key);
      return { ...type, ...serializeItem(item, ['changeKey', 'parentFolderId', ...changed]) };
    }
    const out = { ...type, ...serializeItem(item, scope.select) };
    scope.expand?.(item, out);
    return out;
  }

  function page(
    req: SimRequest,
    mailbox: Mailbox,
    round: Round,
    roundId: string,
    position: number,
  ): SimResponse {
    const requested = preferMaxPageSize(req.headers.prefer);
    const size = requested ?? config.defaultPageSize;
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
      round.issued.push(next);
      while (round.issued.length > config.deltaSkipTokenHistory) round.issued.shift();
      body['@odata.nextLink'] = `${base}?$skiptoken=${roundId}.${next}`;
    } else {
      const token = states.put(mailbox.id, { kind: 'token', scope: round.scope, watermark: round.upTo });
      body['@odata.deltaLink'] = `${base}?$deltatoken=${token}`;
    }
    const headers: Record<string, string> = {};
    if (requested) headers['preference-applied'] = `odata.maxpagesize=${requested}`;
    return { status: 200, headers, body };
  }

  // "In case of an expired token, the service should respond with a 40X-series error with error
  // codes such as syncStateNotFound" (delta-query-overview, Token duration). Real tenants answer
  // 410 with code "SyncStateNotFound" (the casing observed in Graph SDK issues).
  const gone = (): SimResponse =>
    graphError(410, 'SyncStateNotFound', 'The sync state generation is not found. Please restart the sync.');

  /**
   * "Delta query can return a response code of 410 (gone) and a Location header containing a
   * request URL with an empty $deltaToken (same as the initial query)" (delta-query-overview,
   * Synchronization reset). The error code documented for it is resyncRequired (Graph "Error
   * codes": "the delta token is no longer valid, and the app must reset the sync state").
   */
  function resetResponse(req: SimRequest, scope: DeltaScope): SimResponse {
    const query = scope.initialQuery ? `${scope.initialQuery}&` : '';
    return graphError(
      410,
      'resyncRequired',
      'Resync required. Replace any local items with the server version.',
      {
        location: `${req.baseUrl}/v1.0${scope.pathBase}?${query}$deltatoken=`,
      },
    );
  }

  const folderGone = (): SimResponse =>
    graphError(404, 'ErrorItemNotFound', 'The specified folder could not be found in the store.');

  /** Serves one delta request: initial (no token), a `$skiptoken` page, or a `$deltatoken` replay. */
  function handle(
    req: SimRequest,
    mailbox: Mailbox,
    initialScope: () => DeltaScope | SimResponse,
  ): SimResponse {
    const skip = req.query.get('$skiptoken');
    const delta = req.query.get('$deltatoken');
    const containerExists = (scope: DeltaScope) => deps.store.dataOf(mailbox).containers.has(scope.parentId);
    if (skip) {
      const [roundId = '', pos = '0'] = skip.split('.');
      const position = Number(pos) || 0;
      const state = states.get(roundId, mailbox.id);
      if (!state || state.kind !== 'round') return gone();
      if (state.reset) return resetResponse(req, state.scope);
      if (!containerExists(state.scope)) return folderGone();
      // Only the newest skiptokens of a round stay valid: an older nextLink replayed is gone.
      if (!state.issued.includes(position)) return gone();
      return page(req, mailbox, state, roundId, position);
    }
    if (delta && delta !== 'latest') {
      const state = states.get(delta, mailbox.id);
      if (!state || state.kind !== 'token') return gone();
      if (state.reset) return resetResponse(req, state.scope);
      if (!containerExists(state.scope)) return folderGone();
      const round = startRound(mailbox, state.scope, state.watermark, false);
      return page(req, mailbox, round, states.put(mailbox.id, round), 0);
    }
    const scope = initialScope();
    if ('status' in scope) return scope;
    if (delta === 'latest') {
      const upTo = deps.store.dataOf(mailbox).seq;
      const round: Round = { kind: 'round', scope, ids: [], upTo, watermark: 0, initial: true, issued: [] };
      return page(req, mailbox, round, states.put(mailbox.id, round), 0);
    }
    const round = startRound(mailbox, scope, 0, true);
    return page(req, mailbox, round, states.put(mailbox.id, round), 0);
  }

  return { handle, evict, size: () => states.size() };
}

/** The query string of an initial delta request, without state tokens (kept for a reset's Location). */
export function initialQueryOf(req: SimRequest): string {
  const params: string[] = [];
  for (const [k, v] of req.query) {
    if (k !== '$skiptoken' && k !== '$deltatoken') params.push(`${k}=${encodeURIComponent(v)}`);
  }
  return params.join('&');
}

export function dateOf(value: unknown): number {
  const v = value as { dateTime?: string; timeZone?: string } | undefined;
  if (!v?.dateTime) return NaN;
  // Only UTC is modelled: a dateTime without offset is read as UTC.
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v.dateTime) ? v.dateTime : v.dateTime + 'Z');
}
