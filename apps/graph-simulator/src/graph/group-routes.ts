import { canReadUsers } from '../auth/permissions';
import { graphError } from '../http/errors';
import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import { isGroup } from '../store/groups';
import type { Group, Mailbox } from '../store/model';
import type { GraphCtx } from './context';
import { json } from './context';
import { listPlain } from './listing';
import { parseSelect } from './odata';
import { userJson } from './user-routes';

/**
 * Directory groups, read-only, as the fleet's tenant import uses them:
 * - List groups — https://learn.microsoft.com/graph/api/group-list ("The default and maximum page
 *   sizes are 100 and 999 group objects respectively"; `$skip` isn't supported — the simulator's
 *   nextLink carries its own position, opaque to clients);
 * - Get group — https://learn.microsoft.com/graph/api/group-get (`GET /groups/{id}`);
 * - List group members — https://learn.microsoft.com/graph/api/group-list-members ("This operation
 *   is not transitive");
 * - List group transitive members — https://learn.microsoft.com/graph/api/group-list-transitivemembers
 *   ("returns a flat list of all nested members"; "OData cast is enabled. For example,
 *   /groups/{id}/transitiveMembers/microsoft.graph.user retrieves only users"; up to 100 objects by
 *   default, `$top` up to 999; "An attempt to filter by an OData cast that represents an
 *   unsupported member type returns a 400 Bad Request error with the Request_UnsupportedQuery
 *   code"). Earlier revisions of that page required the advanced query parameters
 *   (ConsistencyLevel: eventual and `$count=true`) for the cast: the simulator accepts the cast
 *   with or without them, as the current page does.
 *
 * `$count=true` with `ConsistencyLevel: eventual` adds `@odata.count`; without the header it is
 * "silently ignored" ("Advanced query capabilities on Microsoft Entra ID objects",
 * https://learn.microsoft.com/graph/aad-advanced-queries). The simulator's limits: `$filter` on
 * List groups only as `displayName eq` / `mail eq` clauses joined by `or`; no `$search`,
 * `$orderby`, `$expand`, and no `$filter` on member lists (Graph supports them there only as
 * advanced queries) — those answer 400 `Request_UnsupportedQuery`.
 */

/** group resource: default properties (a subset; `proxyAddresses` holds the primary address only). */
export function groupJson(group: Group, select?: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: group.id,
    deletedDateTime: null,
    createdDateTime: group.createdDateTime,
    description: group.description,
    displayName: group.displayName,
    groupTypes: [],
    mail: group.mail,
    mailEnabled: group.mail !== null,
    mailNickname: group.mailNickname,
    proxyAddresses: group.mail ? [`SMTP:${group.mail}`] : [],
    securityEnabled: group.securityEnabled,
    visibility: null,
  };
  if (!select) return all;
  const out: Record<string, unknown> = { id: group.id };
  for (const name of select) if (name in all) out[name] = all[name];
  return out;
}

/** "Limited information returned for inaccessible member objects": the type and the id, the rest null. */
function limitedUser(mailbox: Mailbox, select?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.type': '#microsoft.graph.user', id: mailbox.id };
  for (const name of Object.keys(userJson(mailbox, select))) if (name !== 'id') out[name] = null;
  return out;
}

function groupFilter(expr: string): ((g: Group) => boolean) | { error: string } {
  const tests: Array<(g: Group) => boolean> = [];
  for (const clause of expr.split(/\s+or\s+/i)) {
    const text = clause
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .trim();
    const eq = /^(displayName|mail)\s+eq\s+'((?:[^']|'')*)'$/i.exec(text);
    if (!eq) {
      return {
        error: `Unsupported or invalid query filter clause specified for property of resource 'Group': ${text}`,
      };
    }
    // Directory string comparisons ignore case.
    const value = (eq[2] ?? '').replace(/''/g, "'").toLowerCase();
    tests.push(
      eq[1]?.toLowerCase() === 'mail'
        ? (g) => g.mail === value
        : (g) => g.displayName.toLowerCase() === value,
    );
  }
  return (g) => tests.some((t) => t(g));
}

const unsupported = (message: string) => graphError(400, 'Request_UnsupportedQuery', message);

/** `$count=true` counts only as an advanced query (ConsistencyLevel: eventual). */
const wantsCount = (req: SimRequest) =>
  req.query.get('$count')?.toLowerCase() === 'true' &&
  req.headers.consistencylevel?.toLowerCase() === 'eventual';

