import type { IncomingEnv } from '@syncfleet/config';
import type { IncomingFilter } from '@syncfleet/db';
import { FILTERED_DELTA_MAX_ITEMS } from './round-start';

/** The incoming workload's settings (packages/config incoming-env.ts, README "Incoming email"). */
export interface IncomingSettings {
  defaultFilter: IncomingFilter;
  maxItemsPerCycle: number;
  pageSize: number;
  attachmentMaxBytes: number;
  trackingTokenPrefix: string;
  smartMatching: boolean;
  /** Graph's cap on a filtered message delta (round-start.ts); lower only in tests. */
  filteredDeltaMaxItems: number;
}

/** From the parsed environment: every default lives in the schema (packages/config incoming-env.ts). */
export function incomingSettingsFromEnv(env: IncomingEnv): IncomingSettings {
  return {
    defaultFilter: env.INCOMING_DEFAULT_FILTER,
    maxItemsPerCycle: env.INCOMING_MAX_ITEMS_PER_CYCLE,
    pageSize: env.INCOMING_PAGE_SIZE,
    attachmentMaxBytes: env.ATTACHMENT_MAX_BYTES,
    trackingTokenPrefix: env.TRACKING_TOKEN_PREFIX,
    smartMatching: env.SMART_MATCHING,
    filteredDeltaMaxItems: FILTERED_DELTA_MAX_ITEMS,
  };
}
