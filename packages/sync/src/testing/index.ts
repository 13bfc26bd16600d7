/**
 * `@syncfleet/sync/testing`: test support that needs the engine — the simulator fixture, engine
 * resources for in-process tests, and the per-file engine harness. It lives here, behind an explicit
 * export, because `@syncfleet/testing` sits below every package (queues and sync use it in their own
 * tests) and so cannot depend on the engine. Only tests and benchmarks import it.
 */
export { useEngineHarness, type EngineHarness } from './engine-harness';
export { FAST_SETTINGS, testEngineResources } from './engine-resources';
export { createFleetFixture, type FleetFixture, type FleetFixtureOptions } from './fleet-fixture';
export { deliveriesByEmail, emailInput } from '../outgoing-email/test-support';
