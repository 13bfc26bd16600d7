import fs from 'node:fs';
import type { z } from 'zod';
import { inbound } from './admin/inbound';
import type { inboundInput } from './admin/schemas';
import { calendarEventKind } from './graph/calendar-model';
import { contactKind, isErrorResponse, taskKind } from './graph/pim-model';
import type { PimKind } from './graph/pim-model';
import type { GroupInput } from './store/groups';
import type { Mailbox, MailboxKind } from './store/model';
import type { Store } from './store/store';

export interface SeedMailbox {
  id?: string;
  address: string;
  userPrincipalName?: string;
  proxyAddresses?: string[];
  displayName?: string;
  kind?: MailboxKind;
  messages?: Array<z.input<typeof inboundInput>>;
  events?: Array<Record<string, unknown>>;
  contacts?: Array<Record<string, unknown>>;
  tasks?: Array<Record<string, unknown>>;
}

export interface SeedFile {
  /** Seeds the id generator: same seed file → same ids. */
  idSeed?: string;
  tenants: Array<{
    tenantId: string;
    /** `roles`: granted application permissions (default DEFAULT_APP_ROLES). */
    apps?: Array<{ clientId: string; clientSecret: string; roles?: string[] }>;
    mailboxes?: SeedMailbox[];
    /**
     * Directory groups, created after the mailboxes, in order: `members` names users (id, UPN or
     * address) and groups listed earlier (id or mail), so nested groups come first.
     */
    groups?: GroupInput[];
  }>;
}

export function loadSeed(seed: SeedFile | string): SeedFile {
  return typeof seed === 'string' ? (JSON.parse(fs.readFileSync(seed, 'utf8')) as SeedFile) : seed;
}

function addItems(
  store: Store,
  mailbox: Mailbox,
  kind: PimKind,
  items: Array<Record<string, unknown>> | undefined,
): void {
  const container = store.container(mailbox, kind.defaultContainer, kind.containerKind);
  if (!container) return;
  for (const input of items ?? []) {
    const fields = kind.build(store, mailbox, input);
    if (isErrorResponse(fields)) throw new Error(`seed: invalid ${kind.kind} for ${mailbox.address}`);
    store.createItem(mailbox, kind.kind, container.id, fields as Record<string, unknown>);
  }
}

export function applySeed(store: Store, seed: SeedFile): void {
  for (const t of seed.tenants) {
    const tenant = store.createTenant(t.tenantId);
    for (const app of t.apps ?? []) store.createApp(tenant, app.clientId, app.clientSecret, app.roles);
    for (const m of t.mailboxes ?? []) {
      const mailbox = store.createMailbox(tenant, m);
      for (const message of m.messages ?? []) {
        inbound(store, mailbox, { subject: '', body: '', ...message });
      }
      addItems(store, mailbox, calendarEventKind, m.events);
      addItems(store, mailbox, contactKind, m.contacts);
      addItems(store, mailbox, taskKind, m.tasks);
    }
    for (const g of t.groups ?? []) {
      const group = store.groups.create(tenant, g);
      if ('error' in group) throw new Error(`seed: group ${g.displayName}: ${group.error}`);
    }
  }
}
