import { createHash } from 'node:crypto';
import type { Prisma } from '@syncfleet/db';
import { findTrackingToken } from '../tracking-token';
import type { ParsedMessage } from './message';

type Tx = Prisma.TransactionClient;

export type CorrelationMethod =
  'in-reply-to' | 'references' | 'tracking-token' | 'conversation' | 'smart-match';

export interface Correlation {
  method: CorrelationMethod;
  /** The email activity this message answers or continues. */
  parentId: string;
  regardingType: string | null;
  regardingId: string | null;
}

export interface CorrelationSettings {
  trackingTokenPrefix: string;
  smartMatching: boolean;
}

/** Reply/forward prefixes in the languages Outlook commonly writes (RE, FW, FWD, AW, WG, TR, SV, VS). */
const PREFIX = /^\s*(?:re|fw|fwd|aw|wg|tr|sv|vs|antw|rif)\s*(?:\[\d+\])?\s*[:：]\s*/i;

/** Subject words for smart matching: reply prefixes and tracking tokens stripped, lower-cased. */
export function normalizeSubject(subject: string, trackingTokenPrefix: string): string[] {
  let s = subject;
  for (let previous = ''; previous !== s;) {
    previous = s;
    s = s.replace(PREFIX, '');
  }
  const token = findTrackingToken(s, trackingTokenPrefix);
  if (token) s = s.split(new RegExp(token.replace(':', '\\s*:\\s*'), 'ig')).join(' ');
  return s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Smart matching key: subject words + every address on the message (sender included, so a reply,
 * which swaps sender and recipient, keeps the same set), sorted and de-duplicated.
 */
export function smartMatchHash(message: ParsedMessage, trackingTokenPrefix: string): string | null {
  const words = normalizeSubject(message.subject, trackingTokenPrefix);
  const addresses = [message.from, ...message.to, ...message.cc]
    .filter((p) => p !== null)
    .map((p) => p.address.toLowerCase());
  if (words.length === 0 || addresses.length === 0) return null;
  const key = `${words.join(' ')}\n${[...new Set(addresses)].sort().join(',')}`;
  return createHash('sha256').update(key).digest('hex');
}

const PARENT = { id: true, regardingType: true, regardingId: true } as const;
type Parent = { id: string; regardingType: string | null; regardingId: string | null };

/** Another activity than this message's own (outgoing ones may not have a Message-ID yet). */
const notSelf = (self: string) => ({
  OR: [{ internetMessageId: null }, { internetMessageId: { not: self } }],
});

const found = (method: CorrelationMethod, p: Parent): Correlation => ({
  method,
  parentId: p.id,
  regardingType: p.regardingType,
  regardingId: p.regardingId,
});

/**
 * Correlation order (docs/dynamics-server-side-sync.md#correlation): In-Reply-To, then References
 * (newest first), then the tracking token in the subject, then the conversation, then (optional)
 * smart matching. Reads through `tx`, so a reply later in the same page finds an original promoted
 * earlier in it.
 */
export async function correlate(
  tx: Tx,
  message: ParsedMessage,
  settings: CorrelationSettings,
  hash: string | null,
): Promise<Correlation | null> {
  const self = message.internetMessageId;
  const threadIds = [message.inReplyTo, ...[...message.references].reverse()].filter(
    (id): id is string => !!id && id !== self,
  );
  if (threadIds.length > 0) {
    const rows = await tx.emailActivity.findMany({
      where: { internetMessageId: { in: [...new Set(threadIds)] } },
      select: { ...PARENT, internetMessageId: true },
    });
    for (const id of threadIds) {
      const row = rows.find((r) => r.internetMessageId === id);
      if (row) return found(id === message.inReplyTo ? 'in-reply-to' : 'references', row);
    }
  }
  const token = findTrackingToken(message.subject, settings.trackingTokenPrefix);
  if (token) {
    const row = await tx.emailActivity.findFirst({
      where: { trackingToken: token, ...notSelf(self) },
      // The email the app sent with this token first; a later incoming one shares its regarding.
      orderBy: [{ direction: 'desc' }, { createdAt: 'asc' }],
      select: PARENT,
    });
    if (row) return found('tracking-token', row);
  }
  if (message.conversationId) {
    const row = await tx.emailActivity.findFirst({
      where: { conversationId: message.conversationId, ...notSelf(self) },
      orderBy: { createdAt: 'asc' },
      select: PARENT,
    });
    if (row) return found('conversation', row);
  }
  if (settings.smartMatching && hash) {
    const row = await tx.emailActivity.findFirst({
      where: { smartMatchHash: hash, ...notSelf(self) },
      orderBy: { createdAt: 'desc' },
      select: PARENT,
    });
    if (row) return found('smart-match', row);
  }
  return null;
}
