import type { SimRequest, SimResponse } from './types';

export interface RouteMatch<C> {
  route: Route<C>;
  params: string[];
}

export interface Route<C> {
  method: string;
  /** e.g. `users/:u/mailFolders/:f/messages` — `:x` matches one segment. */
  pattern: string;
  handler: (ctx: C, params: string[], req: SimRequest) => SimResponse | Promise<SimResponse>;
}

interface Compiled<C> {
  route: Route<C>;
  parts: string[];
  paramAt: boolean[];
}

/**
 * Splits a Graph path into decoded segments. OData key syntax `mailFolders('inbox')` becomes two
 * segments, so `mailFolders('inbox')/messages` and `mailFolders/inbox/messages` route alike.
 */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (!raw) continue;
    let seg = raw;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      // keep raw
    }
    const key = /^([A-Za-z]+)\('?([^')]*)'?\)$/.exec(seg);
    if (key) out.push(key[1] ?? '', key[2] ?? '');
    else out.push(seg);
  }
  return out;
}

/** A small precompiled router: routes are grouped by method and segment count (cheap hot path). */
export function createRouter<C>(routes: Array<Route<C>>) {
  const table = new Map<string, Array<Compiled<C>>>();
  for (const route of routes) {
    const parts = route.pattern.split('/').filter(Boolean);
    const key = `${route.method} ${parts.length}`;
    const list = table.get(key) ?? [];
    list.push({ route, parts, paramAt: parts.map((p) => p.startsWith(':')) });
    table.set(key, list);
  }
  // Literal segments win over parameters (`messages/delta` before `messages/:id`).
  for (const list of table.values()) {
    list.sort((a, b) => a.paramAt.filter(Boolean).length - b.paramAt.filter(Boolean).length);
  }
  const allowed = new Set(routes.map((r) => r.pattern.split('/').filter(Boolean).length));

  return {
    match(method: string, segments: string[]): RouteMatch<C> | undefined {
      const list = table.get(`${method} ${segments.length}`);
      if (!list) return undefined;
      for (const candidate of list) {
        const params: string[] = [];
        let ok = true;
        for (let i = 0; i < candidate.parts.length; i++) {
          const seg = segments[i] ?? '';
          if (candidate.paramAt[i]) params.push(seg);
          else if (candidate.parts[i]?.toLowerCase() !== seg.toLowerCase()) {
            ok = false;
            break;
          }
        }
        if (ok) return { route: candidate.route, params };
      }
      return undefined;
    },
    knowsLength: (n: number) => allowed.has(n),
  };
}
