/**
 * The Internet header Syncfleet stamps on every message it creates (value: the EmailActivity id),
 * so a sent message is recognised both when the outgoing workload looks for its own draft after a
 * crash and when the incoming workload meets it again. Custom headers must be named `x-…` and come
 * back only with `$select=internetMessageHeaders` (docs/microsoft-graph.md#internet-message-headers).
 */
export const SYNCFLEET_HEADER = 'x-syncfleet-id';
