import type { Writable } from 'node:stream';
import type { Db } from '@syncfleet/db';
import { createLogger } from '@syncfleet/telemetry';
import type { Redis } from 'ioredis';
import { createEngineResources } from '../engine/resources';
import type { EngineResources, EngineSettings } from '../engine/types';
import type { FleetFixture } from './fleet-fixture';

export const FAST_SETTINGS: EngineSettings = {
  incomingIntervalSec: 1,
  outgoingIntervalSec: 1,
  actMinIntervalSec: 1,
  actMaxIntervalSec: 2,
  actMaxIntervalWithIncomingSec: 3,
  transientRetryDelaySec: 0,
  transientMaxRetries: 2,
  cycleBudgetMs: 10_000,
  claimLeaseMs: 5_000,
};

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
  });
}
