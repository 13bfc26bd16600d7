import type { Writable } from 'node:stream';
import type { Db } from '@syncfleet/db';
import { createLogger } from '@syncfleet/telemetry';
import type { Redis } from 'ioredis';
import { parseEnv, schedulingEnvSchema } from '@syncfleet/config';
import { createEngineResources, settingsFromEnv } from '../engine/resources';
import type { EngineResources, EngineSettings } from '../engine/types';
import type { FleetFixture } from './fleet-fixture';

/** Short cadences for tests, parsed by the same schema as production's environment. */
export const FAST_SETTINGS: EngineSettings = settingsFromEnv(
  parseEnv(schedulingEnvSchema, {
    INCOMING_INTERVAL_SEC: '1',
    OUTGOING_INTERVAL_SEC: '1',
    ACT_MIN_INTERVAL_SEC: '1',
    ACT_MAX_INTERVAL_SEC: '2',
    ACT_MAX_INTERVAL_WITH_INCOMING_SEC: '3',
    TRANSIENT_RETRY_DELAY_SEC: '0',
    TRANSIENT_MAX_RETRIES: '2',
    CYCLE_BUDGET_MS: '10000',
    LOCK_DURATION_MS: '5000',
  }),
);

/** Engine resources for in-process tests, trusting the fixture simulator's CA. */
export function testEngineResources(
  fixture: FleetFixture,
  deps: {
    prisma: Db;
    redis: Redis;
    prefix: string;
    logStream?: Writable;
    settings?: Partial<EngineSettings>;
  },
): EngineResources {
  return createEngineResources({
    prisma: deps.prisma,
    redis: deps.redis,
    secretBox: fixture.secretBox,
    logger: createLogger({
      name: 'test',
      level: deps.logStream ? 'debug' : 'silent',
      destination: deps.logStream,
    }),
    queuePrefix: deps.prefix,
    settings: { ...FAST_SETTINGS, ...deps.settings },
    host: 'test-host',
    caFile: fixture.sim.caPath,
    graphAllowedHosts: [new URL(fixture.sim.url).host],
  });
}
