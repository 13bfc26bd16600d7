import type { Contact, ContactEmail, Task } from '@syncfleet/db';

/**
 * The synced fields of each entity, in one canonical JSON shape both sides are converted to: the
 * application record (`fromApp`) and the Graph item (`fromGraph`) become the same kind of object,
 * so a cycle compares them field by field against the values both sides last agreed on.
 * Graph shapes: contact (https://learn.microsoft.com/graph/api/resources/contact) and todoTask
 * (https://learn.microsoft.com/graph/api/resources/todotask).
 */
export type ActKind = 'contact' | 'task';
export type FieldValue = string | null | string[] | EmailEntry[] | Address;
export type Fields = Record<string, FieldValue>;

export interface EmailEntry {
  address: string;
  name: string | null;
}
export interface Address {
  street: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
  countryOrRegion: string | null;
}

/** Synchronization direction of a field (Dynamics "synchronization fields"). */
export type Direction = 'TwoWay' | 'ToExchange' | 'ToApp' | 'None';

export const CONTACT_FIELDS = [
  'displayName',
  'givenName',
  'middleName',
  'surname',
  'emailAddresses',
  'businessPhones',
  'homePhones',
  'mobilePhone',
  'companyName',
  'jobTitle',
  'department',
  'businessAddress',
  'categories',
  'notes',
] as const;

/** completedAt is not merged on its own: it follows the merged status (see merge.ts). */
export const TASK_FIELDS = [
  'subject',
  'body',
  'status',
  'importance',
  'startAt',
  'dueAt',
  'reminderAt',
  'categories',
  'completedAt',
] as const;

export const FIELDS: Record<ActKind, readonly string[]> = { contact: CONTACT_FIELDS, task: TASK_FIELDS };

/** Default directions: everything two-way (docs/act-sync.md#direction-map). */
export function defaultDirections(kind: ActKind): Record<string, Direction> {
  return Object.fromEntries(FIELDS[kind].map((f) => [f, 'TwoWay' as Direction]));
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];

function address(v: unknown): Address | null {
  if (!v || typeof v !== 'object') return null;
  const a = v as Record<string, unknown>;
  const out: Address = {
    street: str(a.street),
    city: str(a.city),
    state: str(a.state),
    postalCode: str(a.postalCode),
    countryOrRegion: str(a.countryOrRegion),
  };
  return Object.values(out).some((x) => x !== null) ? out : null;
}

function emails(v: unknown): EmailEntry[] {
  if (!Array.isArray(v)) return [];
  return v
    .map((e) => (e && typeof e === 'object' ? (e as Record<string, unknown>) : {}))
    .filter((e) => typeof e.address === 'string' && e.address !== '')
    .slice(0, 3)
    .map((e) => ({ address: (e.address as string).toLowerCase(), name: str(e.name) }));
}

export type ContactWithEmails = Contact & { emails: ContactEmail[] };

export function contactFromApp(c: ContactWithEmails): Fields {
  return {
    displayName: str(c.fullName),
    givenName: c.givenName,
    middleName: c.middleName,
    surname: c.surname,
    emailAddresses: [...c.emails]
      .sort((a, b) => a.position - b.position)
      .map((e) => ({ address: e.address, name: e.name })),
    businessPhones: strings(c.businessPhones),
    homePhones: strings(c.homePhones),
    mobilePhone: c.mobilePhone,
    companyName: c.accountName,
    jobTitle: c.jobTitle,
    department: c.department,
    businessAddress: address(c.businessAddress),
    categories: strings(c.categories),
    notes: c.notes,
  };
}

export function contactFromGraph(item: Record<string, unknown>): Fields {
  return {
    displayName: str(item.displayName),
    givenName: str(item.givenName),
    middleName: str(item.middleName),
    surname: str(item.surname),
    emailAddresses: emails(item.emailAddresses),
    businessPhones: strings(item.businessPhones),
    homePhones: strings(item.homePhones),
    mobilePhone: str(item.mobilePhone),
    companyName: str(item.companyName),
    jobTitle: str(item.jobTitle),
    department: str(item.department),
    businessAddress: address(item.businessAddress),
    categories: strings(item.categories),
    notes: str(item.personalNotes),
  };
}

