import type { ActKind } from './fields';

/**
 * The markers ACT writes into every item it creates, carrying the application record's id, so an
 * item created just before a crash is found again instead of created twice:
 * - contacts: a single-value extended property (named property in our own GUID property set),
 *   "Create single-value extended property"
 *   (https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-post-singlevalueextendedproperties),
 *   found with `$filter=singleValueExtendedProperties/Any(ep: ep/id eq … and ep/value eq …)`
 *   ("Get singleValueLegacyExtendedProperty", https://learn.microsoft.com/graph/api/singlevaluelegacyextendedproperty-get);
 * - To Do tasks: extended properties on todoTask appear only in the beta documentation, so tasks
 *   carry an open extension created with the task in the same POST ("Create open extension",
 *   https://learn.microsoft.com/graph/api/opentypeextension-post-opentypeextension), read back
 *   through `$expand=extensions($filter=id eq '…')` on the tasks delta ("todoTask: delta" supports
 *   $expand, https://learn.microsoft.com/graph/api/todotask-delta).
 */
export const MARKER = {
  contactProperty: 'String {0d2f5c1e-7a4b-4e52-9b8e-5a7c3f1d2e60} Name SyncfleetRecordId',
  taskExtension: 'com.syncfleet.record',
} as const;

export const contactMarkerExpand = `singleValueExtendedProperties($filter=id eq '${MARKER.contactProperty}')`;
export const taskMarkerExpand = `extensions($filter=id eq '${MARKER.taskExtension}')`;

export function contactMarkerFilter(recordId: string): string {
  return `singleValueExtendedProperties/Any(ep: ep/id eq '${MARKER.contactProperty}' and ep/value eq '${recordId}')`;
}

/** The marker fields of a new item's POST body. */
export function markerBody(kind: ActKind, recordId: string): Record<string, unknown> {
  return kind === 'contact'
    ? { singleValueExtendedProperties: [{ id: MARKER.contactProperty, value: recordId }] }
    : {
        extensions: [
          {
            '@odata.type': 'microsoft.graph.openTypeExtension',
            extensionName: MARKER.taskExtension,
            recordId,
          },
        ],
      };
}

/** The record id an item carries, if it was created by Syncfleet (and expanded with its marker). */
export function markerOf(kind: ActKind, item: Record<string, unknown>): string | null {
  if (kind === 'contact') {
    const props = item.singleValueExtendedProperties as Array<{ id?: string; value?: string }> | undefined;
    return props?.find((p) => p.id === MARKER.contactProperty)?.value ?? null;
  }
  const exts = item.extensions as
    Array<{ id?: string; extensionName?: string; recordId?: unknown }> | undefined;
  const ext = exts?.find((e) => (e.extensionName ?? e.id) === MARKER.taskExtension);
  return typeof ext?.recordId === 'string' ? ext.recordId : null;
}
