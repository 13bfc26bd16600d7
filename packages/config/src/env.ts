import { hostname } from 'node:os';
import { z } from 'zod';
import { incomingEnvSchema } from './incoming-env';
import { outgoingEnvSchema } from './outgoing-env';
import {
  cadenceVariables,
  concurrencyVariable,
  WORKLOAD_DEFINITIONS,
  WORKLOAD_NAMES,
  type CadenceVariable,
  type ConcurrencyVariable,
  type WorkloadName,
} from '@syncfleet/workloads';
import { bool, int, parseWith, urlWithProtocol, type EnvSource } from './parse';

export type { WorkloadName };

type IntSetting = z.ZodDefault<ReturnType<typeof int>>;

/** `<SUFFIX>_INTERVAL_SEC` (or MIN/MAX for adaptive cadences) of every workload, from its definition. */
const cadenceShape = Object.fromEntries(
  WORKLOAD_NAMES.flatMap((name) =>
    cadenceVariables(name).map(({ variable, defaultSec }) => [variable, int(0).default(defaultSec)]),
  ),
) as Record<CadenceVariable, IntSetting>;

/** `WORKER_CONCURRENCY_<SUFFIX>` of every workload, from its definition. */
const concurrencyShape = Object.fromEntries(
  WORKLOAD_NAMES.map((name) => [
    concurrencyVariable(name),
    int(1, 1000).default(WORKLOAD_DEFINITIONS[name].defaultConcurrency),
  ]),
) as Record<ConcurrencyVariable, IntSetting>;

const secretKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=$/, 'must be "<keyId>:<base64 of 32 bytes>"');

/** Settings every process shares. */
export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: urlWithProtocol('postgresql:', 'postgres:').default(
    'postgresql://postgres@127.0.0.1:5432/syncfleet',
  ),
  REDIS_URL: urlWithProtocol('redis:', 'rediss:').default('redis://127.0.0.1:6379'),
  /** REDIS_URL names one node of a Redis Cluster (QUEUE_PREFIX then needs a hash tag: `{syncfleet}`). */
  REDIS_CLUSTER: bool.default(false),
  /**
   * BullMQ key prefix: several fleets (or test files) can share one Redis. A Redis Cluster needs a
   * hash tag, e.g. `{syncfleet}`, so every queue's keys and the limiter's are in one slot.
   */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_.:{}-]+$/)
    .default('syncfleet'),
  HOST_ID: z.string().min(1).default(hostname()),
  /**
   * The operations port (/metrics, /healthz, /readyz) every role serves. Unset: none (developer
   * machines run several workers side by side); the image sets 9464; 0 picks a free port (tests).
   */
  OPS_PORT: int(0, 65535).optional(),
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
});

/** Encryption of secrets at rest (AES-256-GCM); the first key encrypts, all keys decrypt. */
export const secretsEnvSchema = z.object({
  SECRET_KEYS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(secretKey).min(1)),
});

/** Trust for the Graph/Entra endpoints: an extra CA (the simulator's), never disabled verification. */
export const graphEnvSchema = z.object({
  GRAPH_CA_FILE: z.string().optional(),
  /**
   * Hosts ("host" or "host:port") a profile's authority or Graph URL may use besides Microsoft's
   * documented cloud endpoints — the Graph simulator in the demo and tests. Comma-separated.
   */
  GRAPH_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/, 'must be "host" or "host:port"'),
      ),
    ),
});

export const schedulingEnvSchema = z.object({
  SCHEDULER_TICK_MS: int(50).default(5_000),
  SCHEDULER_BATCH_SIZE: int(1, 10_000).default(1_000),
  /** A due workload queued this long ago is queued again (its job may have been lost). */
  SCHEDULER_REQUEUE_AFTER_SEC: int(1).default(60),
  ...cadenceShape,
  TRANSIENT_RETRY_DELAY_SEC: int(0).default(300),
  TRANSIENT_MAX_RETRIES: int(0, 1000).default(10),
  CYCLE_BUDGET_MS: int(100).default(120_000),
  /**
   * How long a cycle's claim (and its BullMQ job lock) lives without renewal: a killed worker's
   * mailbox is free again after it.
   */
  LOCK_DURATION_MS: int(1000).default(60_000),
  SYNC_RUN_RETENTION_DAYS: int(1).default(30),
  /** Poll interval while a workload's change-notification subscriptions are healthy (push). */
  PUSH_SAFETY_POLL_SEC: int(1).default(3600),
});

export const workerEnvSchema = z.object({
  WORKLOADS: z
    .string()
    .default(WORKLOAD_NAMES.join(','))
    .transform((v) => [...new Set(v.split(',').map((s) => s.trim()))])
    .pipe(z.array(z.enum(WORKLOAD_NAMES)).min(1)),
  ...concurrencyShape,
  SHUTDOWN_GRACE_MS: int(0).default(30_000),
  /** How long a connection-slot lease lives without renewal (a killed replica's slots come back). */
  SLOT_LEASE_MS: int(500).default(30_000),
  /**
   * Finished jobs kept per queue for Bull Board (with the mailbox address and the outcome), each
   * bounded by count and by age; older or surplus ones are removed as new jobs finish.
   */
  JOBS_KEEP_COMPLETED: int(0, 100_000).default(200),
  JOBS_KEEP_FAILED: int(0, 100_000).default(200),
  JOBS_KEEP_AGE_SEC: int(1).default(3_600),
});

