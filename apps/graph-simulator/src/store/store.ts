import { createGroupDirectory } from './groups';
import { changeKeyFor, createIdGenerator } from './ids';
import type { IdGenerator } from './ids';
import type {
  App,
  ChangeEvent,
  ChangeType,
  Container,
  ContainerKind,
  Item,
  ItemKind,
  Mailbox,
  MailboxData,
  MailboxKind,
  Tenant,
} from './model';

export type Store = ReturnType<typeof createStore>;

/**
 * Roles an app gets when none are given (admin API, seed): the application permissions Syncfleet's
 * deployment guide asks an administrator to grant (docs/microsoft-graph.md#permissions). Pass
 * `roles` to model an app missing some.
 */
export const DEFAULT_APP_ROLES: readonly string[] = [
  'Mail.ReadWrite',
  'Mail.Send',
  'Calendars.ReadWrite',
  'Contacts.ReadWrite',
  'Tasks.ReadWrite.All',
  'User.Read.All',
  // Tenant import by group only (group: list transitive members).
  'GroupMember.Read.All',
];

/** `someone@contoso.test` → `someone@contoso.onmicrosoft.com`: a UPN that is not the email address. */
export function defaultUpn(address: string): string {
  const [local = address, domain = ''] = address.split('@');
  return `${local}@${domain.split('.')[0] || 'tenant'}.onmicrosoft.com`;
}

const WELL_KNOWN_FOLDERS: Array<[string, string]> = [
  ['inbox', 'Inbox'],
  ['sentitems', 'Sent Items'],
  ['drafts', 'Drafts'],
  ['deleteditems', 'Deleted Items'],
  ['archive', 'Archive'],
  ['junkemail', 'Junk Email'],
];

