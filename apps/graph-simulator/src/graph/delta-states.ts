import { randomBytes } from 'node:crypto';

/**
 * Where delta state tokens live. Outlook keeps them in a bounded internal cache: "the upper limit is
 * not fixed; it's dependent on the size of the internal delta token cache ... the older delta tokens
 * are deleted" ("Use delta query to track changes in Microsoft Graph data", Token duration). So a
 * state is dropped when its mailbox has too many newer ones, when it is older than the maximum age, or
 * when the whole cache is full (least recently used first).
 */
export interface StateLimits {
  maxStates: () => number;
  perMailbox: () => number;
  maxAgeMs: () => number;
  now: () => number;
}

interface Entry<S> {
  state: S;
  mailboxId: string;
  issuedAt: number;
}

export function createStateCache<S>(limits: StateLimits) {
  const entries = new Map<string, Entry<S>>();
  /** mailbox id → state ids in issue order (may hold ids already dropped: deleting twice is harmless). */
  const byMailbox = new Map<string, string[]>();

  function put(mailboxId: string, state: S): string {
    const id = randomBytes(12).toString('base64url');
    entries.set(id, { state, mailboxId, issuedAt: limits.now() });
    let ids = byMailbox.get(mailboxId);
    if (!ids) byMailbox.set(mailboxId, (ids = []));
    ids.push(id);
    while (ids.length > limits.perMailbox()) {
      const oldest = ids.shift();
      if (oldest !== undefined) entries.delete(oldest);
    }
    while (entries.size > limits.maxStates()) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
    return id;
  }

  function get(id: string, mailboxId: string): S | undefined {
    const entry = entries.get(id);
    if (!entry || entry.mailboxId !== mailboxId) return undefined;
    entries.delete(id);
    if (limits.now() - entry.issuedAt > limits.maxAgeMs()) return undefined;
    entries.set(id, entry); // LRU touch (the age still counts from issue)
    return entry.state;
  }

  function evict(mailboxId?: string, keep?: (state: S) => boolean): number {
    let n = 0;
    for (const [id, entry] of entries) {
      if (mailboxId && entry.mailboxId !== mailboxId) continue;
      if (keep?.(entry.state)) continue;
      entries.delete(id);
      n++;
    }
    if (!mailboxId) byMailbox.clear();
    return n;
  }

  function states(mailboxId: string): S[] {
    return [...entries.values()].filter((e) => e.mailboxId === mailboxId).map((e) => e.state);
  }

  return { put, get, evict, states, size: () => entries.size };
}