/**
 * A basic entropy estimate for a token: length × the Shannon entropy of its character frequencies.
 * It cannot prove randomness, but it refuses "aaaa…", "passwordpassword…" and short tokens.
 */
export function estimatedEntropyBits(token: string): number {
  const counts = new Map<string, number>();
  for (const c of token) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / token.length) * Math.log2(n / token.length);
  return perChar * token.length;
}

/** `openssl rand -hex 32` gives 64 characters and about 250 bits by this estimate. */
export const adminToken = z
  .string()
  .min(32, 'must be at least 32 characters')
  .refine((t) => new Set(t).size >= 10 && estimatedEntropyBits(t) >= 96 && !isPeriodic(t), {
    message: 'looks guessable (too few distinct characters or too repetitive)',
  })
  .refine((t) => !/change-?me/i.test(t), { message: 'is still the example placeholder' });

/** "abcdabcdabcd…": the token repeats a shorter unit. */
function isPeriodic(token: string): boolean {
  for (let period = 1; period <= token.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < token.length && repeats; i++) repeats = token[i] === token[i - period];
    if (repeats) return true;
  }
  return false;
}

export const consoleEnvSchema = z.object({
  CONSOLE_HOST: z.string().default('127.0.0.1'),
  CONSOLE_PORT: int(0, 65535).default(3000),
  ADMIN_TOKEN: adminToken,
  /** Failed authentications per client address per minute before it is refused (429). */
  CONSOLE_AUTH_MAX_FAILURES: int(1, 10_000).default(20),
  /** Origins (besides the console's own) allowed to send state-changing requests, comma-separated. */
  CONSOLE_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(urlWithProtocol('https:', 'http:'))),
  /**
   * Addresses of the proxies in front (the Ingress controller), so rate limits see the client's
   * address from X-Forwarded-For: "true", or a comma-separated list of IPs/CIDRs.
   */
  CONSOLE_TRUST_PROXY: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === 'false' ? false : v === 'true' ? true : v)),
  /** Bytes of large request bodies (POST /api/emails) one console buffers at once. */
  CONSOLE_UPLOAD_BUDGET_BYTES: int(1024 * 1024).default(32 * 1024 * 1024),
});

const HINTS: Record<string, string> = {
  DATABASE_URL: 'Example: postgresql://postgres@127.0.0.1:5432/syncfleet',
  REDIS_URL: 'Example: redis://127.0.0.1:6379',
  SECRET_KEYS:
    'Generate one with: echo "k1:$(openssl rand -base64 32)". To rotate, put the new key first and keep the old ones after it.',
  ADMIN_TOKEN: 'Generate one with: openssl rand -hex 32',
  WORKLOADS: `Comma-separated list of: ${WORKLOAD_NAMES.join(', ')}`,
  GRAPH_ALLOWED_HOSTS:
    "Example: 127.0.0.1:4443,graph-simulator:4443 (Microsoft's endpoints are always allowed)",
};

export const schedulerEnvSchema = baseEnvSchema.extend(schedulingEnvSchema.shape);
export const workerProcessEnvSchema = baseEnvSchema
  .extend(secretsEnvSchema.shape)
  .extend(graphEnvSchema.shape)
  .extend(schedulingEnvSchema.shape)
  .extend(workerEnvSchema.shape)
  .extend(incomingEnvSchema.shape)
  .extend(outgoingEnvSchema.shape);
export const consoleProcessEnvSchema = baseEnvSchema
  .extend(secretsEnvSchema.shape)
  .extend(graphEnvSchema.shape)
  .extend(schedulingEnvSchema.shape)
  .extend(consoleEnvSchema.shape);

export type BaseEnv = z.output<typeof baseEnvSchema>;
export type SchedulingEnv = z.output<typeof schedulingEnvSchema>;
export type SchedulerEnv = z.output<typeof schedulerEnvSchema>;
export type WorkerEnv = z.output<typeof workerProcessEnvSchema>;
export type ConsoleEnv = z.output<typeof consoleProcessEnvSchema>;

export const parseBaseEnv = (source: EnvSource): BaseEnv => parseWith(baseEnvSchema, source, HINTS);
export const parseSchedulerEnv = (source: EnvSource): SchedulerEnv =>
  parseWith(schedulerEnvSchema, source, HINTS);
export const parseWorkerEnv = (source: EnvSource): WorkerEnv =>
  parseWith(workerProcessEnvSchema, source, HINTS);
export const parseConsoleEnv = (source: EnvSource): ConsoleEnv =>
  parseWith(consoleProcessEnvSchema, source, HINTS);

/** The generic entry point: parse any of the schemas above with the shared hints. */
export function parseEnv<S extends z.ZodType>(schema: S, source: EnvSource): z.output<S> {
  return parseWith(schema, source, HINTS);
}

export { bool };
