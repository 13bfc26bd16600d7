import type { EngineResources } from '../engine/types';

export interface TenantUser {
  graphUserId: string;
  address: string;
  displayName: string | null;
  /** A shared mailbox: a user object whose sign-in is blocked (accountEnabled false). */
  shared: boolean;
}

/** Largest page GET /users allows ($top 1–999; https://learn.microsoft.com/graph/paging). */
const PAGE_SIZE = 999;

/**
 * The tenant's users and shared mailboxes through Graph (GET /users, application permission
 * User.Read.All: https://learn.microsoft.com/graph/api/user-list), page by page following
 * @odata.nextLink. Objects without a mail address (no mailbox) are left out.
 */
export async function* listTenantUsers(
  res: Pick<EngineResources, 'graph' | 'prisma'>,
  profileId: string,
): AsyncGenerator<TenantUser[]> {
  const profile = await res.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profileId } });
  const graph = await res.graph.forTenant(profile);
  let next: string | undefined =
    `/users?$top=${PAGE_SIZE}&$select=id,displayName,mail,userPrincipalName,accountEnabled`;
  while (next) {
    const page = (await graph.api(next).get()) as {
      value: { id: string; displayName?: string | null; mail?: string | null; accountEnabled?: boolean }[];
      '@odata.nextLink'?: string;
    };
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
