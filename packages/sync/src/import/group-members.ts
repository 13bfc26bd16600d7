import { SyncError } from '@syncfleet/errors';
import { classifyError } from '../engine/classify';
import type { EngineResources } from '../engine/types';
import type { TenantUser } from './tenant-users';

export interface TenantGroup {
  id: string;
  displayName: string;
  mail: string | null;
}

/** A group named by an admin: found, unknown, or a name several groups share. */
export type GroupLookup = { found: TenantGroup } | { notFound: true } | { ambiguous: TenantGroup[] };

/** The application permission group import needs besides User.Read.All (docs/microsoft-graph.md#permissions). */
export const GROUP_PERMISSION = 'GroupMember.Read.All';

/** Largest page of List group transitive members ($top 1–999). */
const PAGE_SIZE = 999;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GROUP_FIELDS = 'id,displayName,mail';
const USER_FIELDS = 'id,displayName,mail,userPrincipalName,accountEnabled';

type Res = Pick<EngineResources, 'graph' | 'prisma'>;

async function graphOf(res: Res, profileId: string) {
  const profile = await res.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profileId } });
  return res.graph.forTenant(profile);
}

const groupOf = (g: { id: string; displayName?: string | null; mail?: string | null }): TenantGroup => ({
  id: g.id,
  displayName: g.displayName ?? '',
  mail: g.mail?.toLowerCase() ?? null,
});

/**
 * Finds a group by its object id (Get group, https://learn.microsoft.com/graph/api/group-get), or by
 * its mail address or display name (List groups with `$filter=mail eq '…'` / `displayName eq '…'`,
 * both supported by default: https://learn.microsoft.com/graph/api/group-list). Display names are
 * not unique in Entra ID: two groups of that name → `ambiguous`, listing them.
 */
export async function findTenantGroup(res: Res, profileId: string, selector: string): Promise<GroupLookup> {
  const graph = await graphOf(res, profileId);
  if (GUID.test(selector)) {
    try {
      return { found: groupOf(await graph.api(`/groups/${selector}`).select(GROUP_FIELDS).get()) };
    } catch (error) {
      if (classifyError(error).reason === 'NotFound') return { notFound: true };
      throw error;
    }
  }
  const property = selector.includes('@') ? 'mail' : 'displayName';
  const page = (await graph
    .api('/groups')
    .filter(`${property} eq '${selector.replace(/'/g, "''")}'`)
    .select(GROUP_FIELDS)
    .top(10)
    .get()) as { value: Array<{ id: string; displayName?: string | null; mail?: string | null }> };
  const groups = page.value.map(groupOf);
  if (groups.length === 0) return { notFound: true };
  return groups.length === 1 ? { found: groups[0]! } : { ambiguous: groups };
}

/**
 * The users of a group, nested groups included: List group transitive members cast to users
 * (`GET /groups/{id}/transitiveMembers/microsoft.graph.user`,
 * https://learn.microsoft.com/graph/api/group-list-transitivemembers, application permission
 * GroupMember.Read.All), 999 a page following @odata.nextLink. The cast is sent as an advanced query
 * (ConsistencyLevel: eventual, `$count=true`), which earlier revisions of that page required and the
 * current one accepts. Users without a mail address (no mailbox) are left out.
 *
 * Without a permission to read users, Graph still answers, but "with limited information" (the id,
 * every other property null): that is refused here naming User.Read.All, rather than importing
 * nobody.
 */
export async function* listGroupMembers(
  res: Res,
  profileId: string,
  groupId: string,
): AsyncGenerator<TenantUser[]> {
  const graph = await graphOf(res, profileId);
  let next: string | undefined =
    `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user` +
    `?$top=${PAGE_SIZE}&$count=true&$select=${USER_FIELDS}`;
  while (next) {
    const page = (await graph.api(next).header('ConsistencyLevel', 'eventual').get()) as {
      value: Array<{
        id: string;
        displayName?: string | null;
        mail?: string | null;
        userPrincipalName?: string | null;
        accountEnabled?: boolean | null;
      }>;
      '@odata.nextLink'?: string;
    };
    if (page.value.some((u) => !u.userPrincipalName)) {
      throw new SyncError(
        'AppPermissionMissing',
        "Graph returned the group's users with limited information (no address): the app registration needs the User.Read.All application permission to read them.",
        { code: 'LimitedInformation' },
      );
    }
    yield page.value
      .filter((u) => u.mail)
      .map((u) => ({
        graphUserId: u.id,
        address: u.mail!.toLowerCase(),
        displayName: u.displayName ?? null,
        shared: u.accountEnabled === false,
      }));
    next = page['@odata.nextLink'];
  }
}