/** The Graph body for the given canonical contact fields (only those present). */
export function contactToGraph(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'notes') out.personalNotes = v ?? '';
    else if (k === 'businessAddress') out.businessAddress = v ?? {};
    else if (k === 'emailAddresses') out.emailAddresses = v ?? [];
    else out[k] = v;
  }
  return out;
}

/** Prisma data for the given canonical contact fields (emails are written separately). */
export function contactToApp(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'displayName') out.fullName = (v as string | null) ?? '';
    else if (k === 'companyName') out.accountName = v;
    else if (k === 'emailAddresses') continue;
    else out[k] = v;
  }
  return out;
}

// --- tasks --------------------------------------------------------------------------------------

const STATUS_TO_GRAPH: Record<string, string> = {
  NotStarted: 'notStarted',
  InProgress: 'inProgress',
  Completed: 'completed',
  WaitingOnOthers: 'waitingOnOthers',
  Deferred: 'deferred',
};
const STATUS_FROM_GRAPH = Object.fromEntries(Object.entries(STATUS_TO_GRAPH).map(([a, g]) => [g, a]));
const IMPORTANCE_FROM_GRAPH: Record<string, string> = { low: 'Low', normal: 'Normal', high: 'High' };

/** dateTimeTimeZone in UTC (we always write UTC) → ISO instant, to the millisecond. */
function fromDateTimeTimeZone(v: unknown): string | null {
  const d = v as { dateTime?: string; timeZone?: string } | null | undefined;
  if (!d?.dateTime) return null;
  const zone = (d.timeZone ?? 'UTC').toUpperCase();
  if (zone !== 'UTC' && zone !== 'ETC/UTC') return null;
  const text = /[zZ]|[+-]\d\d:\d\d$/.test(d.dateTime) ? d.dateTime : `${d.dateTime}Z`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function toDateTimeTimeZone(iso: FieldValue): { dateTime: string; timeZone: string } | null {
  return typeof iso === 'string' ? { dateTime: iso.replace('Z', ''), timeZone: 'UTC' } : null;
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function taskFromApp(t: Task): Fields {
  return {
    subject: t.subject,
    body: t.body,
    status: t.status,
    importance: t.importance,
    startAt: iso(t.startAt),
    dueAt: iso(t.dueAt),
    reminderAt: iso(t.reminderAt),
    categories: strings(t.categories),
    completedAt: iso(t.completedAt),
  };
}

export function taskFromGraph(item: Record<string, unknown>): Fields {
  const body = item.body as { content?: string } | undefined;
  return {
    subject: typeof item.title === 'string' ? item.title : '',
    body: str(body?.content),
    status: STATUS_FROM_GRAPH[String(item.status)] ?? 'NotStarted',
    importance: IMPORTANCE_FROM_GRAPH[String(item.importance)] ?? 'Normal',
    startAt: fromDateTimeTimeZone(item.startDateTime),
    dueAt: fromDateTimeTimeZone(item.dueDateTime),
    reminderAt: item.isReminderOn === false ? null : fromDateTimeTimeZone(item.reminderDateTime),
    categories: strings(item.categories),
    completedAt: fromDateTimeTimeZone(item.completedDateTime),
  };
}

export function taskToGraph(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'subject') out.title = v ?? '';
    else if (k === 'body') out.body = { content: v ?? '', contentType: 'text' };
    else if (k === 'status') out.status = STATUS_TO_GRAPH[v as string] ?? 'notStarted';
    else if (k === 'importance') out.importance = String(v ?? 'Normal').toLowerCase();
    else if (k === 'startAt') out.startDateTime = toDateTimeTimeZone(v);
    else if (k === 'dueAt') out.dueDateTime = toDateTimeTimeZone(v);
    else if (k === 'reminderAt') {
      out.reminderDateTime = toDateTimeTimeZone(v);
      out.isReminderOn = v !== null;
    } else if (k === 'completedAt') out.completedDateTime = toDateTimeTimeZone(v);
    else out[k] = v;
  }
  return out;
}

export function taskToApp(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const date = (v: FieldValue) => (typeof v === 'string' ? new Date(v) : null);
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'startAt' || k === 'dueAt' || k === 'reminderAt' || k === 'completedAt') out[k] = date(v);
    else if (k === 'subject') out.subject = (v as string | null) ?? '';
    else out[k] = v;
  }
  return out;
}

/** Deep equality of canonical values (JSON-shaped). */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
