import type { IdGenerator } from './ids';
import type { Group, Mailbox, Tenant } from './model';

export interface GroupInput {
  id?: string;
  displayName: string;
  description?: string;
  /** SMTP address of a mail-enabled group; none: a security group. */
  mail?: string;
  mailNickname?: string;
  securityEnabled?: boolean;
  /** Users (id, UPN or address) and groups (id or mail) of the same tenant. */
  members?: string[];
}

export type GroupDirectory = ReturnType<typeof createGroupDirectory>;

/**
 * The tenant's groups and their memberships. A member reference is resolved when it is added: a
 * user (user or shared mailbox: aliases and distribution lists are no users) or a group of the same
 * tenant; anything else is refused with a message naming it.
 */
export function createGroupDirectory(deps: {
  ids: () => IdGenerator;
  stamp: () => string;
  findMailbox: (key: string) => Mailbox | undefined;
  isStorageMailbox: (mailbox: Mailbox) => boolean;
}) {
  /** lower-case id or mail → group. */
  const groups = new Map<string, Group>();

  function find(idOrMail: string): Group | undefined {
    return groups.get(idOrMail.toLowerCase());
  }

  /** A member reference → the directory object's id, or an error message. */
  function memberId(tenantId: string, ref: string): string | { error: string } {
    const group = find(ref);
    if (group) {
      return group.tenantId === tenantId ? group.id : { error: `group '${ref}' is in another tenant` };
    }
    const mailbox = deps.findMailbox(ref);
    if (!mailbox || mailbox.tenantId !== tenantId)
      return { error: `no user or group '${ref}' in the tenant` };
    if (!deps.isStorageMailbox(mailbox)) return { error: `'${ref}' is no user (kind ${mailbox.kind})` };
    return mailbox.id;
  }

  function addMembers(group: Group, refs: readonly string[]): { error: string } | undefined {
    const ids: string[] = [];
    for (const ref of refs) {
      const id = memberId(group.tenantId, ref);
      if (typeof id !== 'string') return id;
      if (id === group.id) return { error: `group '${ref}' cannot be a member of itself` };
      ids.push(id);
    }
    for (const id of ids) if (!group.memberIds.includes(id)) group.memberIds.push(id);
    return undefined;
  }

  function create(tenant: Tenant, input: GroupInput): Group | { error: string } {
    const mail = input.mail?.toLowerCase() ?? null;
    const id = input.id ?? deps.ids().guid();
    if (find(id)) return { error: `group '${id}' already exists` };
    if (mail && (find(mail) || deps.findMailbox(mail))) return { error: `address ${mail} already exists` };
    const group: Group = {
      id,
      tenantId: tenant.id,
      displayName: input.displayName,
      description: input.description ?? null,
      mail,
      mailNickname:
        input.mailNickname ?? mail?.split('@')[0] ?? input.displayName.replace(/[^A-Za-z0-9]/g, ''),
      securityEnabled: input.securityEnabled ?? !mail,
      createdDateTime: deps.stamp(),
      memberIds: [],
    };
    const refused = addMembers(group, input.members ?? []);
    if (refused) return refused;
    groups.set(id.toLowerCase(), group);
    if (mail) groups.set(mail, group);
    return group;
  }

  function resolve(id: string): Mailbox | Group | undefined {
    return find(id) ?? deps.findMailbox(id);
  }

  /** Direct members (List group members: "This operation is not transitive"). */
  function members(group: Group): Array<Mailbox | Group> {
    return group.memberIds.map(resolve).filter((m): m is Mailbox | Group => !!m);
  }

  /**
   * List group transitive members: "a flat list of all nested members" — each object once, groups
   * included, depth first in membership order; a group reached twice is expanded once.
   */
  function transitiveMembers(group: Group): Array<Mailbox | Group> {
    const out: Array<Mailbox | Group> = [];
    const seen = new Set<string>([group.id]);
    const walk = (g: Group) => {
      for (const member of members(g)) {
        if (seen.has(member.id)) continue;
        seen.add(member.id);
        out.push(member);
        if (isGroup(member)) walk(member);
      }
    };
    walk(group);
    return out;
  }

  /** The tenant's groups, in creation order. */
  function list(tenantId: string): Group[] {
    return [...new Set(groups.values())].filter((g) => g.tenantId === tenantId);
  }

  return { find, create, addMembers, members, transitiveMembers, list, clear: () => groups.clear() };
}

export function isGroup(object: Mailbox | Group): object is Group {
  return 'memberIds' in object;
}
