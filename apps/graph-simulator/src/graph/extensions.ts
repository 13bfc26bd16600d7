import { graphError } from '../http/errors';
import type { SimResponse } from '../http/types';
import type { Item } from '../store/model';

/**
 * Single-value extended properties and open extensions on contacts and To Do tasks — the markers
 * ACT reads back to find an item it created before a crash.
 *
 * - Single-value extended properties ("Create single-value extended property",
 *   https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-post-singlevalueextendedproperties):
 *   written with the item (POST or PATCH body `singleValueExtendedProperties: [{ id, value }]`);
 *   "Get singleValueLegacyExtendedProperty"
 *   (https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get): returned only
 *   through `$expand=singleValueExtendedProperties($filter=id eq '{id}')` ("currently the only way to
 *   get the singleValueLegacyExtendedProperty object"), and items having one are found with
 *   `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '{id}' and ep/value eq '{value}')`, whose
 *   response "does not include the extended property". The name in the id is case-sensitive; the
 *   value comparison is case-insensitive.
 * - Open extensions ("Create open extension",
 *   https://learn.microsoft.com/graph/api/opentypeextension-post-opentypeextension): created with a
 *   new todoTask in the same POST (`extensions: [{ "@odata.type": "microsoft.graph.openTypeExtension",
 *   extensionName, ...data }]`), read with `$expand=extensions($filter=id eq '{name}')`
 *   ("Get open extension", https://learn.microsoft.com/graph/api/opentypeextension-get).
 */

const SVEP = '_singleValueExtendedProperties';
const EXTENSIONS = '_extensions';

type Svep = Record<string, string>;

/** Moves `singleValueExtendedProperties` of a POST/PATCH body into the item's hidden store. */
export function takeExtendedProperties(
  input: Record<string, unknown>,
  existing?: Item,
): Record<string, unknown> | SimResponse {
  const list = input.singleValueExtendedProperties;
  if (list === undefined) return input;
  if (!Array.isArray(list)) {
    return graphError(400, 'ErrorInvalidRequest', 'singleValueExtendedProperties must be a collection.');
  }
  const merged: Svep = { ...((existing?.fields[SVEP] as Svep | undefined) ?? {}) };
  for (const p of list as Array<{ id?: unknown; value?: unknown }>) {
    if (typeof p?.id !== 'string' || typeof p.value !== 'string') {
      return graphError(400, 'ErrorInvalidProperty', 'An extended property needs a string id and value.');
    }
    merged[p.id] = p.value;
  }
  const { singleValueExtendedProperties: _drop, ...rest } = input;
  return { ...rest, [SVEP]: merged };
}

/** Moves open extensions of a new item's POST body into its hidden store. */
export function takeOpenExtensions(input: Record<string, unknown>): Record<string, unknown> | SimResponse {
  const list = input.extensions;
  if (list === undefined) return input;
  if (!Array.isArray(list)) return graphError(400, 'ErrorInvalidRequest', 'extensions must be a collection.');
  const store: Record<string, Record<string, unknown>> = {};
  for (const raw of list as Array<Record<string, unknown>>) {
    const { '@odata.type': type, extensionName, ...data } = raw ?? {};
    if (type !== 'microsoft.graph.openTypeExtension' && type !== '#microsoft.graph.openTypeExtension') {
      return graphError(
        400,
        'invalidRequest',
        "An open extension needs '@odata.type': 'microsoft.graph.openTypeExtension'.",
      );
    }
    if (typeof extensionName !== 'string' || !extensionName) {
      return graphError(400, 'invalidRequest', 'An open extension needs an extensionName.');
    }
    store[extensionName] = data;
  }
  const { extensions: _drop, ...rest } = input;
  return { ...rest, [EXTENSIONS]: store };
}

export function openExtensionJson(name: string, data: Record<string, unknown>): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.openTypeExtension', id: name, extensionName: name, ...data };
}

const EXPAND = /^(singleValueExtendedProperties|extensions)\(\$filter=id eq '([^']+)'\)$/i;

/** `$expand=singleValueExtendedProperties($filter=id eq '…')` or `$expand=extensions($filter=id eq '…')`. */
export function expansionOf(
  expand: string | null,
): ((item: Item, json: Record<string, unknown>) => void) | undefined {
  const m = expand ? EXPAND.exec(expand.trim()) : null;
  if (!m) return undefined;
  const [, what = '', id = ''] = m;
  if (what.toLowerCase() === 'extensions') {
    return (item, json) => {
      const data = (item.fields[EXTENSIONS] as Record<string, Record<string, unknown>> | undefined)?.[id];
      json.extensions = data ? [openExtensionJson(id, data)] : [];
    };
  }
  return (item, json) => {
    const value = (item.fields[SVEP] as Svep | undefined)?.[id];
    if (value !== undefined) json.singleValueExtendedProperties = [{ id, value }];
  };
}

const ANY =
  /^singleValueExtendedProperties\/Any\(\s*(\w+)\s*:\s*\1\/id eq '([^']+)' and \1\/value eq '((?:[^']|'')*)'\s*\)$/i;

/**
 * `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`: the items
 * having that property with that value. Undefined when the filter is something else.
 */
export function extendedPropertyFilter(filter: string | null): ((item: Item) => boolean) | undefined {
  const m = filter ? ANY.exec(filter.trim()) : null;
  if (!m) return undefined;
  const id = m[2] ?? '';
  const value = (m[3] ?? '').replace(/''/g, "'").toLowerCase();
  return (item) => (item.fields[SVEP] as Svep | undefined)?.[id]?.toLowerCase() === value;
}
