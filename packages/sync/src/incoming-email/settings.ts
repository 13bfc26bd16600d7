import { incomingEnvSchema, type IncomingEnv, type WorkerEnv } from '@syncfleet/config';
import type { IncomingFilter } from '@syncfleet/db';

/** The incoming workload's settings (packages/config incoming-env.ts, README "Incoming email"). */
export interface IncomingSettings {
  defaultFilter: IncomingFilter;
  maxItemsPerCycle: number;
  pageSize: number;
  attachmentMaxBytes: number;
  trackingTokenPrefix: string;
  smartMatching: boolean;
}

export function incomingSettingsFromEnv(env: Partial<WorkerEnv> = {}): IncomingSettings {
  const e: IncomingEnv = { ...incomingEnvSchema.parse({}), ...definedOnly(env) };
  return {
    defaultFilter: e.INCOMING_DEFAULT_FILTER,
    maxItemsPerCycle: e.INCOMING_MAX_ITEMS_PER_CYCLE,
    pageSize: e.INCOMING_PAGE_SIZE,
    attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES,
    trackingTokenPrefix: e.TRACKING_TOKEN_PREFIX,
    smartMatching: e.SMART_MATCHING,
  };
}

function definedOnly(env: Partial<WorkerEnv>): Partial<IncomingEnv> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(incomingEnvSchema.shape)) {
    const value = (env as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as Partial<IncomingEnv>;
}
