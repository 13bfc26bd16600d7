import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

/** A readiness check: resolves when the dependency answers, rejects (or times out) otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests); the bound one is logged and returned. */
  port: number;
  registry: Registry;
  /** Named checks behind /readyz: every one must pass within `readyTimeoutMs`. */
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
  readyTimeoutMs?: number;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The operations port every role serves (OPS_HOST:OPS_PORT): `/metrics` (Prometheus text),
 * `/healthz` (liveness: the process answers) and `/readyz` (its checks pass — 503 with the failing
 * ones named, nothing more). Unauthenticated and separate from the console's API port, so
 * Prometheus and the kubelet reach it without the admin token and a NetworkPolicy can admit them
 * to this port alone. Plain node:http: three GET routes need no framework in the worker.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { registry, readiness, logger, readyTimeoutMs = 2_000 } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(405, 'application/json', JSON.stringify({ error: 'only GET is served here' }));
      return;
    }
    if (path === '/healthz') {
      reply(200, 'application/json', JSON.stringify({ status: 'ok' }));
    } else if (path === '/readyz') {
      void checkAll(readiness, readyTimeoutMs, logger).then((checks) => {
        const ready = Object.values(checks).every((c) => c === 'ok');
        reply(
          ready ? 200 : 503,
          'application/json',
          JSON.stringify({ status: ready ? 'ready' : 'not-ready', checks }),
        );
      });
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, registry.contentType, text),
        (error: unknown) => {
          logger.warn({ err: error }, 'metrics collection failed');
          reply(500, 'text/plain', 'metrics collection failed\n');
        },
      );
    } else {
      reply(
        404,
        'application/json',
        JSON.stringify({ error: `no route ${path}: try /metrics, /healthz, /readyz` }),
      );
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  // Tests and operators read the bound port from this line.
  logger.info({ ops: url }, `ops server listening on ${url} (/metrics, /healthz, /readyz)`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function checkAll(
  checks: Record<string, ReadinessCheck>,
  timeoutMs: number,
  logger: Logger,
): Promise<Record<string, 'ok' | 'unavailable'>> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        // A dependency that accepts and never answers must not hang the probe.
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (error) {
        logger.warn({ err: error, check: name }, 'readiness check failed');
        return [name, 'unavailable'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(results);
}
