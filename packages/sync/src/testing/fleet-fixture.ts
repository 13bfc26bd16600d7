import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulator, type RunningSimulator, type SimConfig } from '@syncfleet/graph-simulator';
import { generateSecretKey, SecretBox } from '@syncfleet/config';
import { SyncMethod, Workload, type Db } from '@syncfleet/db';
import type { WorkloadName } from '@syncfleet/queues';
import { toDbWorkload } from '@syncfleet/db';

export interface FleetFixture {
  sim: RunningSimulator;
  secretKeys: string[];
  secretBox: SecretBox;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  profileId: string;
  mailboxes: { id: string; address: string; simId: string }[];
  close(): Promise<void>;
}

export interface FleetFixtureOptions {
  mailboxes: number;
  maxConcurrentConnections?: number;
  workloads?: WorkloadName[];
  simConfig?: Partial<SimConfig>;
  /** Mark mailboxes approved and their workloads enabled (as after a successful Test & Enable). */
  enabled?: boolean;
  /** Application permissions granted to the simulator app (default: all Syncfleet needs). */
  appRoles?: string[];
}

/**
 * A simulator tenant + app + N mailboxes, and the matching profile and mailboxes in the test's
 * database: the starting point of every engine and fleet test.
 */
export async function createFleetFixture(prisma: Db, options: FleetFixtureOptions): Promise<FleetFixture> {
  const sim = await startSimulator({
    dataDir: mkdtempSync(path.join(tmpdir(), 'sf-sim-')),
    config: options.simConfig,
  });
  const { tenantId } = await sim.admin.createTenant();
  const { clientId, clientSecret } = await sim.admin.createApp(
    tenantId,
    options.appRoles ? { roles: options.appRoles } : {},
  );
  const { mailboxes: simMailboxes } = await sim.admin.createMailboxes(tenantId, {
    count: options.mailboxes,
    addressPattern: 'user{n}@contoso.test',
  });
  const secretKeys = [generateSecretKey('k1')];
  const secretBox = new SecretBox(secretKeys);
  const sealed = secretBox.seal(clientSecret);
  const profile = await prisma.emailServerProfile.create({
    data: {
      name: `fixture-${tenantId.slice(0, 8)}`,
      tenantId,
      clientId,
      clientSecretCiphertext: sealed.ciphertext,
      clientSecretKeyId: sealed.keyId,
      authorityUrl: sim.url,
      graphBaseUrl: sim.url,
      maxConcurrentConnections: options.maxConcurrentConnections ?? 10,
      minPollingIntervalSec: 0,
      connectionTimeoutSec: 30,
      ownerEmail: 'owner@contoso.test',
    },
  });
  const workloads = options.workloads ?? ['incoming-email'];
  const enabled = options.enabled ?? true;
  const mailboxes: FleetFixture['mailboxes'] = [];
  for (const [i, m] of simMailboxes.entries()) {
    const row = await prisma.mailbox.create({
      data: {
        address: m.address.toLowerCase(),
        ownerType: 'User',
        ownerId: `user-${i}`,
        profileId: profile.id,
        approvalState: enabled ? 'Approved' : 'Empty',
        // The directory id Test & Enable records: Graph addresses users by id or UPN, and the UPN is
        // not the email address (user: get).
        graphUserId: enabled ? m.id : null,
        workloads: {
          create: Object.values(Workload).map((w) => ({
            workload: w,
            method: workloads.some((n) => toDbWorkload(n) === w)
              ? SyncMethod.ServerSideSync
              : SyncMethod.None,
            enabled: enabled && workloads.some((n) => toDbWorkload(n) === w),
          })),
        },
      },
    });
    mailboxes.push({ id: row.id, address: row.address, simId: m.id });
  }
  return {
    sim,
    secretKeys,
    secretBox,
    tenantId,
    clientId,
    clientSecret,
    profileId: profile.id,
    mailboxes,
    close: () => sim.close(),
  };
}
