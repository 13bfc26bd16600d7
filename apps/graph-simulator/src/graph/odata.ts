import type { Item } from '../store/model';

const ODATA_TYPE: Record<Item['kind'], string> = {
  message: '#microsoft.graph.message',
  event: '#microsoft.graph.event',
  contact: '#microsoft.graph.contact',
  task: '#microsoft.graph.todoTask',
};

/** Properties Graph returns only when explicitly selected. */
const SELECT_ONLY = new Set(['internetMessageHeaders', 'attachments', 'singleValueExtendedProperties']);
const PARENT_FIELD: Record<Item['kind'], string | undefined> = {
  message: 'parentFolderId',
  event: undefined,
  contact: 'parentFolderId',
  task: undefined,
};

export function odataType(kind: Item['kind']): string {
  return ODATA_TYPE[kind];
}

export function etagOf(item: { changeKey: string }): string {
  return `W/"${item.changeKey}"`;
}

export function parseSelect(value: string | null): string[] | undefined {
  if (!value) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Graph JSON for an item; `id` and `@odata.etag` are always present, as in Graph. */
export function serializeItem(item: Item, select?: string[]): Record<string, unknown> {
  const full: Record<string, unknown> = {
    '@odata.etag': etagOf(item),
    id: item.id,
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
    changeKey: item.changeKey,
  };
  const parentField = PARENT_FIELD[item.kind];
  if (parentField) full[parentField] = item.parentId;
  if (item.kind === 'task') {
    delete full.changeKey; // todoTask has no changeKey property; its etag carries it
  }
  for (const [key, value] of Object.entries(item.fields)) {
    if (key.startsWith('_')) continue;
    if (SELECT_ONLY.has(key) && !select?.includes(key)) continue;
    full[key] = key === 'attachments' ? attachmentsMeta(value) : value;
  }
  // A subtype (eventMessage and its request/response kinds) names itself, as Graph does.
  if (typeof item.fields._odataType === 'string') full['@odata.type'] = item.fields._odataType;
  if (!select) return full;
  const out: Record<string, unknown> = { '@odata.etag': full['@odata.etag'], id: item.id };
  if (full['@odata.type']) out['@odata.type'] = full['@odata.type'];
  for (const key of select) if (key in full) out[key] = full[key];
  return out;
}

function attachmentsMeta(value: unknown): unknown {
  return Array.isArray(value) ? value : [];
}

type Predicate = (item: Item) => boolean;

const CLAUSE = /^\s*(\w+(?:\/\w+)?)\s+(eq|ne|ge|gt|le|lt)\s+(.+?)\s*$/i;

function literal(raw: string): string | boolean | number {
  if (/^'.*'$/.test(raw)) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw; // DateTimeOffset literals are unquoted
}

function compare(a: unknown, op: string, b: string | boolean | number): boolean {
  if (typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(b) && typeof a === 'string') {
    const x = Date.parse(a);
    const y = Date.parse(b);
    return cmp(x, op, y);
  }
  if (op === 'eq') return a === b;
  if (op === 'ne') return a !== b;
  return cmp(a as number, op, b as number);
}

function cmp(x: number | string, op: string, y: number | string): boolean {
  switch (op) {
    case 'ge':
      return x >= y;
    case 'gt':
      return x > y;
    case 'le':
      return x <= y;
    case 'lt':
      return x < y;
    case 'eq':
      return x === y;
    default:
      return x !== y;
  }
}

function fieldValue(item: Item, path: string): unknown {
  const [head, tail] = path.split('/');
  const value =
    head === 'id'
      ? item.id
      : head === 'createdDateTime'
        ? item.createdDateTime
        : head === 'lastModifiedDateTime'
          ? item.lastModifiedDateTime
          : item.fields[head ?? ''];
  return tail && value && typeof value === 'object' ? (value as Record<string, unknown>)[tail] : value;
}

/** A small `$filter` subset: `prop op literal` clauses joined by `and`. Returns an error message if unsupported. */
export function parseFilter(value: string | null): Predicate | { error: string } | undefined {
  if (!value) return undefined;
  const clauses = value.split(/\s+and\s+/i);
  const preds: Predicate[] = [];
  for (const clause of clauses) {
    const m = CLAUSE.exec(clause);
    if (!m) return { error: `Invalid filter clause: ${clause}` };
    const [, path = '', op = 'eq', raw = ''] = m;
    const lit = literal(raw);
    preds.push((item) => compare(fieldValue(item, path), op.toLowerCase(), lit));
  }
  return (item) => preds.every((p) => p(item));
}

export function parseOrderBy(value: string | null): ((a: Item, b: Item) => number) | undefined {
  if (!value) return undefined;
  const [field = '', dir = 'asc'] = value.trim().split(/\s+/);
  const sign = dir.toLowerCase() === 'desc' ? -1 : 1;
  return (a, b) => {
    const x = String(fieldValue(a, field) ?? '');
    const y = String(fieldValue(b, field) ?? '');
    return x < y ? -sign : x > y ? sign : 0;
  };
}

/** `Prefer: odata.maxpagesize=N` (Microsoft Graph "Paging"); returns N or undefined. */
export function preferMaxPageSize(prefer: string | undefined): number | undefined {
  const m = prefer ? /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer) : null;
  return m ? Math.max(1, Number(m[1])) : undefined;
}

export function preferImmutableId(prefer: string | undefined): boolean {
  return !!prefer && /IdType\s*=\s*"?ImmutableId"?/i.test(prefer);
}
