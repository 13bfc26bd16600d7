import { timingSafeEqual } from 'node:crypto';
import { adminError, adminRoutes } from './admin/routes';
import { openIdConfiguration, tokenEndpoint } from './auth/entra';
import { createTokenSigner } from './auth/tokens';
import type { TokenSigner } from './auth/tokens';
import { DEFAULT_CONFIG } from './config';
import type { SimConfig } from './config';
import { createFaultStore } from './faults';
import type { FaultStore } from './faults';
import type { GraphDeps } from './graph/context';
import { createDeliveryLog } from './graph/deliveries';
import type { DeliveryLog } from './graph/deliveries';
import { createDeltaEngine } from './graph/delta';
import type { DeltaEngine } from './graph/delta';
import { messageRoutes } from './graph/message-routes';
import { createGraphPipeline } from './graph/pipeline';
import { calendarRoutes } from './graph/calendar-routes';
import { todoListExtensionRoutes } from './graph/todo-list-extensions';
import { pimRoutes } from './graph/pim-routes';
import { sendRoutes } from './graph/send-routes';
import { subscriptionRoutes } from './graph/subscription-routes';
import { createTransport } from './graph/transport';
import type { Transport } from './graph/transport';
import { userRoutes } from './graph/user-routes';
import { groupRoutes } from './graph/group-routes';
import { graphError } from './http/errors';
import { createRouter, splitPath } from './http/router';
import type { SimRequest, SimResponse } from './http/types';
import { createMetrics } from './metrics';
import type { Metrics } from './metrics';
import { createSubscriptionService } from './notify/subscriptions';
import type { SubscriptionService } from './notify/subscriptions';
import { createStore } from './store/store';
import type { Store } from './store/store';
import { createThrottle } from './throttle';
import type { Throttle } from './throttle';
import { createTraffic } from './traffic';
import type { Traffic } from './traffic';

export interface SimCore {
  store: Store;
  config: SimConfig;
  metrics: Metrics;
  throttle: Throttle;
  faults: FaultStore;
  delta: DeltaEngine;
  deliveries: DeliveryLog;
  transport: Transport;
  subscriptions: SubscriptionService;
  signer: TokenSigner;
  traffic: Traffic;
  log: (line: string) => void;
  resetAll: () => void;
  dispatch: (req: SimRequest) => Promise<SimResponse>;
  close: () => void;
}

/** Wires the simulator's parts together (the only place that does). */
export function createSimCore(options: {
  adminKey: string;
  caPem: string;
  config?: Partial<SimConfig>;
  idSeed?: string;
  log: (line: string) => void;
}): SimCore {
  const config: SimConfig = { ...DEFAULT_CONFIG, ...options.config };
  const store = createStore({ seed: options.idSeed });
  const metrics = createMetrics();
  const throttle = createThrottle({ config, metrics });
  const faults = createFaultStore();
  const delta = createDeltaEngine({ store, config });
  const deliveries = createDeliveryLog();
  const subscriptions = createSubscriptionService({
    store,
    config,
    caPem: options.caPem,
    metrics,
    log: options.log,
  });
  const signer = createTokenSigner();
  const traffic = createTraffic({ store, log: options.log, seed: options.idSeed, deliveries });
  const transport = createTransport({ store, deliveries, config });
  const graphDeps: GraphDeps = { store, config, delta, deliveries, subscriptions, metrics, transport };
  const pipeline = createGraphPipeline({ ...graphDeps, signer, faults, throttle, log: options.log }, [
    ...userRoutes(),
    ...groupRoutes(),
    ...messageRoutes(),
    ...sendRoutes(),
    ...calendarRoutes(),
    ...pimRoutes(),
    ...todoListExtensionRoutes(),
    ...subscriptionRoutes(),
  ]);
  const admin = createRouter(adminRoutes());
  const adminKey = Buffer.from(options.adminKey);

  const core: SimCore = {
    store,
    config,
    metrics,
    throttle,
    faults,
    delta,
    deliveries,
    transport,
    subscriptions,
    signer,
    traffic,
    log: options.log,
    resetAll: () => {
      traffic.stop();
      transport.clear();
      subscriptions.clear();
      faults.clear();
      delta.evict();
      throttle.reset();
      store.reset(options.idSeed);
    },
    dispatch,
    close: () => {
      traffic.stop();
      transport.clear();
      subscriptions.close();
    },
  };

  function adminAuthorized(req: SimRequest): boolean {
    const given = Buffer.from(req.headers['x-sim-admin-key'] ?? '');
    return given.length === adminKey.length && timingSafeEqual(given, adminKey);
  }

  async function dispatch(req: SimRequest): Promise<SimResponse> {
    if (req.path.startsWith('/v1.0/')) {
      if (req.body && typeof req.body === 'object' && '__invalidJson' in req.body) {
        return graphError(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
      }
      return pipeline.handle(req);
    }
    const segments = splitPath(req.path);
    if (segments[0] === '_sim') {
      if (!adminAuthorized(req)) return adminError(401, 'missing or wrong x-sim-admin-key header');
      if (req.body && typeof req.body === 'object' && '__invalidJson' in req.body)
        return adminError(400, 'body is not valid JSON');
      const match = admin.match(req.method, segments.slice(1));
      return match
        ? match.route.handler(core, match.params, req)
        : adminError(404, `no admin route ${req.method} ${req.path}`);
    }
    // Entra ID: /{tenant}/oauth2/v2.0/token and /{tenant}/v2.0/.well-known/openid-configuration
    const [tenant = '', a, b, c] = segments;
    if (req.method === 'POST' && a === 'oauth2' && b === 'v2.0' && c === 'token') {
      return tokenEndpoint(req, tenant, {
        store,
        signer,
        lifetimeSeconds: () => config.tokenLifetimeSeconds,
      });
    }
    if (req.method === 'GET' && a === 'v2.0' && b === '.well-known' && c === 'openid-configuration') {
      return { status: 200, body: openIdConfiguration(req.baseUrl, tenant) };
    }
    if (req.method === 'GET' && a === 'discovery' && b === 'v2.0' && c === 'keys') {
      return { status: 200, body: { keys: [] } };
    }
    return graphError(404, 'NotFound', `No route for ${req.method} ${req.path}`);
  }

  return core;
}
