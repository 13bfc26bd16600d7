import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { createRegistry, workerMetrics } from './metrics';
import { startOpsServer, type OpsServer } from './ops-server';

const silent = createLogger({
  name: 'ops-test',
  destination: new Writable({ write: (_chunk, _enc, done) => done() }),
});

describe('the operations server', () => {
  let server: OpsServer;
  let redisUp = false;
  afterEach(() => server?.close());

  beforeEach(async () => {
    const registry = createRegistry({ role: 'worker' });
    const metrics = workerMetrics(registry);
    metrics.cycle({
      workload: 'incoming-email',
      outcome: 'success',
      durationMs: 12,
      scheduleLagMs: 1500,
      itemsProcessed: 2,
      itemsFailed: 0,
    });
    metrics.graphResponse({ method: 'GET', status: 429, retryAfterMs: 2000 });
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      logger: silent,
      readyTimeoutMs: 200,
      readiness: {
        postgres: async () => undefined,
        redis: async () => {
          if (!redisUp) throw new Error('ECONNREFUSED');
        },
        consuming: () => new Promise(() => undefined), // never answers: the deadline decides
      },
    });
  });

  it('is live whatever the dependencies say', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is not ready while a check fails or hangs, and names which', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not-ready',
      checks: { postgres: 'ok', redis: 'unavailable', consuming: 'unavailable' },
    });
  });

  it('serves Prometheus text with what was recorded', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('syncfleet_build_info{role="worker",version="0.1.0"} 1');
    expect(text).toContain('syncfleet_cycles_total{workload="incoming-email",outcome="success"} 1');
    expect(text).toContain('syncfleet_items_total{workload="incoming-email",result="processed"} 2');
    expect(text).toContain('syncfleet_schedule_lag_seconds_bucket{le="2.5",workload="incoming-email"} 1');
    expect(text).toContain('syncfleet_graph_throttled_total{status="429"} 1');
    expect(text).toContain('syncfleet_graph_retry_after_seconds_sum{status="429"} 2');
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('becomes ready when the failing dependency answers (hung checks still time out)', async () => {
    redisUp = true;
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(body.checks.redis).toBe('ok');
  });
});
