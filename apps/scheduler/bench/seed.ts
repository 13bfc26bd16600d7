// The benchmarks' tenant: a simulator tenant with `count` mailboxes and the matching profile,
// mailboxes and workload rows (incoming email on server-side sync, the others off). Each mailbox
// has its directory id, as after Test & Enable: Graph addresses users by id or UPN, not by address.
import { SecretBox } from '@syncfleet/config';
import { Prisma, type Db } from '@syncfleet/db';
import type { SimAdminClient } from '@syncfleet/graph-simulator';

export interface BenchSeed {
  count: number;
  secretKeys: string[];
  /** Due times: the first `firstDueInSec` from now, the others spread evenly over `windowSec`. */
  firstDueInSec: number;
  windowSec: number;
}

export async function seedBenchFleet(
  prisma: Db,
  sim: { url: string; admin: SimAdminClient },
  { count, secretKeys, firstDueInSec, windowSec }: BenchSeed,
): Promise<void> {
  const { tenantId } = await sim.admin.createTenant();
  const app = await sim.admin.createApp(tenantId);
  const { mailboxes } = await sim.admin.createMailboxes(tenantId, {
    count,
    addressPattern: 'user{n}@bench.test',
  });
  const sealed = new SecretBox(secretKeys).seal(app.clientSecret);
  const profile = await prisma.emailServerProfile.create({
    data: {
      name: 'bench',
      tenantId,
      clientId: app.clientId,
      clientSecretCiphertext: sealed.ciphertext,
      clientSecretKeyId: sealed.keyId,
      authorityUrl: sim.url,
      graphBaseUrl: sim.url,
      maxConcurrentConnections: 100,
      minPollingIntervalSec: 0,
    },
  });
  await prisma.$executeRaw(Prisma.sql`
    INSERT INTO "Mailbox" (id, address, "graphUserId", "ownerType", "ownerId", "profileId", "approvalState", "updatedAt")
    SELECT gen_random_uuid(), t.address, t.graph_id, 'User', 'u' || t.i, ${profile.id}::uuid, 'Approved', now()
    FROM unnest(${mailboxes.map((m) => m.address)}::text[], ${mailboxes.map((m) => m.id)}::text[])
         WITH ORDINALITY AS t(address, graph_id, i)`);
  await prisma.$executeRaw(Prisma.sql`
    INSERT INTO "MailboxWorkload" ("mailboxId", workload, method, enabled, "nextDueAt", "updatedAt")
    SELECT m.id, w.workload::"Workload",
           CASE WHEN w.workload = 'incoming-email' THEN 'ServerSideSync'::"SyncMethod" ELSE 'None'::"SyncMethod" END,
           w.workload = 'incoming-email',
           now() + ${firstDueInSec}::float * interval '1 second'
             + (row_number() OVER (ORDER BY m.id) - 1) * (${windowSec}::float / ${count}) * interval '1 second',
           now()
    FROM "Mailbox" m CROSS JOIN (VALUES ('incoming-email'), ('outgoing-email'), ('act')) AS w(workload)`);
  await prisma.$executeRaw`ANALYZE`;
}
