import { readFileSync } from 'node:fs';
import type { SecretBox } from '@syncfleet/config';
import { SyncMethod, Workload, type Db } from '@syncfleet/db';
import { testAndEnable, type EngineResources } from '@syncfleet/sync';

interface SeedFile {
  tenants: {
    tenantId: string;
    apps: { clientId: string; clientSecret: string }[];
    mailboxes: { address: string; displayName?: string; kind?: string; messages?: { from?: string }[] }[];
  }[];
}

/**
 * The demo application's known contacts: the outside people the demo tenant already corresponds
 * with (senders of the seed's mail). The simulator's traffic sends part of its mail from them and
 * they answer the mail the demo app sends them.
 */
export function demoContacts(seedPath: string): string[] {
  const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as SeedFile;
  const tenant = seed.tenants[0]!;
  const own = new Set(tenant.mailboxes.map((m) => m.address.toLowerCase()));
  const senders = tenant.mailboxes.flatMap((m) => (m.messages ?? []).map((msg) => msg.from?.toLowerCase()));
  return [...new Set(senders.filter((a): a is string => !!a && !own.has(a)))].sort();
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
  for (const address of demoContacts(seedPath)) {
    const known = await prisma.contactEmail.findFirst({ where: { address } });
    if (known) continue;
    const name = address.split('@')[0]!;
    await prisma.contact.create({
      data: {
        fullName: name.charAt(0).toUpperCase() + name.slice(1),
        accountName: 'Fabrikam',
        emails: { create: { address } },
      },
    });
  }
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
        // Half the demo mailboxes promote mail from known contacts; the others keep the fleet
        // default (answers to mail the app sent) — the per-mailbox setting Dynamics has.
        incomingFilter: i % 2 === 1 ? 'FromKnownContacts' : null,
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
