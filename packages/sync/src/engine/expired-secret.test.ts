import type { TestDatabase } from '@syncfleet/testing';
import { createProbeHandlers } from '../probe/probe-handlers';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { runWorkloadJob } from './run-job';
import type { EngineResources } from './types';

/**
 * An expired client secret (Entra AADSTS7000222, modelled by the simulator) is the profile's
 * problem: ONE Error alert on the profile that says the secret expired and how to fix it — never
 * one alert per mailbox.
 */
let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const handlers = createProbeHandlers();

const harness = useEngineHarness('expiredsecret', { mailboxes: 3, workloads: ['incoming-email'] });
beforeAll(() => {
  ({ db, fx, res } = harness);
});

const job = (mailboxId: string) => ({
  mailboxId,
  workload: 'incoming-email' as const,
  dueAt: new Date().toISOString(),
});

it('an expired secret: one profile alert naming AADSTS7000222 and the fix, mailboxes untouched by alerts', async () => {
  // Expired before the first token request of this process (tokens are cached per profile).
  await fx.sim.admin.expireSecret(fx.tenantId, fx.clientId, '2026-01-01T00:00:00Z');
  await db.prisma.mailboxWorkload.updateMany({ data: { nextDueAt: new Date() } });
  for (const m of fx.mailboxes) await runWorkloadJob(res, handlers, job(m.id));
  const alerts = await db.prisma.alert.findMany({ where: { profileId: fx.profileId } });
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({ mailboxId: null, severity: 'Error', code: 'AADSTS7000222' });
  // The alert names the expiry (reason SecretExpired) and the fix.
  expect(alerts[0]!.message).toMatch(/client secret .* has expired \(AADSTS7000222\)/);
  expect(alerts[0]!.message).toMatch(/Create a new client secret .* update the profile/);
});
