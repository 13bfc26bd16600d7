import type { Item, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import { materialiseSeries } from './calendar-model';
import type { Delivery, DeliveryLog } from './deliveries';
import { domainOf, messageFields, newInternetMessageId, recipient } from './mail-model';

/**
 * Meeting messages as Exchange sends them for a calendar event with attendees ("event: create": "an
 * event with attendees … sends a meeting request to each attendee"; eventMessage resource —
 * https://learn.microsoft.com/graph/api/resources/eventmessage: "A message that represents a
 * meeting request, cancellation, or response (which can be one of the following: acceptance,
 * tentative acceptance, or decline)"; "event: accept / tentativelyAccept / decline" (sendResponse);
 * "event: cancel": "This action sends a cancellation message to all the attendees";
 * "event: delete" of a meeting by its organizer cancels it for the attendees):
 *
 * - an attendee who is a mailbox of the tenant gets an `eventMessage` (`#microsoft.graph.
 *   eventMessageRequest`, meetingMessageType `meetingRequest`) in their Inbox and the meeting,
 *   tentatively (`responseStatus.response` `notResponded`, showAs `tentative`), in their calendar
 *   with the organizer's `iCalUId`;
 * - every sending is logged once (`GET /_sim/deliveries`, via `meetingRequest`,
 *   `meetingCancellation` or `meetingResponse`), with the attendees outside the tenant in `to` — so
 *   what was sent to external addresses is visible;
 * - an update by the organizer goes to the current attendees (meetingRequest again); attendees
 *   removed get a cancellation; a cancellation marks the attendees' copies `isCancelled`;
 * - an attendee's response updates the organizer's attendee status and sends an
 *   `eventMessageResponse` (meetingAccepted / meetingTenativelyAccepted / meetingDeclined) to the
 *   organizer's Inbox.
 *
 * Delivery is immediate (Exchange's transport is asynchronous; mail's is modelled in transport.ts).
 */
export interface MeetingDeps {
  store: Store;
  deliveries: DeliveryLog;
}

type Attendee = { type?: string; status?: unknown; emailAddress: { address: string; name?: string } };

const attendeesOf = (event: Item): Attendee[] => (event.fields.attendees as Attendee[] | undefined) ?? [];
const addressOf = (a: Attendee) => a.emailAddress.address.toLowerCase();

/** The attendee's mailbox when it is a mailbox of the organizer's tenant. */
function internal(store: Store, organizer: Mailbox, address: string): Mailbox | undefined {
  const target = store.findMailbox(address);
  return target &&
    target.tenantId === organizer.tenantId &&
    store.isStorageMailbox(target) &&
    target.id !== organizer.id
    ? target
    : undefined;
}

/** The meeting (single instance or series master) with this iCalUId in a mailbox's calendar. */
export function meetingIn(store: Store, mailbox: Mailbox, iCalUId: unknown): Item | undefined {
  const calendar = store.container(mailbox, 'calendar', 'calendar');
  if (!calendar) return undefined;
  return store
    .itemsIn(mailbox, calendar.id)
    .find(
      (i) =>
        i.fields.iCalUId === iCalUId &&
        (i.fields.type === 'singleInstance' || i.fields.type === 'seriesMaster'),
    );
}

const MESSAGE_TYPES = {
  meetingRequest: '#microsoft.graph.eventMessageRequest',
  meetingCancelled: '#microsoft.graph.eventMessage',
  meetingAccepted: '#microsoft.graph.eventMessageResponse',
  meetingTenativelyAccepted: '#microsoft.graph.eventMessageResponse',
  meetingDeclined: '#microsoft.graph.eventMessageResponse',
} as const;
type MeetingMessageType = keyof typeof MESSAGE_TYPES;

/** Puts an eventMessage about `event` (the recipient's copy, when it has one) in the recipient's Inbox. */
function inboxMessage(
  deps: MeetingDeps,
  from: Mailbox,
  to: Mailbox,
  event: Item,
  recipientEvent: Item | undefined,
  type: MeetingMessageType,
  subject: string,
  internetMessageId: string,
  comment?: string,
): void {
  const inbox = deps.store.container(to, 'inbox', 'mailFolder');
  if (!inbox) return;
  const now = deps.store.stamp();
  const sender = recipient(from.address, from.displayName);
  deps.store.createItem(to, 'message', inbox.id, {
    ...messageFields({
      from: sender,
      sender,
      toRecipients: [recipient(to.address, to.displayName)],
      subject,
      body: { contentType: 'text', content: comment ?? '' },
      internetMessageId,
      conversationId: `AAQk${String(event.fields.iCalUId).slice(-40)}`,
      receivedDateTime: now,
      sentDateTime: now,
      isRead: false,
      isDraft: false,
      internetMessageHeaders: [
        { name: 'Message-ID', value: internetMessageId },
        {
          name: 'Content-Type',
          value:
            'text/calendar; method=' +
            (type === 'meetingRequest' ? 'REQUEST' : type === 'meetingCancelled' ? 'CANCEL' : 'REPLY'),
        },
      ],
      attachments: [],
      _odataType: MESSAGE_TYPES[type],
      _eventId: recipientEvent?.id,
    }),
    meetingMessageType: type,
    startDateTime: event.fields.start,
    endDateTime: event.fields.end,
    location: event.fields.location,
    type: event.fields.type,
    recurrence: event.fields.recurrence ?? null,
    isAllDay: event.fields.isAllDay,
    isOutOfDate: false,
    isDelegated: false,
    ...(type.startsWith('meeting') && MESSAGE_TYPES[type].endsWith('Response')
      ? {
          responseType:
            type === 'meetingAccepted'
              ? 'accepted'
              : type === 'meetingDeclined'
                ? 'declined'
                : 'tentativelyAccepted',
        }
      : { responseRequested: event.fields.responseRequested ?? true }),
  });
}

function logDelivery(
  deps: MeetingDeps,
  from: Mailbox,
  to: string[],
  subject: string,
  internetMessageId: string,
  via: Delivery['via'],
  deliveredTo: string[],
): void {
  deps.deliveries.add({
    internetMessageId,
    from: from.address,
    to,
    cc: [],
    bcc: [],
    subject,
    headers: { 'Message-ID': internetMessageId },
    deliveredAt: deps.store.stamp(),
    via,
    senderMailboxId: from.id,
    deliveredTo,
  });
}

/** The attendee's copy of the organizer's meeting: tentative, not yet answered. */
function copyFor(event: Item, previous: Item | undefined): Record<string, unknown> {
  const { _cancelledOccurrences, ...fields } = event.fields;
  return {
    ...fields,
    isOrganizer: false,
    showAs: previous ? previous.fields.showAs : 'tentative',
    responseStatus: previous
      ? previous.fields.responseStatus
      : { response: 'notResponded', time: '0001-01-01T00:00:00Z' },
    ...(_cancelledOccurrences ? { _cancelledOccurrences } : {}),
  };
}

/**
 * The organizer created or changed `event` (single instance or series master): every current
 * attendee gets a meeting request; those in `removed` a cancellation.
 */
export function sendMeetingRequests(
  deps: MeetingDeps,
  organizer: Mailbox,
  event: Item,
  removed: string[] = [],
): void {
  const attendees = attendeesOf(event);
  if (attendees.length > 0) {
    const internetMessageId = newInternetMessageId(deps.store, domainOf(organizer.address));
    const subject = String(event.fields.subject ?? '');
    const deliveredTo: string[] = [];
    for (const a of attendees) {
      const target = internal(deps.store, organizer, addressOf(a));
      if (!target) continue;
      const calendar = deps.store.container(target, 'calendar', 'calendar');
      if (!calendar) continue;
      const previous = meetingIn(deps.store, target, event.fields.iCalUId);
      let copy: Item;
      if (previous) copy = deps.store.updateItem(target, previous, copyFor(event, previous));
      else copy = deps.store.createItem(target, 'event', calendar.id, copyFor(event, undefined));
      if (copy.fields.type === 'seriesMaster') materialiseSeries(deps.store, target, copy);
      inboxMessage(deps, organizer, target, event, copy, 'meetingRequest', subject, internetMessageId);
      deliveredTo.push(target.id);
    }
    logDelivery(
      deps,
      organizer,
      attendees.map(addressOf),
      subject,
      internetMessageId,
      'meetingRequest',
      deliveredTo,
    );
  }
  if (removed.length > 0) sendCancellation(deps, organizer, event, removed);
}

/** Cancels the meeting for `addresses` (default: every attendee). */
export function sendCancellation(
  deps: MeetingDeps,
  organizer: Mailbox,
  event: Item,
  addresses?: string[],
  comment?: string,
): void {
  const to = addresses ?? attendeesOf(event).map(addressOf);
  if (to.length === 0) return;
  const internetMessageId = newInternetMessageId(deps.store, domainOf(organizer.address));
  const subject = `Canceled: ${String(event.fields.subject ?? '')}`;
  const deliveredTo: string[] = [];
  for (const address of to) {
    const target = internal(deps.store, organizer, address);
    if (!target) continue;
    const copy = meetingIn(deps.store, target, event.fields.iCalUId);
    if (copy) {
      deps.store.updateItem(target, copy, { isCancelled: true });
      if (copy.fields.type === 'seriesMaster') {
        for (const item of deps.store.itemsIn(target, copy.parentId)) {
          if (item.fields.seriesMasterId === copy.id)
            deps.store.updateItem(target, item, { isCancelled: true });
        }
      }
    }
    inboxMessage(
      deps,
      organizer,
      target,
      event,
      copy,
      'meetingCancelled',
      subject,
      internetMessageId,
      comment,
    );
    deliveredTo.push(target.id);
  }
  logDelivery(deps, organizer, to, subject, internetMessageId, 'meetingCancellation', deliveredTo);
}

export type MeetingResponse = 'accepted' | 'tentativelyAccepted' | 'declined';

/** An attendee answers: their copy, the organizer's attendee status, and (sendResponse) a reply. */
export function respond(
  deps: MeetingDeps,
  attendee: Mailbox,
  copy: Item,
  response: MeetingResponse,
  sendResponse: boolean,
  comment?: string,
): void {
  const time = deps.store.stamp();
  deps.store.updateItem(attendee, copy, {
    responseStatus: { response, time },
    showAs: response === 'declined' ? 'free' : response === 'accepted' ? 'busy' : 'tentative',
  });
  const organizerAddress = (copy.fields.organizer as { emailAddress?: { address?: string } } | undefined)
    ?.emailAddress?.address;
  if (!sendResponse || !organizerAddress) return;
  const organizer = deps.store.findMailbox(organizerAddress);
  const internetMessageId = newInternetMessageId(deps.store, domainOf(attendee.address));
  const label = response === 'accepted' ? 'Accepted' : response === 'declined' ? 'Declined' : 'Tentative';
  const subject = `${label}: ${String(copy.fields.subject ?? '')}`;
  const deliveredTo: string[] = [];
  if (organizer && organizer.tenantId === attendee.tenantId && deps.store.isStorageMailbox(organizer)) {
    const event = meetingIn(deps.store, organizer, copy.fields.iCalUId);
    if (event) {
      const attendees = attendeesOf(event).map((a) =>
        addressOf(a) === attendee.address ? { ...a, status: { response, time } } : a,
      );
      deps.store.updateItem(organizer, event, { attendees });
      if (event.fields.type === 'seriesMaster') materialiseSeries(deps.store, organizer, event);
    }
    const type: MeetingMessageType =
      response === 'accepted'
        ? 'meetingAccepted'
        : response === 'declined'
          ? 'meetingDeclined'
          : 'meetingTenativelyAccepted';
    inboxMessage(deps, attendee, organizer, copy, event, type, subject, internetMessageId, comment);
    deliveredTo.push(organizer.id);
  }
  logDelivery(
    deps,
    attendee,
    [organizerAddress.toLowerCase()],
    subject,
    internetMessageId,
    'meetingResponse',
    deliveredTo,
  );
}

/** What an attendee's copy of an occurrence takes from the organizer's changed occurrence. */
const OCCURRENCE_FIELDS = [
  'subject',
  'body',
  'bodyPreview',
  'location',
  'start',
  'end',
  'isAllDay',
  '_startMs',
  '_endMs',
];

/**
 * The organizer changed (or cancelled) one occurrence of a series: each attendee of the tenant gets
 * a meeting request (or cancellation) for that occurrence, and their copy of it becomes an
 * exception with the change (or is marked cancelled); the sending is logged once.
 */
export function sendOccurrenceChange(
  deps: MeetingDeps,
  organizer: Mailbox,
  master: Item,
  occurrence: Item,
  cancelled: boolean,
): void {
  const attendees = attendeesOf(master);
  if (attendees.length === 0) return;
  const internetMessageId = newInternetMessageId(deps.store, domainOf(organizer.address));
  const subject = `${cancelled ? 'Canceled: ' : ''}${String(occurrence.fields.subject ?? '')}`;
  const deliveredTo: string[] = [];
  const changed = Object.fromEntries(OCCURRENCE_FIELDS.map((k) => [k, occurrence.fields[k]]));
  for (const a of attendees) {
    const target = internal(deps.store, organizer, addressOf(a));
    if (!target) continue;
    const copyMaster = meetingIn(deps.store, target, master.fields.iCalUId);
    let copy: Item | undefined;
    if (copyMaster) {
      copy = deps.store
        .itemsIn(target, copyMaster.parentId)
        .find(
          (i) =>
            i.fields.seriesMasterId === copyMaster.id &&
            i.fields.originalStart === occurrence.fields.originalStart,
        );
      // Either way it is the attendee's exception now: a later regeneration of the series keeps it.
      const patch = cancelled ? { type: 'exception', isCancelled: true } : { ...changed, type: 'exception' };
      if (copy) copy = deps.store.updateItem(target, copy, patch);
    }
    inboxMessage(
      deps,
      organizer,
      target,
      occurrence,
      copy,
      cancelled ? 'meetingCancelled' : 'meetingRequest',
      subject,
      internetMessageId,
    );
    deliveredTo.push(target.id);
  }
  logDelivery(
    deps,
    organizer,
    attendees.map(addressOf),
    subject,
    internetMessageId,
    cancelled ? 'meetingCancellation' : 'meetingRequest',
    deliveredTo,
  );
}
