import { badRequest } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import type { Item } from '../store/model';
import { parseFilter, parseOrderBy, parseSelect, serializeItem } from './odata';

/** GET collection with `$select`, `$filter`, `$orderby`, `$top` (default 10) and `$skip` nextLinks. */
export function listItems(
  req: SimRequest,
  items: Item[],
  options: {
    defaultOrder?: string;
    context: string;
    /** `$expand` of extended properties or extensions (extensions.ts). */
    expand?: (item: Item, json: Record<string, unknown>) => void;
  } = { context: '' },
): SimResponse {
  const filter = parseFilter(req.query.get('$filter'));
  if (filter && 'error' in filter) return badRequest(filter.error, 'ErrorInvalidUrlQueryFilter');
  const order = parseOrderBy(req.query.get('$orderby') ?? options.defaultOrder ?? null);
  let list = filter ? items.filter(filter) : items;
  if (order) list = [...list].sort(order);
  const top = Math.min(1000, Math.max(1, Number(req.query.get('$top') ?? 10) || 10));
  const skip = Math.max(0, Number(req.query.get('$skip') ?? 0) || 0);
  const select = parseSelect(req.query.get('$select'));
  const page = list.slice(skip, skip + top);
  const body: Record<string, unknown> = {
    '@odata.context': `${req.baseUrl}/v1.0/$metadata#${options.context}`,
    value: page.map((i) => {
      const out = serializeItem(i, select);
      options.expand?.(i, out);
      return out;
    }),
  };
  if (skip + top < list.length) {
    const q = new URLSearchParams(req.query);
    q.set('$skip', String(skip + top));
    body['@odata.nextLink'] = `${req.baseUrl}${req.path}?${q.toString().replace(/%24/g, '$')}`;
  }
  return { status: 200, body };
}

export function listPlain(
  req: SimRequest,
  values: Array<Record<string, unknown>>,
  context: string,
  options: {
    /** Largest `$top` honoured (directory objects: 999 per List groups / List group members). */
    maxTop?: number;
    /** Add `@odata.count` (the total, every page). */
    count?: boolean;
  } = {},
): SimResponse {
  const top = Math.min(options.maxTop ?? 1000, Math.max(1, Number(req.query.get('$top') ?? 100) || 100));
  const skip = Math.max(0, Number(req.query.get('$skip') ?? 0) || 0);
  const body: Record<string, unknown> = {
    '@odata.context': `${req.baseUrl}/v1.0/$metadata#${context}`,
    ...(options.count ? { '@odata.count': values.length } : {}),
    value: values.slice(skip, skip + top),
  };
  if (skip + top < values.length) {
    const q = new URLSearchParams(req.query);
    q.set('$skip', String(skip + top));
    body['@odata.nextLink'] = `${req.baseUrl}${req.path}?${q.toString().replace(/%24/g, '$')}`;
  }
  return { status: 200, body };
}

/** If-Match check: a stale etag → 412 ErrorIrresolvableConflict (observed on Outlook resources). */
export function ifMatchFails(req: SimRequest, item: Item): SimResponse | undefined {
  const ifMatch = req.headers['if-match'];
  if (!ifMatch || ifMatch.trim() === '*') return undefined;
  const given = ifMatch.replace(/^W\//, '').replace(/"/g, '').trim();
  if (given === item.changeKey) return undefined;
  return {
    status: 412,
    body: {
      error: {
        code: 'ErrorIrresolvableConflict',
        message:
          'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
      },
    },
  };
}
