import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import { serializeItem } from '../graph/odata';
import { contactKind, isErrorResponse, taskKind } from '../graph/pim-model';
import { calendarAdminRoutes } from './calendar-admin';
import type { PimKind } from '../graph/pim-model';
import type { Mailbox } from '../store/model';
import type { SimCore } from '../sim';
import { inbound } from './inbound';
import { opsRoutes } from './ops-routes';
import { adminError, isResp, ok, parse } from './respond';
import * as s from './schemas';

export { adminError };

export function adminRoutes(): Array<Route<SimCore>> {
  const mailbox = (sim: SimCore, key: string): Mailbox | SimResponse => {
    const found = sim.store.findMailbox(key);
    return found && sim.store.isStorageMailbox(found)
      ? found
      : adminError(404, `mailbox '${key}' not found`, 'mailbox');
  };

  const itemRoutes = (kind: PimKind, base: string, withContainer: boolean): Array<Route<SimCore>> => {
    const target = (sim: SimCore, params: string[]) => {
      const mb = mailbox(sim, params[0] ?? '');
      if (isResp(mb)) return mb;
      const container = sim.store.container(
        mb,
        withContainer ? (params[1] ?? '') : kind.defaultContainer,
        kind.containerKind,
      );
      return container ? { mb, container } : adminError(404, 'container not found', 'list');
    };
    const findItem = (sim: SimCore, params: string[]) => {
      const t = target(sim, params);
      if (isResp(t)) return t;
      const item = sim.store.dataOf(t.mb).items.get(params[withContainer ? 2 : 1] ?? '');
      return item && item.kind === kind.kind ? { mb: t.mb, item } : adminError(404, 'item not found', 'id');
    };
    return [
      {
        method: 'POST',
        pattern: base,
        handler: (sim, params, req) => {
          const t = target(sim, params);
          if (isResp(t)) return t;
          const input = parse(s.itemInput, req.body);
          if (isResp(input)) return input;
          const fields = kind.build(sim.store, t.mb, input);
          if (isErrorResponse(fields)) return fields;
          return ok(
            serializeItem(
              sim.store.createItem(t.mb, kind.kind, t.container.id, fields as Record<string, unknown>),
            ),
            201,
          );
        },
      },
      {
        method: 'PATCH',
        pattern: `${base}/:id`,
        handler: (sim, params, req) => {
          const f = findItem(sim, params);
          if (isResp(f)) return f;
          const input = parse(s.itemInput, req.body);
          if (isResp(input)) return input;
          const patch = kind.patch(input);
          if (isErrorResponse(patch)) return patch;
          return ok(serializeItem(sim.store.updateItem(f.mb, f.item, patch as Record<string, unknown>)));
        },
      },
      {
        method: 'DELETE',
        pattern: `${base}/:id`,
        handler: (sim, params) => {
          const f = findItem(sim, params);
          if (isResp(f)) return f;
          sim.store.deleteItem(f.mb, f.item);
          return { status: 204 };
        },
      },
    ];
  };

  const message = (sim: SimCore, params: string[]) => {
    const mb = mailbox(sim, params[0] ?? '');
    if (isResp(mb)) return mb;
    const item = sim.store.dataOf(mb).items.get(params[1] ?? '');
    return item && item.kind === 'message' ? { mb, item } : adminError(404, 'message not found', 'id');
  };

  return [
    {
      method: 'POST',
      pattern: 'tenants',
      handler: (sim, _p, req) => {
        const input = parse(s.tenantInput, req.body);
        return isResp(input) ? input : ok({ tenantId: sim.store.createTenant(input.tenantId).id }, 201);
      },
    },
    {
      method: 'POST',
      pattern: 'tenants/:tid/apps',
      handler: (sim, [tid = ''], req) => {
        const tenant = sim.store.tenants.get(tid);
        if (!tenant) return adminError(404, `tenant '${tid}' not found`, 'tenantId');
        const input = parse(s.appInput, req.body);
        if (isResp(input)) return input;
        const app = sim.store.createApp(tenant, input.clientId, input.clientSecret, input.roles);
        if (input.secretExpiresAt) app.secretExpiresAt = input.secretExpiresAt;
        return ok({ clientId: app.clientId, clientSecret: app.clientSecret, roles: app.roles }, 201);
      },
    },
    {
      method: 'PATCH',
      pattern: 'tenants/:tid/apps/:cid',
      handler: (sim, [tid = '', cid = ''], req) => {
        const app = sim.store.tenants.get(tid)?.apps.get(cid);
        if (!app) return adminError(404, `app '${cid}' not found in tenant '${tid}'`, 'clientId');
        const input = parse(s.appPatchInput, req.body);
        if (isResp(input)) return input;
        if (input.secretExpiresAt !== undefined) app.secretExpiresAt = input.secretExpiresAt ?? undefined;
        // Tokens already issued keep the roles they were issued with (as Entra's do).
        if (input.roles) app.roles = [...input.roles];
        return ok({
          clientId: app.clientId,
          secretExpiresAt: app.secretExpiresAt ?? null,
          roles: app.roles,
        });
      },
    },
    {
      method: 'POST',
      pattern: 'tenants/:tid/mailboxes',
      handler: (sim, [tid = ''], req) => createMailboxes(sim, tid, req),
    },
    {
      // Directory groups with users and nested groups as members (graph/group-routes.ts serves them).
      method: 'POST',
      pattern: 'tenants/:tid/groups',
      handler: (sim, [tid = ''], req) => {
        const tenant = sim.store.tenants.get(tid);
        if (!tenant) return adminError(404, `tenant '${tid}' not found`, 'tenantId');
        const input = parse(s.groupInput, req.body);
        if (isResp(input)) return input;
        const group = sim.store.groups.create(tenant, input);
        if ('error' in group) return adminError(400, group.error, 'members');
        return ok({ id: group.id, displayName: group.displayName, mail: group.mail }, 201);
      },
    },
    {
      method: 'POST',
      pattern: 'groups/:g/members',
      handler: (sim, [g = ''], req) => {
        const group = sim.store.groups.find(g);
        if (!group) return adminError(404, `group '${g}' not found`, 'group');
        const input = parse(s.groupMembersInput, req.body);
        if (isResp(input)) return input;
        const refused = sim.store.groups.addMembers(group, input.members);
        if (refused) return adminError(400, refused.error, 'members');
        return ok({ id: group.id, members: group.memberIds.length });
      },
    },
    {
      method: 'POST',
      pattern: 'tokens',
      handler: (sim, _p, req) => {
        const input = parse(s.tokenInput, req.body);
        if (isResp(input)) return input;
        const lifetime = input.expiresInSeconds ?? sim.config.tokenLifetimeSeconds;
        return ok({
          access_token: sim.signer.sign(
            input.tenantId,
            input.clientId,
            lifetime,
            input.roles ?? sim.store.tenants.get(input.tenantId)?.apps.get(input.clientId)?.roles ?? [],
          ),
          expires_in: lifetime,
        });
      },
    },
    {
      method: 'POST',
      pattern: 'mailboxes/:m/inbound',
      handler: (sim, [m = ''], req) => {
        const mb = mailbox(sim, m);
        if (isResp(mb)) return mb;
        const input = parse(s.inboundInput, req.body);
        if (isResp(input)) return input;
        const item = inbound(sim.store, mb, input);
        if (typeof item === 'string') return adminError(400, `unknown folder '${input.folder}'`, 'folder');
        return ok(
          {
            id: item.id,
            internetMessageId: item.fields.internetMessageId,
            conversationId: item.fields.conversationId,
          },
          201,
        );
      },
    },
    {
      method: 'POST',
      pattern: 'mailboxes/:m/inbound/bulk',
      handler: (sim, [m = ''], req) => {
        const mb = mailbox(sim, m);
        if (isResp(mb)) return mb;
        const input = parse(s.inboundBulkInput, req.body);
        if (isResp(input)) return input;
        const start = Date.parse(input.receivedFrom);
        for (let n = 0; n < input.count; n++) {
          inbound(sim.store, mb, {
            from: input.from,
            subject: `${input.subject} ${n}`,
            body: '',
            internetMessageId: `<${input.internetMessageIdPrefix}-${n}@${mb.address.split('@')[1]}>`,
            receivedDateTime: new Date(start + n * 1000).toISOString(),
          });
        }
        return ok({ created: input.count }, 201);
      },
    },
    {
      method: 'GET',
      pattern: 'mailboxes/:m/messages',
      handler: (sim, [m = ''], req) => {
        const mb = mailbox(sim, m);
        if (isResp(mb)) return mb;
        const folder = req.query.get('folder');
        const c = folder ? sim.store.container(mb, folder, 'mailFolder') : undefined;
        if (folder && !c) return adminError(404, `unknown folder '${folder}'`, 'folder');
        const items = c ? sim.store.itemsIn(mb, c.id) : sim.store.itemsOfKind(mb, 'message');
        return ok({
          value: items
            .map((i) => serializeItem(i, undefined))
            .map((v, k) => ({ ...v, internetMessageHeaders: items[k]?.fields.internetMessageHeaders })),
        });
      },
    },
    {
      method: 'PATCH',
      pattern: 'mailboxes/:m/messages/:id',
      handler: (sim, params, req) => {
        const f = message(sim, params);
        if (isResp(f)) return f;
        const input = parse(s.itemInput, req.body);
        if (isResp(input)) return input;
        return ok(serializeItem(sim.store.updateItem(f.mb, f.item, input)));
      },
    },
    {
      method: 'DELETE',
      pattern: 'mailboxes/:m/messages/:id',
      handler: (sim, params) => {
        const f = message(sim, params);
        if (isResp(f)) return f;
        sim.store.deleteItem(f.mb, f.item);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: 'mailboxes/:m/messages/:id/move',
      handler: (sim, params, req) => {
        const f = message(sim, params);
        if (isResp(f)) return f;
        const input = parse(s.moveInput, req.body);
        if (isResp(input)) return input;
        const dest = sim.store.container(f.mb, input.folder, 'mailFolder');
        if (!dest) return adminError(400, `unknown folder '${input.folder}'`, 'folder');
        return ok(serializeItem(sim.store.moveItem(f.mb, f.item, dest.id, false)), 201);
      },
    },
    ...calendarAdminRoutes(),
    ...itemRoutes(contactKind, 'mailboxes/:m/contacts', false),
    ...itemRoutes(taskKind, 'mailboxes/:m/todo/lists/:l/tasks', true),
    ...opsRoutes(),
  ];
}

function createMailboxes(sim: SimCore, tid: string, req: SimRequest): SimResponse {
  const tenant = sim.store.tenants.get(tid);
  if (!tenant) return adminError(404, `tenant '${tid}' not found`, 'tenantId');
  const body = req.body as Record<string, unknown> | undefined;
  try {
    if (body && 'count' in body) {
      const input = parse(s.bulkMailboxInput, body);
      if (isResp(input)) return input;
      const created: Array<{ id: string; address: string; userPrincipalName: string }> = [];
      for (let n = 1; n <= input.count; n++) {
        const mb = sim.store.createMailbox(tenant, {
          address: input.addressPattern.replace('{n}', String(n)),
          kind: input.kind,
        });
        created.push({ id: mb.id, address: mb.address, userPrincipalName: mb.userPrincipalName });
      }
      return ok({ created: created.length, mailboxes: created }, 201);
    }
    const input = parse(s.mailboxInput, body);
    if (isResp(input)) return input;
    const primary = input.proxyAddresses?.filter((p) => p.startsWith('SMTP:'));
    if (
      primary &&
      (primary.length !== 1 || primary[0]?.slice(5).toLowerCase() !== input.address.toLowerCase())
    ) {
      return adminError(400, 'exactly one SMTP: (primary) proxy address, equal to address', 'proxyAddresses');
    }
    const mb = sim.store.createMailbox(tenant, input);
    return ok({ id: mb.id, address: mb.address, userPrincipalName: mb.userPrincipalName }, 201);
  } catch (error) {
    return adminError(409, (error as Error).message, 'address');
  }
}
