import type { SimConfig } from '../config';
import type { Route } from '../http/router';
import { metricsJson, metricsPrometheus, resetMetrics } from '../metrics';
import type { SimCore } from '../sim';
import { adminError, isResp, ok, parse } from './respond';
import * as s from './schemas';

/** Operations on the simulator itself: faults, config, metrics, delta eviction, lifecycle, traffic. */
export function opsRoutes(): Array<Route<SimCore>> {
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
