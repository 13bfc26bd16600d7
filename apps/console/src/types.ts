import type { SecretBox } from '@syncfleet/config';
import type { Db } from '@syncfleet/db';
import type { WorkloadName, WorkloadQueues } from '@syncfleet/queues';
import type { Logger } from '@syncfleet/telemetry';

/**
 * The result of Test & Enable. Same shape as `TestAndEnableResult` in @syncfleet/sync, which owns
 * it; kept here until the console imports that one.
 */
export interface TestAndEnableResult {
  mailboxId: string;
  ok: boolean;
  checks: { name: string; ok: boolean; code?: string; message?: string }[];
  workloads: Record<WorkloadName, 'enabled' | 'failed' | 'not-configured'>;
}

export interface ConsoleDeps {
  prisma: Db;
  queues: WorkloadQueues;
  secretBox: SecretBox;
  logger: Logger;
  /** Compared in constant time with the bearer token (or the Basic password) of every admin request. */
  adminToken: string;
  testAndEnable: (mailboxId: string) => Promise<TestAndEnableResult>;
  clock?: () => Date;
}

/** What route modules receive: the deps with the clock resolved. */
export type RouteDeps = Omit<ConsoleDeps, 'clock'> & { clock: () => Date };

export type { WorkloadName };