export function createStore(options: { seed?: string; now?: () => Date } = {}) {
  let ids: IdGenerator = createIdGenerator(options.seed);
  const now = options.now ?? (() => new Date());
  const tenants = new Map<string, Tenant>();
  /** lower-case address or id → mailbox, across tenants (addresses are globally unique). */
  const mailboxes = new Map<string, Mailbox>();
  const listeners: Array<(event: ChangeEvent) => void> = [];
  const groups = createGroupDirectory({
    ids: () => ids,
    stamp: () => stamp(),
    findMailbox: (key) => findMailbox(key),
    isStorageMailbox: (m) => isStorageMailbox(m),
  });

  function createTenant(tenantId?: string): Tenant {
    const id = tenantId ?? ids.guid();
    const existing = tenants.get(id);
    if (existing) return existing;
    const tenant: Tenant = { id, apps: new Map() };
    tenants.set(id, tenant);
    return tenant;
  }

  function createApp(tenant: Tenant, clientId?: string, clientSecret?: string, roles?: string[]): App {
    const app: App = {
      tenantId: tenant.id,
      clientId: clientId ?? ids.guid(),
      clientSecret: clientSecret ?? ids.next('sim~', 40),
      roles: [...(roles ?? DEFAULT_APP_ROLES)],
    };
    tenant.apps.set(app.clientId, app);
    return app;
  }

  function findApp(clientId: string): App | undefined {
    for (const tenant of tenants.values()) {
      const app = tenant.apps.get(clientId);
      if (app) return app;
    }
    return undefined;
  }

  function createMailbox(
    tenant: Tenant,
    input: {
      address: string;
      displayName?: string;
      kind?: MailboxKind;
      id?: string;
      userPrincipalName?: string;
      proxyAddresses?: string[];
    },
  ): Mailbox {
    const address = input.address.toLowerCase();
    const kind = input.kind ?? 'user';
    // Aliases and distribution lists are no user accounts: no UPN of their own.
    const person = kind === 'user' || kind === 'shared';
    const upn = (input.userPrincipalName ?? (person ? defaultUpn(address) : address)).toLowerCase();
    const proxies =
      input.proxyAddresses ??
      (person ? [`SMTP:${address}`, `smtp:${defaultUpn(address)}`] : [`SMTP:${address}`]);
    const keys = [address, upn, ...proxies.map((p) => p.slice(5).toLowerCase())];
    for (const key of new Set(keys)) {
      if (mailboxes.has(key) || groups.find(key)) throw new Error(`address ${key} already exists`);
    }
    const mailbox: Mailbox = {
      id: input.id ?? ids.guid(),
      tenantId: tenant.id,
      address,
      userPrincipalName: upn,
      proxyAddresses: proxies,
      displayName: input.displayName ?? address.split('@')[0] ?? address,
      kind,
    };
    for (const key of keys) mailboxes.set(key, mailbox);
    mailboxes.set(mailbox.id.toLowerCase(), mailbox);
    return mailbox;
  }

  /** Admin and delivery look-up: id, primary address, UPN or any proxy address. */
  function findMailbox(idOrAddress: string): Mailbox | undefined {
    return mailboxes.get(idOrAddress.toLowerCase());
  }

  /**
   * Graph's `/users/{id | userPrincipalName}` (user: get): only the object id or the UPN resolve; an
   * email address that is not the UPN does not. Aliases and distribution lists are no users.
   */
  function findUser(idOrUpn: string): Mailbox | undefined {
    const found = mailboxes.get(idOrUpn.toLowerCase());
    if (!found || !isStorageMailbox(found)) return undefined;
    const key = idOrUpn.toLowerCase();
    return key === found.id.toLowerCase() || key === found.userPrincipalName ? found : undefined;
  }

  function isStorageMailbox(mailbox: Mailbox): boolean {
    return mailbox.kind === 'user' || mailbox.kind === 'shared';
  }

  function stamp(): string {
    return now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  function newContainer(
    data: MailboxData,
    kind: ContainerKind,
    displayName: string,
    parentId?: string,
    wellKnownName?: string,
  ): Container {
    const id = ids.next('AAMkAC' + kind.slice(0, 2), 40);
    const t = stamp();
    const container: Container = {
      id,
      kind,
      displayName,
      parentId,
      wellKnownName,
      changeKey: changeKeyFor(id, 0),
      createdDateTime: t,
      lastModifiedDateTime: t,
    };
    data.containers.set(id, container);
    if (wellKnownName) data.wellKnown.set(wellKnownName.toLowerCase(), id);
    return container;
  }

  /** Lazily materialises the mailbox's folders, calendar, contact folder and default task list. */
  function dataOf(mailbox: Mailbox): MailboxData {
    if (mailbox.data) return mailbox.data;
    const data: MailboxData = {
      seq: 0,
      containers: new Map(),
      wellKnown: new Map(),
      items: new Map(),
      byParent: new Map(),
      tombstones: new Map(),
    };
    const root = newContainer(data, 'mailFolder', 'Top of Information Store', undefined, 'msgfolderroot');
    for (const [name, display] of WELL_KNOWN_FOLDERS)
      newContainer(data, 'mailFolder', display, root.id, name);
    newContainer(data, 'calendar', 'Calendar', undefined, 'calendar');
    newContainer(data, 'contactFolder', 'Contacts', undefined, 'contacts');
    newContainer(data, 'todoList', 'Tasks', undefined, 'defaultList');
    mailbox.data = data;
    return data;
  }

  /** Resolves a container by id or well-known name, checking its kind. */
  function container(mailbox: Mailbox, idOrName: string, kind: ContainerKind): Container | undefined {
    const data = dataOf(mailbox);
    const id = data.wellKnown.get(idOrName.toLowerCase()) ?? idOrName;
    const found = data.containers.get(id);
    return found && found.kind === kind ? found : undefined;
  }

  function emit(mailbox: Mailbox, item: Item, changeType: ChangeType, parentId: string): void {
    for (const listener of listeners) listener({ mailbox, item, changeType, parentId });
  }

  function childrenOf(data: MailboxData, parentId: string): Set<string> {
    let set = data.byParent.get(parentId);
    if (!set) data.byParent.set(parentId, (set = new Set()));
    return set;
  }

  function tombstone(data: MailboxData, parentId: string, id: string, seq: number): void {
    let map = data.tombstones.get(parentId);
    if (!map) data.tombstones.set(parentId, (map = new Map()));
    map.set(id, seq);
  }

  function createItem(
    mailbox: Mailbox,
    kind: ItemKind,
    parentId: string,
    fields: Record<string, unknown>,
    options: { id?: string; createdDateTime?: string } = {},
  ): Item {
    const data = dataOf(mailbox);
    const seq = ++data.seq;
    const id = options.id ?? ids.next('AAMkAG' + kind.slice(0, 2), 120);
    const t = options.createdDateTime ?? stamp();
    const item: Item = {
      id,
      kind,
      parentId,
      seq,
      createdSeq: seq,
      fieldSeqs: {},
      changeKey: changeKeyFor(id, seq),
      createdDateTime: t,
      lastModifiedDateTime: t,
      fields,
    };
    data.items.set(id, item);
    childrenOf(data, parentId).add(id);
    data.tombstones.get(parentId)?.delete(id);
    emit(mailbox, item, 'created', parentId);
    return item;
  }

  function updateItem(mailbox: Mailbox, item: Item, patch: Record<string, unknown>): Item {
    const data = dataOf(mailbox);
    Object.assign(item.fields, patch);
    item.seq = ++data.seq;
    for (const key of Object.keys(patch)) item.fieldSeqs[key] = item.seq;
    item.changeKey = changeKeyFor(item.id, item.seq);
    item.lastModifiedDateTime = stamp();
    emit(mailbox, item, 'updated', item.parentId);
    return item;
  }

  function deleteItem(mailbox: Mailbox, item: Item): void {
    const data = dataOf(mailbox);
    const seq = ++data.seq;
    data.items.delete(item.id);
    data.byParent.get(item.parentId)?.delete(item.id);
    tombstone(data, item.parentId, item.id, seq);
    emit(mailbox, item, 'deleted', item.parentId);
  }

  /** Moves an item; the id changes unless `keepId` (Prefer: IdType="ImmutableId"). */
  function moveItem(mailbox: Mailbox, item: Item, destinationId: string, keepId: boolean): Item {
    const data = dataOf(mailbox);
    const from = item.parentId;
    const seq = ++data.seq;
    data.items.delete(item.id);
    data.byParent.get(from)?.delete(item.id);
    tombstone(data, from, item.id, seq);
    emit(mailbox, item, 'deleted', from);
    return createItem(mailbox, item.kind, destinationId, item.fields, {
      id: keepId ? item.id : undefined,
      createdDateTime: item.createdDateTime,
    });
  }

  /** Deletes a folder with its items and child folders (the user deleting it in Outlook). */
  function deleteContainer(mailbox: Mailbox, container: Container): void {
    const data = dataOf(mailbox);
    for (const child of [...data.containers.values()]) {
      if (child.parentId === container.id) deleteContainer(mailbox, child);
    }
    for (const item of itemsIn(mailbox, container.id)) deleteItem(mailbox, item);
    data.containers.delete(container.id);
    data.byParent.delete(container.id);
    data.tombstones.delete(container.id);
  }

  function itemsIn(mailbox: Mailbox, parentId: string): Item[] {
    const data = dataOf(mailbox);
    const out: Item[] = [];
    for (const id of data.byParent.get(parentId) ?? []) {
      const item = data.items.get(id);
      if (item) out.push(item);
    }
    return out;
  }

  function itemsOfKind(mailbox: Mailbox, kind: ItemKind): Item[] {
    return [...dataOf(mailbox).items.values()].filter((i) => i.kind === kind);
  }

  function reset(seed?: string): void {
    tenants.clear();
    mailboxes.clear();
    groups.clear();
    ids = createIdGenerator(seed);
  }

  return {
    tenants,
    mailboxes,
    /** Directory groups and their memberships (store/groups.ts). */
    groups,
    listeners,
    get ids() {
      return ids;
    },
    stamp,
    createTenant,
    createApp,
    findApp,
    createMailbox,
    findMailbox,
    findUser,
    isStorageMailbox,
    dataOf,
    container,
    newContainer: (mailbox: Mailbox, kind: ContainerKind, name: string, parentId?: string) =>
      newContainer(dataOf(mailbox), kind, name, parentId),
    createItem,
    updateItem,
    deleteItem,
    moveItem,
    deleteContainer,
    itemsIn,
    itemsOfKind,
    reset,
  };
}
