import type { SecretBox } from '@syncfleet/config';
import type { Db, EmailServerProfile, Mailbox, Prisma } from '@syncfleet/db';
import type { GraphClients, MailboxGraph } from '@syncfleet/graph';
import type { Cadence, WorkloadName } from '@syncfleet/workloads';
import type { Logger } from '@syncfleet/telemetry';

export type Clock = () => Date;

/** The scheduling and error-policy settings (SSS-NOTES "Scheduling" and "Errors"). */
export interface EngineSettings {
  /** Each workload's cadence (packages/workloads, overridden by its `*_INTERVAL_SEC` variables). */
  cadence: Record<WorkloadName, Cadence>;
  transientRetryDelaySec: number;
  transientMaxRetries: number;
  cycleBudgetMs: number;
  /** How long a claim lives without renewal (a killed worker's mailbox comes back after it). */
  claimLeaseMs: number;
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
}

export interface CycleResult {
  itemsProcessed: number;
  itemsFailed: number;
  /** The cycle stopped early (budget) with progress saved: run again soon. */
  yielded?: boolean;
  checkpoint?: Prisma.InputJsonValue | null;
}

/** What a workload does in one cycle. One per workload: a missing handler fails to compile. */
export interface WorkloadHandler {
  readonly workload: WorkloadName;
  run(context: CycleContext): Promise<CycleResult>;
}

export type WorkloadHandlers = { [W in WorkloadName]: WorkloadHandler & { workload: W } };
