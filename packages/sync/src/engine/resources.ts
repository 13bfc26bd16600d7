import { type SchedulingEnv, type SecretBox, type WorkerEnv } from '@syncfleet/config';
import { sqlClientOf, type Db } from '@syncfleet/db';
import { createDispatcher, GraphClients, type TransportHooks } from '@syncfleet/graph';
import { RedisSlotLimiter } from '@syncfleet/queues';
import type { Logger } from '@syncfleet/telemetry';
import { cadenceFromEnv, WORKLOAD_NAMES, type Cadence, type WorkloadName } from '@syncfleet/workloads';
import type { Redis } from 'ioredis';
import { createClaimer } from './claim';
import { createFinishBatcher } from './finish-batch';
import type { EngineResources, EngineSettings, OwnerNotifier } from './types';

/** The engine's settings from the parsed environment (defaults live in the schema only). */
export function settingsFromEnv(env: SchedulingEnv): EngineSettings {
  return {
    cadence: Object.fromEntries(WORKLOAD_NAMES.map((name) => [name, cadenceFromEnv(name, env)])) as Record<
      WorkloadName,
      Cadence
    >,
    transientRetryDelaySec: env.TRANSIENT_RETRY_DELAY_SEC,
    transientMaxRetries: env.TRANSIENT_MAX_RETRIES,
    cycleBudgetMs: env.CYCLE_BUDGET_MS,
    claimLeaseMs: env.LOCK_DURATION_MS,
    pushSafetyPollSec: env.PUSH_SAFETY_POLL_SEC,
  };
}

/**
 * Owner notifications as structured log lines (level warn, `notice: owner`), which a log pipeline
 * can route to mail or chat; the alert records `notifiedAt`. Sending them as email through the
 * outgoing workload is future work.
 */
export function logNotifier(logger: Logger): OwnerNotifier {
  return {
    async notify(notice) {
      logger.warn({ notice: 'owner', ...notice }, `owner notification: ${notice.subject}`);
    },
  };
}

export interface EngineWiring {
  prisma: Db;
  redis: Redis;
  secretBox: SecretBox;
  logger: Logger;
  queuePrefix: string;
  settings: EngineSettings;
  host: string;
  caFile?: string;
  /** GRAPH_ALLOWED_HOSTS: hosts a profile may use besides Microsoft's endpoints. */
  graphAllowedHosts?: readonly string[];
  slotLeaseMs?: number;
  hooks?: TransportHooks;
  notifier?: OwnerNotifier;
}

/** Builds the resources a worker or the console needs, from already-created connections. */
export function createEngineResources(w: EngineWiring): EngineResources {
  const limiter = new RedisSlotLimiter(w.redis, { prefix: w.queuePrefix, leaseMs: w.slotLeaseMs });
  const graph = new GraphClients({
    limiter,
    dispatcher: createDispatcher(w.caFile),
    hooks: w.hooks,
    allowedHosts: w.graphAllowedHosts,
    // Decrypted only when a client is built; never logged, never kept beyond msal-node's config.
    loadSecret: async (profileId) => {
      const profile = await w.prisma.emailServerProfile.findUniqueOrThrow({
        where: { id: profileId },
        select: { clientSecretCiphertext: true, clientSecretKeyId: true },
      });
      // A SecretUnreadableError (a key this deployment lacks) is classified SecretUnreadable: one
      // permanent, profile-level failure (engine/classify.ts), not one per mailbox.
      return w.secretBox.open({
        keyId: profile.clientSecretKeyId,
        ciphertext: profile.clientSecretCiphertext,
      });
    },
  });
  const sql = sqlClientOf(w.prisma);
  const clock = () => new Date();
  return {
    prisma: w.prisma,
    sql,
    claims: createClaimer({ sql, clock, host: w.host, settings: w.settings }),
    finishes: createFinishBatcher(sql, w.host),
    graph,
    secretBox: w.secretBox,
    logger: w.logger,
    clock,
    settings: w.settings,
    notifier: w.notifier ?? logNotifier(w.logger),
    host: w.host,
  };
}

/** The engine wiring every app derives the same way from its parsed environment (worker, console). */
export function engineResourcesFromEnv(
  env: SchedulingEnv &
    Pick<WorkerEnv, 'QUEUE_PREFIX' | 'HOST_ID' | 'GRAPH_CA_FILE' | 'GRAPH_ALLOWED_HOSTS'> &
    Partial<Pick<WorkerEnv, 'SLOT_LEASE_MS'>>,
  connections: Pick<EngineWiring, 'prisma' | 'redis' | 'secretBox' | 'logger'> &
    Partial<Pick<EngineWiring, 'hooks'>>,
): EngineResources {
  return createEngineResources({
    ...connections,
    queuePrefix: env.QUEUE_PREFIX,
    settings: settingsFromEnv(env),
    host: env.HOST_ID,
    caFile: env.GRAPH_CA_FILE,
    graphAllowedHosts: env.GRAPH_ALLOWED_HOSTS,
    slotLeaseMs: env.SLOT_LEASE_MS,
  });
}
