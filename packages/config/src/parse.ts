import { z } from 'zod';
import { redactCredentials } from './redact';

/** Thrown at boot when the environment is wrong: one line per variable, each saying how to fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export type EnvSource = Record<string, string | undefined>;

/**
 * Parses `source` (normally process.env, passed in by an app's main.ts) against `schema`.
 * `hints` maps a variable to advice appended to its error.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  source: EnvSource,
  hints: Record<string, string> = {},
): z.output<S> {
  // Treat empty strings as unset, as shells and .env files commonly produce them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) {
    crossCheck(result.data as Record<string, unknown>);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    const received = cleaned[variable];
    const shown = received === undefined ? 'unset' : `got "${redact(variable, received)}"`;
    const hint = hints[variable] ? ` ${hints[variable]}` : '';
    return `${variable}: ${issue.message} (${shown}).${hint}`;
  });
  throw new ConfigError(problems);
}

/** Rules that span variables. */
function crossCheck(env: Record<string, unknown>): void {
  // On a Redis Cluster, BullMQ's scripts and the limiter's touch several keys at once: they must
  // hash to one slot, which a hash tag in the prefix guarantees (only the part in braces is hashed).
  if (env.REDIS_CLUSTER === true && !/\{[^}]+\}/.test(String(env.QUEUE_PREFIX ?? ''))) {
    throw new ConfigError([
      `QUEUE_PREFIX: needs a hash tag on a Redis Cluster (got "${String(env.QUEUE_PREFIX)}"). Example: {syncfleet}`,
    ]);
  }
}

function redact(variable: string, value: string): string {
  if (/SECRET|TOKEN|KEY|PASSWORD/i.test(variable)) return '***';
  // A value refused at boot may be a URL too malformed for the pattern below ("redis//u:pw@h"):
  // anything in front of an "@" is treated as credentials.
  return redactCredentials(value).replace(/[^\s/@]+@/g, (m) => (m === '***@' ? m : '***@'));
}

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

export const urlWithProtocol = (...protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
