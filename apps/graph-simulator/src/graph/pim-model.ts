import type { SimResponse } from '../http/types';
import { graphError } from '../http/errors';
import type { ContainerKind, Item, ItemKind, Mailbox } from '../store/model';
import type { Store } from '../store/store';
import { takeExtendedProperties, takeOpenExtensions } from './extensions';
import { recipient } from './mail-model';

export interface PimKind {
  kind: ItemKind;
  containerKind: ContainerKind;
  defaultContainer: string;
  /** Graph properties with defaults for a new item; returns an error response for invalid input. */
  build(
    store: Store,
    mailbox: Mailbox,
    input: Record<string, unknown>,
  ): Record<string, unknown> | SimResponse;
  /** Validates/normalises a PATCH (`existing`: the item patched, for properties merged by id). */
  patch(input: Record<string, unknown>, existing?: Item): Record<string, unknown> | SimResponse;
  context: string;
}

const TASK_STATUS = new Set(['notStarted', 'inProgress', 'completed', 'waitingOnOthers', 'deferred']);
const READ_ONLY = new Set([
  'id',
  'changeKey',
  'createdDateTime',
  'lastModifiedDateTime',
  '@odata.etag',
  '@odata.type',
]);

function writable(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!READ_ONLY.has(k) && !k.startsWith('_')) out[k] = v;
  return out;
}

export const eventKind: PimKind = {
  kind: 'event',
  containerKind: 'calendar',
  defaultContainer: 'calendar',
  context: 'users/events',
  build(store, mailbox, input) {
    const start = input.start as { dateTime?: string } | undefined;
    const end = input.end as { dateTime?: string } | undefined;
    if (!start?.dateTime || !end?.dateTime) {
      return graphError(400, 'ErrorInvalidRequest', 'Event start and end are required.');
    }
    return {
      subject: '',
      body: { contentType: 'html', content: '' },
      bodyPreview: '',
      importance: 'normal',
      sensitivity: 'normal',
      isAllDay: false,
      isCancelled: false,
      isOrganizer: true,
      showAs: 'busy',
      type: 'singleInstance',
      location: { displayName: '' },
      attendees: [],
      organizer: recipient(mailbox.address, mailbox.displayName),
      iCalUId: store.ids.next('040000008200E00074C5B7101A82E008', 112),
      categories: [],
      responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
      ...writable(input),
    };
  },
  patch: writable,
};

export const contactKind: PimKind = {
  kind: 'contact',
  containerKind: 'contactFolder',
  defaultContainer: 'contacts',
  context: 'users/contacts',
  build(_store, _mailbox, raw) {
    const input = takeExtendedProperties(writable(raw));
    if (isErrorResponse(input)) return input;
    return {
      displayName: [input.givenName, input.surname].filter(Boolean).join(' ') || null,
      middleName: null,
      department: null,
      businessAddress: {},
      personalNotes: '',
      givenName: null,
      surname: null,
      emailAddresses: [],
      businessPhones: [],
      homePhones: [],
      mobilePhone: null,
      companyName: null,
      jobTitle: null,
      categories: [],
      ...input,
    };
  },
  patch: (input, existing) => takeExtendedProperties(writable(input), existing),
};

function taskPatch(input: Record<string, unknown>): Record<string, unknown> | SimResponse {
  const out = writable(input);
  if (out.status !== undefined) {
    if (typeof out.status !== 'string' || !TASK_STATUS.has(out.status)) {
      return graphError(
        400,
        'invalidRequest',
        `Invalid value '${String(out.status)}' for property 'status'.`,
      );
    }
    // To Do stamps completedDateTime when a task is completed and clears it otherwise.
    if (out.completedDateTime === undefined) {
      out.completedDateTime =
        out.status === 'completed'
          ? { dateTime: new Date().toISOString().replace('Z', '0000'), timeZone: 'UTC' }
          : null;
    }
  }
  return out;
}

export const taskKind: PimKind = {
  kind: 'task',
  containerKind: 'todoList',
  defaultContainer: 'defaultList',
  context: 'users/todo/lists/tasks',
  build(_store, _mailbox, input) {
    const validated = taskPatch(input);
    if (isErrorResponse(validated)) return validated;
    const patch = takeOpenExtensions(validated);
    if (isErrorResponse(patch)) return patch;
    return {
      title: '',
      status: 'notStarted',
      importance: 'normal',
      isReminderOn: false,
      body: { content: '', contentType: 'text' },
      categories: [],
      completedDateTime: null,
      ...patch,
    };
  },
  patch: taskPatch,
};

export function isErrorResponse(value: unknown): value is SimResponse {
  const v = value as SimResponse;
  return !!v && typeof v.status === 'number' && v.status >= 400 && v.body !== undefined;
}
