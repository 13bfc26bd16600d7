import type { SecretBox } from '@syncfleet/config';
import type { Db, EmailServerProfile, Mailbox, Prisma, SqlClient } from '@syncfleet/db';
import type { GraphClients, MailboxGraph } from '@syncfleet/graph';
import type { Cadence, WorkloadName } from '@syncfleet/workloads';
import type { Logger } from '@syncfleet/telemetry';
import type { Claimer } from './claim';
import type { FinishBatcher, SyncPosition } from './finish-batch';

export type Clock = () => Date;

/** The scheduling and error-policy settings (docs/dynamics-server-side-sync.md#scheduling, #error-policy). */
export interface EngineSettings {
  /** Each workload's cadence (packages/workloads, overridden by its `*_INTERVAL_SEC` variables). */
  cadence: Record<WorkloadName, Cadence>;
  transientRetryDelaySec: number;
  transientMaxRetries: number;
  cycleBudgetMs: number;
  /** How long a claim lives without renewal (a killed worker's mailbox comes back after it). */
  claimLeaseMs: number;
  /** Poll interval while the workload's change-notification subscriptions are healthy (push). */
  pushSafetyPollSec?: number;
}

/** Told when a permanent failure needs a person (the profile owner). */
export interface OwnerNotifier {
  notify(notice: {
    ownerEmail: string | null;
    profileId: string;
    alertId: string;
    subject: string;
    body: string;
  }): Promise<void>;
}

/** Everything a cycle may touch, passed explicitly (wired in each app's main.ts). */
export interface EngineResources {
  prisma: Db;
  /** Claims due workloads for their jobs, many per statement (claim.ts). */
  claims: Claimer;
  /** Records finished cycles, many per statement (finish-batch.ts). */
  finishes: FinishBatcher;
  /** Plain SQL on Prisma's own pool, for the cycle's hot statements (claim, finish). */
  sql: SqlClient;
  graph: GraphClients;
  secretBox: SecretBox;
  logger: Logger;
  clock: Clock;
  settings: EngineSettings;
  notifier: OwnerNotifier;
  host: string;
}

export type MailboxWithProfile = Mailbox & { profile: EmailServerProfile };

export interface CycleContext {
  mailbox: MailboxWithProfile;
  workload: WorkloadName;
  graph: MailboxGraph;
  prisma: Db;
  logger: Logger;
  clock: Clock;
  /** Aborted when the cycle's budget is spent, the worker shuts down, or the claim was lost. */
  signal: AbortSignal;
  /** Epoch ms by which the cycle should have saved its progress and returned. */
  deadline: number;
  /** What the previous cycle saved (null the first time). */
  checkpoint: Prisma.JsonValue | null;
  /** What the handler's `preload` selected together with the claim (absent when run without a claim). */
  preloaded?: unknown;
}

export interface CycleResult {
  itemsProcessed: number;
  itemsFailed: number;
  /** The cycle stopped early (budget) with progress saved: run again soon. */
  yielded?: boolean;
  checkpoint?: Prisma.InputJsonValue | null;
  /**
   * Sync positions reached through pages that had nothing to apply (an idle delta round's new
   * deltaLink): saved with the cycle's record, so an idle cycle needs no statement of its own.
   * Dropped if the cycle fails or lost its claim — the next cycle then reads those pages again.
   */
  positions?: SyncPosition[];
}

/** What a workload does in one cycle. One per workload: a missing handler fails to compile. */
export interface WorkloadHandler {
  readonly workload: WorkloadName;
  /**
   * A SQL expression (e.g. a JSON aggregate) selected in the same statement as the claim, so a
   * cycle's first reads cost no round trip of their own. `mailboxId` refers to the claimed row's
   * mailbox. Its value reaches `run` as `context.preloaded`.
   */
  preload?(mailboxId: Prisma.Sql): Prisma.Sql;
  run(context: CycleContext): Promise<CycleResult>;
}

export type WorkloadHandlers = { [W in WorkloadName]: WorkloadHandler & { workload: W } };
