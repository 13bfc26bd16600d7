import { createWorkloadHandlers } from '@syncfleet/sync';
import { runMain } from '@syncfleet/telemetry';
import { killingAt, parseCrashAt } from '../../../../packages/sync/src/outgoing-email/testing/crash-hooks';
import { runWorker } from '../run';

/**
 * Test-only worker entry (started by fleet tests through spawnApp): the production worker plus a
 * hook that SIGKILLs the process at OUTGOING_TEST_CRASH_AT (`<point>[:<probability>]`) of the send
 * protocol. The production entry (src/main.ts) has no such seam.
 */
const value = process.env.OUTGOING_TEST_CRASH_AT;
if (!value) throw new Error('crashing-worker needs OUTGOING_TEST_CRASH_AT=<point>[:<probability>]');
const { point, probability } = parseCrashAt(value);

runMain('worker', () =>
  runWorker((env) => createWorkloadHandlers(env, { outgoing: killingAt(point, probability) })),
);
