import { inbound } from './admin/inbound';
import type { DeliveryLog } from './graph/deliveries';
import type { Mailbox } from './store/model';
import type { Store } from './store/store';

export type Traffic = ReturnType<typeof createTraffic>;

/** mulberry32: a tiny seeded PRNG so generated traffic is reproducible. */
function prng(seed: string): () => number {
  let a = [...seed].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, 0x9e3779b9);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = [
  'Invoice',
  'Meeting notes',
  'Quarterly report',
  'Lunch?',
  'Re: Proposal',
  'Shipping update',
];

/** Share of generated mail that comes from people the mailboxes already correspond with. */
const CORRESPONDENT_SHARE = 0.3;
/** An external recipient answers mail sent to it after 3–10 s. */
const REPLY_DELAY_MS = [3_000, 10_000] as const;

/**
 * Demo/benchmark traffic: mail arriving across user mailboxes at N messages/s, and users editing
 * items (mark read, move to Archive, delete) at M edits/s. Ticks every 100 ms. Like real mail:
 * - part of it comes from known correspondents: the outside senders of the mail already in the
 *   tenant (the seed's), the rest from random outside senders;
 * - every outside recipient of mail a user mailbox sent (the delivery log) answers it a few
 *   seconds later, threaded with In-Reply-To/References and "RE: <subject>" — so replies to mail
 *   an application sent arrive the way they would from a person's mail client.
 */
export function createTraffic(deps: {
  store: Store;
  log: (line: string) => void;
  seed?: string;
  deliveries?: DeliveryLog;
}) {
  const random = prng(deps.seed ?? 'traffic');
  let timer: NodeJS.Timeout | undefined;
  let carryMail = 0;
  let carryEdits = 0;
  let deliveriesSeen = 0;
  const replies: { at: number; mailbox: Mailbox; from: string; subject: string; inReplyTo: string }[] = [];

  /** Outside senders of the mail the user mailboxes hold now. */
  const correspondents = (population: Mailbox[]): string[] => {
    const out = new Set<string>();
    for (const mb of population) {
      const inbox = deps.store.container(mb, 'inbox', 'mailFolder');
      for (const item of inbox ? deps.store.itemsIn(mb, inbox.id) : []) {
        const address = (item.fields.from as { emailAddress?: { address?: string } } | undefined)
          ?.emailAddress?.address;
        if (address && !deps.store.findMailbox(address.toLowerCase())) out.add(address.toLowerCase());
      }
    }
    return [...out].sort();
  };

  /** Schedules an answer from every outside recipient of mail sent since the last look. */
  function scheduleReplies(now: number): void {
    const log = deps.deliveries;
    if (!log) return;
    // The log is capped (oldest entries dropped): never look past its end.
    deliveriesSeen = Math.min(deliveriesSeen, log.entries.length);
    for (; deliveriesSeen < log.entries.length; deliveriesSeen++) {
      const sent = log.entries[deliveriesSeen]!;
      const mailbox = deps.store.findMailbox(sent.from.toLowerCase());
      if (!mailbox || mailbox.kind !== 'user') continue;
      for (const to of sent.to) {
        if (deps.store.findMailbox(to)) continue;
        const [min, max] = REPLY_DELAY_MS;
        replies.push({
          at: now + min + Math.floor(random() * (max - min)),
          mailbox,
          from: to,
          subject: /^re:/i.test(sent.subject) ? sent.subject : `RE: ${sent.subject}`,
          inReplyTo: sent.internetMessageId,
        });
      }
    }
  }

  function sendDueReplies(now: number): void {
    for (let i = replies.length - 1; i >= 0; i--) {
      const reply = replies[i]!;
      if (reply.at > now) continue;
      replies.splice(i, 1);
      inbound(deps.store, reply.mailbox, {
        from: reply.from,
        subject: reply.subject,
        body: 'Thanks for your message — generated reply from the Graph simulator traffic generator.',
        inReplyTo: reply.inReplyTo,
        references: reply.inReplyTo,
      });
    }
  }

  const users = (): Mailbox[] => {
    const out: Mailbox[] = [];
    for (const [key, mb] of deps.store.mailboxes) if (key === mb.address && mb.kind === 'user') out.push(mb);
    return out;
  };
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(random() * list.length)];

  function edit(mailbox: Mailbox): void {
    const inbox = deps.store.container(mailbox, 'inbox', 'mailFolder');
    const item = inbox ? pick(deps.store.itemsIn(mailbox, inbox.id)) : undefined;
    if (!item) return;
    const roll = random();
    if (roll < 0.6) deps.store.updateItem(mailbox, item, { isRead: !item.fields.isRead });
    else if (roll < 0.85) {
      const archive = deps.store.container(mailbox, 'archive', 'mailFolder');
      if (archive) deps.store.moveItem(mailbox, item, archive.id, false);
    } else deps.store.deleteItem(mailbox, item);
  }

  function start(messagesPerSecond: number, editsPerSecond: number): void {
    stop();
    if (messagesPerSecond <= 0 && editsPerSecond <= 0) return;
    let population = users();
    let known = correspondents(population);
    deliveriesSeen = deps.deliveries?.entries.length ?? 0;
    let tick = 0;
    timer = setInterval(() => {
      if (++tick % 50 === 0) population = users();
      const now = Date.now();
      scheduleReplies(now);
      sendDueReplies(now);
      if (population.length === 0) return;
      if (known.length === 0 && tick % 50 === 0) known = correspondents(population);
      carryMail += messagesPerSecond / 10;
      carryEdits += editsPerSecond / 10;
      for (; carryMail >= 1; carryMail--) {
        const mb = pick(population);
        if (!mb) continue;
        const fromKnown = known.length > 0 && random() < CORRESPONDENT_SHARE;
        inbound(deps.store, mb, {
          from: fromKnown
            ? (pick(known) ?? 'sender0@fabrikam.test')
            : `sender${Math.floor(random() * 1000)}@fabrikam.test`,
          subject: `${pick(SUBJECTS) ?? 'Hello'} #${Math.floor(random() * 100_000)}`,
          body: 'Generated by the Graph simulator traffic generator.',
        });
      }
      for (; carryEdits >= 1; carryEdits--) {
        const mb = pick(population);
        if (mb) edit(mb);
      }
    }, 100);
    timer.unref();
    deps.log(
      `traffic: ${messagesPerSecond} messages/s (${Math.round(CORRESPONDENT_SHARE * 100)}% from ${known.length} known correspondents), ` +
        `${editsPerSecond} edits/s across ${population.length} mailboxes; outside recipients answer sent mail`,
    );
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
    replies.length = 0;
  }

  return { start, stop };
}
