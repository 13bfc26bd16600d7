import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@syncfleet/testing';
import type { EngineResources, EngineSettings } from '../engine/types';
import { testEngineResources } from './engine-resources';
import { createFleetFixture, type FleetFixture, type FleetFixtureOptions } from './fleet-fixture';

export interface EngineHarness {
  db: TestDatabase;
  redis: TestRedis;
  fx: FleetFixture;
  res: EngineResources;
}

/**
 * Registers beforeAll/afterAll for an in-process engine test: the file's own database and queue
 * prefix, a simulator fixture, and engine resources trusting its CA. The returned object is filled
 * in before the file's tests (and its later beforeAll hooks) run.
 */
export function useEngineHarness(
  label: string,
  fixture: FleetFixtureOptions,
  settings?: Partial<EngineSettings>,
): EngineHarness {
  const h = {} as EngineHarness;
  beforeAll(async () => {
    [h.db, h.redis] = await Promise.all([createTestDatabase(label), createTestRedis(label)]);
    h.fx = await createFleetFixture(h.db.prisma, fixture);
    h.res = testEngineResources(h.fx, {
      prisma: h.db.prisma,
      redis: h.redis.redis,
      prefix: h.redis.prefix,
      settings,
    });
  });
  afterAll(async () => {
    await h.fx?.close();
    await Promise.all([h.db?.drop(), h.redis?.cleanup()]);
  });
  return h;
}
