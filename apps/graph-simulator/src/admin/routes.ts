import type { z } from 'zod';
import type { SimConfig } from '../config';
import { metricsJson, metricsPrometheus, resetMetrics } from '../metrics';
import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import { serializeItem } from '../graph/odata';
import { contactKind, eventKind, isErrorResponse, taskKind } from '../graph/pim-model';
import type { PimKind } from '../graph/pim-model';
import type { Mailbox } from '../store/model';
import type { SimCore } from '../sim';
import { inbound } from './inbound';
import * as s from './schemas';

export const adminError = (status: number, message: string, field?: string): SimResponse => ({
  status,
  body: {
    error: {
      code: status === 401 ? 'Unauthorized' : status === 404 ? 'NotFound' : 'BadRequest',
      message,
      field,
    },
  },
});

/** Parses admin input; a failure answers 400 naming the offending field. */
function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> | SimResponse {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : '');
  return adminError(400, `invalid field '${field}': ${issue?.message ?? 'invalid'}`, field);
}

const isResp = (v: unknown): v is SimResponse =>
  !!v &&
  typeof v === 'object' &&
  typeof (v as SimResponse).status === 'number' &&
  'body' in (v as object) &&
  !!(v as { body: { error?: unknown } }).body?.error;

const ok = (body: unknown, status = 200): SimResponse => ({ status, body });

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
        const app = sim.store.createApp(tenant, input.clientId, input.clientSecret);
        if (input.secretExpiresAt) app.secretExpiresAt = input.secretExpiresAt;
        return ok({ clientId: app.clientId, clientSecret: app.clientSecret }, 201);
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
        app.secretExpiresAt = input.secretExpiresAt ?? undefined;
        return ok({ clientId: app.clientId, secretExpiresAt: app.secretExpiresAt ?? null });
      },
    },
    {
      method: 'POST',
      pattern: 'tenants/:tid/mailboxes',
      handler: (sim, [tid = ''], req) => createMailboxes(sim, tid, req),
    },
    {
      method: 'POST',
      pattern: 'tokens',
      handler: (sim, _p, req) => {
        const input = parse(s.tokenInput, req.body);
        if (isResp(input)) return input;
        const lifetime = input.expiresInSeconds ?? sim.config.tokenLifetimeSeconds;
        return ok({
          access_token: sim.signer.sign(input.tenantId, input.clientId, lifetime),
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
    ...itemRoutes(eventKind, 'mailboxes/:m/events', false),
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
      const created: Array<{ id: string; address: string }> = [];
      for (let n = 1; n <= input.count; n++) {
        const mb = sim.store.createMailbox(tenant, {
          address: input.addressPattern.replace('{n}', String(n)),
          kind: input.kind,
        });
        created.push({ id: mb.id, address: mb.address });
      }
      return ok({ created: created.length, mailboxes: created }, 201);
    }
    const input = parse(s.mailboxInput, body);
    if (isResp(input)) return input;
    const mb = sim.store.createMailbox(tenant, input);
    return ok({ id: mb.id, address: mb.address }, 201);
  } catch (error) {
    return adminError(409, (error as Error).message, 'address');
  }
}

function opsRoutes(): Array<Route<SimCore>> {
  return [
    {
      method: 'POST',
      pattern: 'faults',
      handler: (sim, _p, req) => {
        const input = parse(s.faultInput, req.body);
        if (isResp(input)) return input;
        let routeRegex: RegExp | undefined;
        try {
          routeRegex = input.routes ? new RegExp(input.routes) : undefined;
        } catch {
          return adminError(400, "invalid field 'routes': not a regular expression", 'routes');
        }
        let mailboxId: string | undefined;
        if (input.scope?.mailbox) {
          mailboxId = sim.store.findMailbox(input.scope.mailbox)?.id;
          if (!mailboxId)
            return adminError(400, "invalid field 'scope.mailbox': unknown mailbox", 'scope.mailbox');
        }
        const fault = sim.faults.add({ ...input, id: '', mailboxId, routeRegex });
        return ok({ id: fault.id }, 201);
      },
    },
    {
      method: 'GET',
      pattern: 'faults',
      handler: (sim) => ok({ value: sim.faults.list().map(({ routeRegex: _r, ...f }) => f) }),
    },
    { method: 'DELETE', pattern: 'faults', handler: (sim) => (sim.faults.clear(), { status: 204 }) },
    {
      method: 'DELETE',
      pattern: 'faults/:id',
      handler: (sim, [id = '']) =>
        sim.faults.remove(id) ? { status: 204 } : adminError(404, 'fault not found', 'id'),
    },
    { method: 'GET', pattern: 'config', handler: (sim) => ok(sim.config) },
    {
      method: 'PATCH',
      pattern: 'config',
      handler: (sim, _p, req) => {
        const input = parse(s.configInput, req.body);
        if (isResp(input)) return input;
        Object.assign(sim.config, input as Partial<SimConfig>);
        return ok(sim.config);
      },
    },
    {
      method: 'POST',
      pattern: 'delta/evict',
      handler: (sim, _p, req) => {
        const input = parse(s.evictInput, req.body);
        if (isResp(input)) return input;
        const mb = input.mailbox ? sim.store.findMailbox(input.mailbox) : undefined;
        if (input.mailbox && !mb)
          return adminError(400, "invalid field 'mailbox': unknown mailbox", 'mailbox');
        if (input.reset && !mb) return adminError(400, "a reset needs 'mailbox'", 'mailbox');
        return ok({ evicted: sim.delta.evict(mb?.id, { reset: input.reset }) });
      },
    },
    { method: 'GET', pattern: 'subscriptions', handler: (sim) => ok({ value: sim.subscriptions.all() }) },
    {
      method: 'POST',
      pattern: 'subscriptions/:id/lifecycle',
      handler: (sim, [id = ''], req) => {
        const input = parse(s.lifecycleInput, req.body);
        return isResp(input) ? input : sim.subscriptions.lifecycle(id, input.event);
      },
    },
    { method: 'GET', pattern: 'metrics', handler: (sim) => ok(metricsJson(sim.metrics)) },
    {
      method: 'GET',
      pattern: 'metrics/prometheus',
      handler: (sim) => ({ status: 200, text: metricsPrometheus(sim.metrics) }),
    },
    { method: 'GET', pattern: 'deliveries', handler: (sim) => ok({ value: sim.deliveries.entries }) },
    {
      method: 'POST',
      pattern: 'reset',
      handler: (sim, _p, req) => {
        const input = parse(s.resetInput, req.body);
        if (isResp(input)) return input;
        resetMetrics(sim.metrics);
        sim.deliveries.clear();
        if (input.all) sim.resetAll();
        return ok({ reset: input.all ? 'all' : 'metrics' });
      },
    },
    {
      method: 'POST',
      pattern: 'traffic',
      handler: (sim, _p, req) => {
        const input = parse(s.trafficInput, req.body);
        if (isResp(input)) return input;
        sim.traffic.start(input.messagesPerSecond, input.editsPerSecond ?? 0);
        return ok({ messagesPerSecond: input.messagesPerSecond, editsPerSecond: input.editsPerSecond ?? 0 });
      },
    },
    {
      method: 'GET',
      pattern: 'status',
      handler: (sim) =>
        ok({
          tenants: sim.store.tenants.size,
          mailboxes: sim.store.mailboxes.size / 2,
          /** Sends accepted (202) that transport has not processed yet. */
          pendingSends: sim.transport.pending(),
          deltaStates: sim.delta.size(),
          subscriptions: sim.subscriptions.all().length,
          memory: process.memoryUsage(),
        }),
    },
  ];
}