/** Member types a group can have ("Group membership"): the casts Graph accepts on member lists. */
const CASTS: Record<string, ((m: Mailbox | Group) => boolean) | undefined> = {
  'microsoft.graph.user': (m) => !isGroup(m),
  'microsoft.graph.group': (m) => isGroup(m),
  // Supported member types the simulator has no objects of: always an empty list.
  'microsoft.graph.orgcontact': () => false,
  'microsoft.graph.device': () => false,
  'microsoft.graph.serviceprincipal': () => false,
};

export function groupRoutes(): Array<Route<GraphCtx>> {
  const groupOf = (ctx: GraphCtx, id: string): Group | SimResponse => {
    const group = ctx.deps.store.groups.find(id);
    return group && group.id.toLowerCase() === id.toLowerCase() && group.tenantId === ctx.claims.tid
      ? group
      : graphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
        );
  };

  function memberList(
    ctx: GraphCtx,
    req: SimRequest,
    id: string,
    transitive: boolean,
    cast?: string,
  ): SimResponse {
    const group = groupOf(ctx, id);
    if (!('memberIds' in group)) return group;
    for (const option of ['$filter', '$search', '$orderby', '$expand']) {
      if (req.query.has(option))
        return unsupported(`${option} on group members is not supported by the simulator.`);
    }
    const castTest = cast === undefined ? undefined : CASTS[cast.toLowerCase()];
    if (cast !== undefined && !castTest)
      return unsupported(`'${cast}' is not a supported member type for this query.`);
    const store = ctx.deps.store;
    const objects = (transitive ? store.groups.transitiveMembers(group) : store.groups.members(group)).filter(
      (m) => !castTest || castTest(m),
    );
    const select = parseSelect(req.query.get('$select'));
    const readUsers = canReadUsers(ctx.claims.roles);
    const values = objects.map((m) => {
      if (!isGroup(m) && !readUsers) return limitedUser(m, select);
      const body = isGroup(m) ? groupJson(m, select) : userJson(m, select);
      return cast ? body : { '@odata.type': `#microsoft.graph.${isGroup(m) ? 'group' : 'user'}`, ...body };
    });
    const context =
      cast?.toLowerCase() === 'microsoft.graph.user' ? 'users' : cast ? 'groups' : 'directoryObjects';
    return listPlain(req, values, context, { maxTop: 999, count: wantsCount(req) });
  }

  return [
    {
      method: 'GET',
      pattern: 'groups',
      handler: (ctx, _p, req) => {
        for (const option of ['$search', '$orderby', '$expand']) {
          if (req.query.has(option))
            return unsupported(`${option} on groups is not supported by the simulator.`);
        }
        const expr = req.query.get('$filter');
        const filter = expr ? groupFilter(expr) : undefined;
        if (filter && 'error' in filter) return unsupported(filter.error);
        const select = parseSelect(req.query.get('$select'));
        const groups = ctx.deps.store.groups.list(ctx.claims.tid).filter((g) => !filter || filter(g));
        return listPlain(
          req,
          groups.map((g) => groupJson(g, select)),
          'groups',
          { maxTop: 999, count: wantsCount(req) },
        );
      },
    },
    {
      method: 'GET',
      pattern: 'groups/:g',
      handler: (ctx, [g = ''], req) => {
        const group = groupOf(ctx, g);
        return 'memberIds' in group
          ? json(200, groupJson(group, parseSelect(req.query.get('$select'))))
          : group;
      },
    },
    {
      method: 'GET',
      pattern: 'groups/:g/members',
      handler: (ctx, [g = ''], req) => memberList(ctx, req, g, false),
    },
    {
      method: 'GET',
      pattern: 'groups/:g/members/:cast',
      handler: (ctx, [g = '', cast = ''], req) => memberList(ctx, req, g, false, cast),
    },
    {
      method: 'GET',
      pattern: 'groups/:g/transitiveMembers',
      handler: (ctx, [g = ''], req) => memberList(ctx, req, g, true),
    },
    {
      method: 'GET',
      pattern: 'groups/:g/transitiveMembers/:cast',
      handler: (ctx, [g = '', cast = ''], req) => memberList(ctx, req, g, true, cast),
    },
  ];
}
