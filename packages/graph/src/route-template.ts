/**
 * A Graph URL reduced to what may go into a span or a metric: its host and a route template.
 * Whatever could identify a person or carry a credential becomes `{id}` or goes: the user segment
 * (an object id or a UPN, i.e. an address), item ids (Outlook's base64 ids, GUIDs), key literals
 * (`mailFolders('Inbox')`) and the whole query string (delta and skip tokens, `$filter` values).
 * What stays are resource names Graph documents (`users`, `mailFolders`, `messages`, `delta`, …),
 * the API version and well-known names made of letters only.
 */
export function routeTemplate(url: string): { host: string; route: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { host: '', route: '{invalid-url}' };
  }
  const segments = parsed.pathname.split('/').filter(Boolean);
  const out = segments.map((segment, i) => {
    const decoded = safeDecode(segment);
    const previous = i > 0 ? safeDecode(segments[i - 1]!) : '';
    // The segment after a collection (users, messages, lists, …) is a key, unless it is a
    // function or a well-known folder name.
    if (/^[A-Za-z]+s$/.test(previous) && !AFTER_COLLECTION.has(decoded.toLowerCase())) {
      const call = /^([A-Za-z][A-Za-z.]{0,63})\(\)$/.exec(decoded);
      return call ? decoded : '{id}';
    }
    return templateSegment(decoded);
  });
  return { host: parsed.host, route: `/${out.join('/')}` };
}

/**
 * Well-known folder names (mailFolder resource type, "Use well-known folder names") and the
 * functions that follow a collection.
 */
const AFTER_COLLECTION = new Set([
  ...['archive', 'clutter', 'conflicts', 'conversationhistory', 'deleteditems', 'drafts', 'inbox'],
  ...['junkemail', 'localfailures', 'msgfolderroot', 'outbox', 'recoverableitemsdeletions'],
  ...['scheduled', 'searchfolders', 'sentitems', 'serverfailures', 'syncissues'],
  ...['delta', 'microsoft.graph.delta', '$count', '$ref'],
]);

const VERSION = /^(v\d+\.\d+|beta)$/;
/** A resource or function name: letters and dots (microsoft.graph.delta), not overly long. */
const NAME = /^[A-Za-z][A-Za-z.]{0,63}$/;

function templateSegment(segment: string): string {
  if (VERSION.test(segment) || NAME.test(segment) || /^\$[a-z]+$/.test(segment)) return segment;
  // name(...) — a key literal or function arguments: keep the name, hide the contents.
  const call = /^([A-Za-z][A-Za-z.]{0,63})\((.*)\)$/.exec(segment);
  if (call) return call[2] ? `${call[1]}({id})` : `${call[1]}()`;
  return '{id}';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
