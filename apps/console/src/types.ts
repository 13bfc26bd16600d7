import type { SecretBox } from '@syncfleet/config';
import type { Db } from '@syncfleet/db';
import type { WorkloadName, WorkloadQueues } from '@syncfleet/queues';
import type { Logger } from '@syncfleet/telemetry';
import type { AuthFailureLimit } from './auth';
import type { BulkRunner } from './bulk';
import type { UploadBudget } from './upload-budget';

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

/** A directory group as the tenant import names it (`TenantGroup` in @syncfleet/sync). */
export interface TenantGroupRef {
  id: string;
  displayName: string;
  mail: string | null;
}

export interface ConsoleDeps {
  prisma: Db;
  queues: WorkloadQueues;
  secretBox: SecretBox;
  logger: Logger;
  /** Compared in constant time with the bearer token (or the Basic password) of every admin request. */
  adminToken: string;
  testAndEnable: (mailboxId: string, options?: { overwrite?: boolean }) => Promise<TestAndEnableResult>;
  /** The profile's tenant users and shared mailboxes through Graph, page by page (tenant import). */
  listTenantUsers?: (
    profileId: string,
  ) => AsyncIterable<{ graphUserId: string; address: string; displayName: string | null; shared: boolean }[]>;
  /**
   * The profile's directory groups (tenant import by group): one found by object id, mail address
   * or display name, and its users page by page, nested groups included.
   */
  tenantGroups?: {
    find: (
      profileId: string,
      selector: string,
    ) => Promise<{ found: TenantGroupRef } | { notFound: true } | { ambiguous: TenantGroupRef[] }>;
    members: (
      profileId: string,
      groupId: string,
    ) => AsyncIterable<
      { graphUserId: string; address: string; displayName: string | null; shared: boolean }[]
    >;
  };
  /** GRAPH_ALLOWED_HOSTS: hosts a profile's URLs may use besides Microsoft's endpoints. */
  graphAllowedHosts?: readonly string[];
  clock?: () => Date;
  security?: ConsoleSecurity;
}

/** Limits and trust settings of the HTTP surface (defaults in app.ts). */
export interface ConsoleSecurity {
  /** Failed authentications per client address and window before the address gets 429. */
  authFailureLimit?: AuthFailureLimit;
  /** Bytes of large request bodies the process buffers at once (POST /api/emails). */
  uploadBudgetBytes?: number;
  /** The budget itself, when a test wants to watch it (otherwise made from uploadBudgetBytes). */
  uploads?: UploadBudget;
  /** Origins besides the console's own that may send state-changing requests (a dashboard's). */
  allowedOrigins?: string[];
  /** Fastify's trustProxy: the Ingress in front, so the client address is the real one. */
  trustProxy?: boolean | string;
}

/** What route modules receive: the deps with the clock resolved and the shared upload budget. */
export type RouteDeps = Omit<ConsoleDeps, 'clock'> & {
  clock: () => Date;
  uploads: UploadBudget;
  /** Runs bulk operations in the background (bulk.ts). */
  bulk: BulkRunner;
};

export type { WorkloadName };
