/**
 * The one definition of Syncfleet's workloads. A leaf module: the queue catalog, the configuration
 * schema (cadence and concurrency variables), the database enum mapping, the API schemas and views,
 * the CLI columns, the worker's concurrency and Test & Enable's probes all derive from this table.
 *
 * Adding a workload: one entry here, a value in the `Workload` enum of prisma/schema.prisma with
 * its SQL migration (`ALTER TYPE "Workload" ADD VALUE ...`), and its handler folder under
 * packages/sync/src/<name>/ registered in packages/sync/src/handlers.ts. Forgetting the enum value
 * or the handler fails to compile (packages/db/src/workloads.ts, WorkloadHandlers).
 */

/** How often a workload runs (docs/dynamics-server-side-sync.md#scheduling). */
export type Cadence =
  /** The same interval after every cycle. */
  | { kind: 'fixed'; intervalSec: number }
  /**
   * Busy mailboxes come back at the minimum, quiet ones stretch toward the maximum — a wider one
   * when incoming email is also on for the mailbox (its cycles already notice activity).
   */
  | { kind: 'adaptive'; minIntervalSec: number; maxIntervalSec: number; maxIntervalWithIncomingSec: number };

export interface WorkloadDefinition {
  /** Prisma's member of the `Workload` enum (its database label is the workload's name). */
  readonly dbEnum: string;
  /** Stem of the workload's environment variables: `<SUFFIX>_INTERVAL_SEC`, `WORKER_CONCURRENCY_<SUFFIX>`. */
  readonly envSuffix: string;
  /** What a person reads in the console and the CLI. */
  readonly label: string;
  readonly description: string;
  /** Default cadence; each number can be overridden by its environment variable. */
  readonly cadence: Cadence;
  /** Default number of cycles one worker process runs at once for this workload. */
  readonly defaultConcurrency: number;
  /** The Graph read Test & Enable (and the probe handler) does to check the workload's rights. */
  probe(userPath: string): string;
}

export const WORKLOAD_DEFINITIONS = {
  'incoming-email': {
    dbEnum: 'IncomingEmail',
    envSuffix: 'INCOMING',
    label: 'Incoming email',
    description: 'Inbox and tracked folders: promote received mail',
    cadence: { kind: 'fixed', intervalSec: 300 },
    defaultConcurrency: 20,
    probe: (u) => `${u}/mailFolders/inbox?$select=id,totalItemCount,unreadItemCount`,
  },
  'outgoing-email': {
    dbEnum: 'OutgoingEmail',
    envSuffix: 'OUTGOING',
    label: 'Outgoing email',
    description: 'Send emails waiting in Pending Send',
    cadence: { kind: 'fixed', intervalSec: 300 },
    defaultConcurrency: 20,
    probe: (u) => `${u}/mailFolders/drafts?$select=id,totalItemCount`,
  },
  act: {
    dbEnum: 'Act',
    envSuffix: 'ACT',
    label: 'Appointments, contacts and tasks',
    description: 'Appointments, contacts and tasks, both ways',
    cadence: { kind: 'adaptive', minIntervalSec: 300, maxIntervalSec: 720, maxIntervalWithIncomingSec: 900 },
    defaultConcurrency: 20,
    probe: (u) => `${u}/events?$top=1&$select=id`,
  },
} as const satisfies Record<string, WorkloadDefinition>;

export type WorkloadName = keyof typeof WORKLOAD_DEFINITIONS;
type Definitions = typeof WORKLOAD_DEFINITIONS;

/** Every workload, in the order the console and the CLI show them. */
export const WORKLOAD_NAMES = Object.keys(WORKLOAD_DEFINITIONS) as [WorkloadName, ...WorkloadName[]];

/** Prisma's enum member of each workload. */
export type WorkloadDbEnum<W extends WorkloadName = WorkloadName> = Definitions[W]['dbEnum'];
export type WorkloadEnvSuffix<W extends WorkloadName = WorkloadName> = Definitions[W]['envSuffix'];

export function workloadDefinition<W extends WorkloadName>(name: W): Definitions[W] {
  return WORKLOAD_DEFINITIONS[name];
}

export function isWorkloadName(value: unknown): value is WorkloadName {
  return typeof value === 'string' && Object.hasOwn(WORKLOAD_DEFINITIONS, value);
}

/** `WORKER_CONCURRENCY_<SUFFIX>`: how many cycles of the workload one worker process runs at once. */
export type ConcurrencyVariable<W extends WorkloadName = WorkloadName> = W extends WorkloadName
  ? `WORKER_CONCURRENCY_${WorkloadEnvSuffix<W>}`
  : never;

export function concurrencyVariable<W extends WorkloadName>(name: W): ConcurrencyVariable<W> {
  return `WORKER_CONCURRENCY_${WORKLOAD_DEFINITIONS[name].envSuffix}` as ConcurrencyVariable<W>;
}

/** The environment variables of a workload's cadence, each with its default. */
export function cadenceVariables(name: WorkloadName): { variable: string; defaultSec: number }[] {
  const { envSuffix: s, cadence } = WORKLOAD_DEFINITIONS[name];
  switch (cadence.kind) {
    case 'fixed':
      return [{ variable: `${s}_INTERVAL_SEC`, defaultSec: cadence.intervalSec }];
    case 'adaptive':
      return [
        { variable: `${s}_MIN_INTERVAL_SEC`, defaultSec: cadence.minIntervalSec },
        { variable: `${s}_MAX_INTERVAL_SEC`, defaultSec: cadence.maxIntervalSec },
        { variable: `${s}_MAX_INTERVAL_WITH_INCOMING_SEC`, defaultSec: cadence.maxIntervalWithIncomingSec },
      ];
  }
}

type CadenceVariableOf<W extends WorkloadName> = Definitions[W]['cadence'] extends { kind: 'fixed' }
  ? `${WorkloadEnvSuffix<W>}_INTERVAL_SEC`
  : | `${WorkloadEnvSuffix<W>}_MIN_INTERVAL_SEC`
    | `${WorkloadEnvSuffix<W>}_MAX_INTERVAL_SEC`
    | `${WorkloadEnvSuffix<W>}_MAX_INTERVAL_WITH_INCOMING_SEC`;

/** Every cadence variable name, as a type (the configuration schema's keys). */
export type CadenceVariable = { [W in WorkloadName]: CadenceVariableOf<W> }[WorkloadName];

/** A workload's cadence as configured: read from the parsed environment (defaults applied there). */
export function cadenceFromEnv(name: WorkloadName, env: Readonly<Record<CadenceVariable, number>>): Cadence {
  const { envSuffix: s, cadence } = WORKLOAD_DEFINITIONS[name];
  const read = (variable: string): number => {
    const value = (env as Readonly<Record<string, unknown>>)[variable];
    if (typeof value !== 'number') throw new Error(`${variable} is missing from the parsed environment`);
    return value;
  };
  switch (cadence.kind) {
    case 'fixed':
      return { kind: 'fixed', intervalSec: read(`${s}_INTERVAL_SEC`) };
    case 'adaptive':
      return {
        kind: 'adaptive',
        minIntervalSec: read(`${s}_MIN_INTERVAL_SEC`),
        maxIntervalSec: read(`${s}_MAX_INTERVAL_SEC`),
        maxIntervalWithIncomingSec: read(`${s}_MAX_INTERVAL_WITH_INCOMING_SEC`),
      };
  }
}
