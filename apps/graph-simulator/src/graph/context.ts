import type { TokenClaims } from '../auth/tokens';
import type { SimConfig } from '../config';
import type { SimResponse } from '../http/types';
import type { Metrics } from '../metrics';
import type { Mailbox } from '../store/model';
import type { Store } from '../store/store';
import type { DeltaEngine } from './delta';
import type { DeliveryLog } from './deliveries';
import type { Transport } from './transport';
import type { SubscriptionService } from '../notify/subscriptions';

export interface GraphDeps {
  store: Store;
  config: SimConfig;
  delta: DeltaEngine;
  deliveries: DeliveryLog;
  subscriptions: SubscriptionService;
  metrics: Metrics;
  transport: Transport;
}

export interface GraphCtx {
  deps: GraphDeps;
  claims: TokenClaims;
  /** Set for `/users/{id|upn}/...` routes. */
  mailbox?: Mailbox;
}

export function mailboxOf(ctx: GraphCtx): Mailbox {
  if (!ctx.mailbox) throw new Error('route requires a mailbox');
  return ctx.mailbox;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): SimResponse {
  return { status, body, headers };
}

export function asObject(body: unknown): Record<string, unknown> | undefined {
  return body && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}
