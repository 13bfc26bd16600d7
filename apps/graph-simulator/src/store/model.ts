export type MailboxKind = 'user' | 'shared' | 'alias' | 'distributionList';
export type ItemKind = 'message' | 'event' | 'contact' | 'task';
export type ContainerKind = 'mailFolder' | 'calendar' | 'contactFolder' | 'todoList';
export type ChangeType = 'created' | 'updated' | 'deleted';

export interface App {
  clientId: string;
  clientSecret: string;
  tenantId: string;
  /** ISO time the client secret expires (Entra: AADSTS7000222 after it). */
  secretExpiresAt?: string;
  /**
   * Granted (admin-consented) Microsoft Graph application permissions: Entra puts them in the
   * `roles` claim of the app-only tokens it issues (src/auth/permissions.ts enforces them).
   */
  roles: string[];
}

export interface Tenant {
  id: string;
  apps: Map<string, App>;
}

/** An idle mailbox is just these fields; `data` is created on first use (memory: 100k mailboxes). */
export interface Mailbox {
  id: string;
  tenantId: string;
  /** Primary SMTP address (the user's `mail`). */
  address: string;
  /**
   * Sign-in name; what `/users/{id | userPrincipalName}` resolves, together with the id. Not the
   * email address: by default `<local part>@<domain root>.onmicrosoft.com` (user: get).
   */
  userPrincipalName: string;
  /** `SMTP:` primary and `smtp:` secondary addresses (user resource, proxyAddresses). */
  proxyAddresses: string[];
  displayName: string;
  kind: MailboxKind;
  data?: MailboxData;
}

export interface Container {
  id: string;
  kind: ContainerKind;
  displayName: string;
  parentId?: string;
  wellKnownName?: string;
  changeKey: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** Open extensions on the container (todoTaskList), by extension name. */
  extensions?: Record<string, Record<string, unknown>>;
}

export interface Item {
  id: string;
  kind: ItemKind;
  parentId: string;
  seq: number;
  /** Sequence number at which the item appeared in its current container (create or move in). */
  createdSeq: number;
  /** Graph property → sequence number of its last change, for partial delta updates. */
  fieldSeqs: Record<string, number>;
  changeKey: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** Graph properties, stored under their Graph names. */
  fields: Record<string, unknown>;
}

export interface MailboxData {
  /** Monotonic change sequence: every create/update/delete of an item takes the next value. */
  seq: number;
  containers: Map<string, Container>;
  /** well-known name (lower-case) → container id. */
  wellKnown: Map<string, string>;
  items: Map<string, Item>;
  byParent: Map<string, Set<string>>;
  /** parent id → (item id → seq of deletion / move-out). */
  tombstones: Map<string, Map<string, number>>;
}

export interface ChangeEvent {
  mailbox: Mailbox;
  item: Item;
  changeType: ChangeType;
  /** For deletions/moves: the container the item left. */
  parentId: string;
}

/**
 * A directory group (group resource, https://learn.microsoft.com/graph/api/resources/group): a
 * security group (`mail` null) or a mail-enabled one. Members are users (user and shared
 * mailboxes) and other groups, by id; nested groups are what `transitiveMembers` flattens.
 */
export interface Group {
  id: string;
  tenantId: string;
  displayName: string;
  description: string | null;
  /** Lower-case SMTP address of a mail-enabled group; null for a security group. */
  mail: string | null;
  mailNickname: string;
  securityEnabled: boolean;
  createdDateTime: string;
  /** Direct members' ids, in the order they were added (mailbox ids and group ids). */
  memberIds: string[];
}
