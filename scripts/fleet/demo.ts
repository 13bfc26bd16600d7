import { readFileSync } from 'node:fs';
import type { SecretBox } from '@syncfleet/config';
import { SyncMethod, Workload, type Db } from '@syncfleet/db';
import { testAndEnable, type EngineResources } from '@syncfleet/sync';

interface SeedFile {
  tenants: {
    tenantId: string;
    apps: { clientId: string; clientSecret: string }[];
    mailboxes: { address: string; displayName?: string; kind?: string }[];
  }[];
}

export const DEMO_PROFILE_NAME = 'Demo tenant (Graph simulator)';

/**
 * The demo's profile and mailboxes, created or brought up to date from the simulator's seed file:
 * one profile (Max Concurrent Connections 10) and its user mailboxes, approved, every workload on
 * server-side sync, then Test & Enable — through the same code an admin's click runs.
 */
export async function ensureDemo(
  prisma: Db,
  secretBox: SecretBox,
  engine: EngineResources,
  simUrl: string,
  seedPath: string,
): Promise<{ profileId: string; enabled: number; failed: string[] }> {
  const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as SeedFile;
  const tenant = seed.tenants[0]!;
  const app = tenant.apps[0]!;
  const sealed = secretBox.seal(app.clientSecret);
  const settings = {
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    clientSecretCiphertext: sealed.ciphertext,
    clientSecretKeyId: sealed.keyId,
    authorityUrl: simUrl,
    graphBaseUrl: simUrl,
    maxConcurrentConnections: 10,
    minPollingIntervalSec: 0,
    ownerEmail: 'admin@contoso.test',
  };
  const profile = await prisma.emailServerProfile.upsert({
    where: { name: DEMO_PROFILE_NAME },
    create: { name: DEMO_PROFILE_NAME, ...settings },
    update: settings,
  });
  const users = tenant.mailboxes.filter((m) => !m.kind || m.kind === 'user');
  const failed: string[] = [];
  let enabled = 0;
  for (const [i, m] of users.entries()) {
    const address = m.address.toLowerCase();
    const mailbox = await prisma.mailbox.upsert({
      where: { address },
      create: {
        address,
        displayName: m.displayName,
        ownerType: 'User',
        ownerId: `demo-user-${String(i + 1).padStart(2, '0')}`,
        profileId: profile.id,
        approvalState: 'Approved',
        workloads: {
          create: Object.values(Workload).map((workload) => ({
            workload,
            method: SyncMethod.ServerSideSync,
          })),
        },
      },
      update: {},
      include: { workloads: true },
    });
    if (mailbox.workloads.every((w) => w.enabled)) {
      enabled++;
      continue;
    }
    const result = await testAndEnable(engine, mailbox.id);
    if (result.ok) enabled++;
    else failed.push(`${address}: ${result.checks.find((c) => !c.ok)?.message ?? 'failed'}`);
  }
  return { profileId: profile.id, enabled, failed };
}
