import type { SecretBox } from '@syncfleet/config';
import { fromDbWorkload, Prisma, type Db, type SqlClient } from '@syncfleet/db';
import { firstLine } from '@syncfleet/errors';
import type { GraphClients } from '@syncfleet/graph';
import type { WorkloadQueues } from '@syncfleet/queues';
import type { Logger } from '@syncfleet/telemetry';
import type { WorkloadName } from '@syncfleet/workloads';
import { classifyError } from '../engine/classify';
import { requestCycles } from '../engine/wake';
import { createPushAlerts, subscriptionError, type FailedSubscription } from './alerts';
import { newClientState } from './client-state';
import { refreshHealth, type WorkloadKey } from './health';

export interface SubscriptionManagerSettings {
  /** WEBHOOK_PUBLIC_URL: notifications go to `<url>/notifications`, lifecycle events to `<url>/lifecycle`. */
  publicUrl: string;
  lifetimeMin: number;
  renewBeforeSec: number;
  batch: number;
  reconcileMs: number;
  /** PUSH_ALERT_AFTER_SEC in ms: failing this long raises a Warning alert (push/alerts.ts). */
  alertAfterMs: number;
}

export interface SubscriptionManagerDeps {
  prisma: Db;
  sql: SqlClient;
  queues: WorkloadQueues;
  graph: GraphClients;
  secretBox: SecretBox;
  logger: Logger;
  clock?: () => Date;
  settings: SubscriptionManagerSettings;
}

export interface PassResult {
  created: number;
  renewed: number;
  reauthorized: number;
  deleted: number;
  failed: number;
  /** Warning alerts raised for subscriptions that keep failing, and alerts resolved. */
  alerted: number;
  resolved: number;
}

/** What a subscribed resource reports (subscription resource type). */
interface GraphSubscription {
  id: string;
  expirationDateTime: string;
}

/** Retry delay after the n-th consecutive failure: 5 s doubling, at most an hour. */
const backoffMs = (failures: number) => Math.min(5_000 * 2 ** Math.max(0, failures - 1), 3_600_000);

/**
 * Desired subscriptions of every workload that is on (enabled, server-side sync, approved mailbox):
 * resources.ts explains the choice. `u` is the mailbox's user segment (graphUserId, else address).
 */
const DESIRED = Prisma.sql`
  SELECT w."mailboxId", w.workload, '/users/' || COALESCE(m."graphUserId", m.address) || x.path AS resource
  FROM "MailboxWorkload" w JOIN "Mailbox" m ON m.id = w."mailboxId",
  LATERAL (
    SELECT '/mailFolders(''inbox'')/messages' AS path WHERE w.workload = 'incoming-email'
    UNION ALL
    SELECT '/mailFolders(''' || replace(f."folderId", '''', '''''') || ''')/messages'
      FROM "MailboxFolderSync" f
      WHERE w.workload = 'incoming-email' AND f."mailboxId" = w."mailboxId" AND f.tracked
        AND f."folderId" <> 'inbox'
    UNION ALL SELECT '/events' WHERE w.workload = 'act'
    UNION ALL SELECT '/contacts' WHERE w.workload = 'act') x
  WHERE w.enabled AND w.method = 'ServerSideSync' AND m."approvalState" = 'Approved'
    AND w.workload IN ('incoming-email', 'act')`;

/**
 * Subscriptions as state in PostgreSQL, managed from the scheduler: created when a workload is on,
 * renewed before they expire, reauthorized on a `reauthorizationRequired` challenge, recreated after
 * `subscriptionRemoved` (with an immediate catch-up cycle), deleted when the workload is turned off.
 * Graph calls go through the fleet's clients, so they take connection slots like any other request.
 * ("Receive change notifications through webhooks"; "Reduce missing subscriptions and change
 * notifications"; docs/microsoft-graph.md#change-notifications.)
 */
export function createSubscriptionManager(deps: SubscriptionManagerDeps) {
  const clock = deps.clock ?? (() => new Date());
  const base = deps.settings.publicUrl.replace(/\/+$/, '');
  let lastReconcile = 0;
  const alerts = createPushAlerts({
    prisma: deps.prisma,
    graph: deps.graph,
    logger: deps.logger,
    notificationUrl: `${base}/notifications`,
  });

  const lifetimeMs = deps.settings.lifetimeMin * 60_000;
  /** Just under the lifetime asked for, so clock skew never makes Graph refuse it as too long. */
  const expiryFrom = (now: Date) =>
    new Date(now.getTime() + lifetimeMs - Math.min(60_000, lifetimeMs / 10)).toISOString();
  /** Renew PUSH_RENEW_BEFORE_SEC before expiry, but never sooner than a tenth into the lifetime. */
  const renewAt = (expiresAt: Date, now: Date) => {
    const lifetime = expiresAt.getTime() - now.getTime();
    const before = Math.min(deps.settings.renewBeforeSec * 1000, lifetime * 0.9);
    return new Date(expiresAt.getTime() - before);
  };

  /** Rows for desired subscriptions that do not exist yet, each with its own sealed clientState. */
  async function insertMissing(): Promise<number> {
    const missing = await deps.sql.query<{ mailboxId: string; workload: string; resource: string }>(
      Prisma.sql`
      WITH desired AS (${DESIRED})
      SELECT d."mailboxId", d.workload::text AS workload, d.resource FROM desired d
      WHERE NOT EXISTS (SELECT 1 FROM "MailboxSubscription" s
                        WHERE s."mailboxId" = d."mailboxId" AND s.resource = d.resource)
      LIMIT ${deps.settings.batch}`,
    );
    if (!missing.length) return 0;
    const sealed = missing.map(() => deps.secretBox.seal(newClientState()));
    await deps.sql.query(Prisma.sql`
      INSERT INTO "MailboxSubscription" (id, "mailboxId", workload, resource, "clientStateCiphertext",
                                         "clientStateKeyId", "nextActionAt")
      SELECT gen_random_uuid(), t.m, t.w, t.r, t.c, t.k, ${clock()}::timestamp
      FROM unnest(${missing.map((m) => m.mailboxId)}::uuid[], ${missing.map((m) => m.workload)}::"Workload"[],
                  ${missing.map((m) => m.resource)}::text[], ${sealed.map((s) => s.ciphertext)}::text[],
                  ${sealed.map((s) => s.keyId)}::text[]) AS t(m, w, r, c, k)
      ON CONFLICT ("mailboxId", resource) DO NOTHING`);
    return missing.length;
  }

  /** Subscriptions no workload wants any more (turned off, folder untracked): deleted at Graph too. */
  async function deleteUnwanted(now: Date): Promise<{ deleted: number; resolved: number }> {
    const unwanted = await deps.sql.query<{ id: string }>(Prisma.sql`
      WITH desired AS (${DESIRED})
      SELECT s.id FROM "MailboxSubscription" s
      WHERE NOT EXISTS (SELECT 1 FROM desired d WHERE d."mailboxId" = s."mailboxId" AND d.resource = s.resource)
      LIMIT ${deps.settings.batch}`);
    if (!unwanted.length) return { deleted: 0, resolved: 0 };
    const rows = await load(unwanted.map((u) => u.id));
    let deleted = 0;
    const gone: Row[] = [];
    await eachLimited(rows, async (row) => {
      try {
        if (row.graphSubscriptionId) {
          const graph = await graphOf(row);
          await graph.api(`/subscriptions/${row.graphSubscriptionId}`).delete();
        }
      } catch (error) {
        const e = classifyError(error);
        // A transient failure keeps the row for the next reconcile; gone, or unreachable for
        // good (permission, profile): the subscription lapses at Graph by itself.
        if (e.reason !== 'NotFound' && e.scope === 'mailbox' && e.kind === 'transient') return;
      }
      await deps.prisma.mailboxSubscription.deleteMany({ where: { id: row.id } });
      deleted++;
      gone.push(row);
    });
    await refreshHealth(deps.sql, rows.map(keyOf), clock());
    // An alert that stood for deleted subscriptions only is resolved: nothing fails any more.
    const resolved = await alerts.deleted(gone.map(alertRef), now);
    return { deleted, resolved };
  }

  type Row = Awaited<ReturnType<typeof load>>[number];
  function load(ids: string[]) {
    return deps.prisma.mailboxSubscription.findMany({
      where: { id: { in: ids } },
      include: { mailbox: { include: { profile: true } } },
    });
  }
  const keyOf = (row: Row): WorkloadKey => ({
    mailboxId: row.mailboxId,
    workload: fromDbWorkload(row.workload),
  });
  const alertRef = (row: Row) => ({ id: row.id, alertId: row.alertId, profileId: row.mailbox.profileId });
  function graphOf(row: Row) {
    return deps.graph.forMailbox(row.mailbox.profile, { id: row.mailbox.id, address: row.mailbox.address });
  }

  /**
   * Subscriptions an alert names that work again (failingSince cleared by a success, whichever
   * scheduler had it): their alerts are resolved once none of theirs fails. Found by a query rather
   * than from this pass alone, so a pass that failed after the Graph calls is made good by the next.
   */
  async function resolveRecovered(now: Date): Promise<number> {
    const rows = await deps.sql.query<{ id: string; alertId: string; profileId: string }>(Prisma.sql`
      SELECT s.id, s."alertId", m."profileId" FROM "MailboxSubscription" s JOIN "Mailbox" m ON m.id = s."mailboxId"
      WHERE s."alertId" IS NOT NULL AND s."failingSince" IS NULL
      LIMIT ${deps.settings.batch}`);
    return rows.length ? alerts.recovered(rows, now) : 0;
  }

  /** Takes due rows (several schedulers never act on one row at once: the claim pushes it 2 minutes). */
  async function claimDue(now: Date): Promise<string[]> {
    const rows = await deps.sql.query<{ id: string }>(Prisma.sql`
      UPDATE "MailboxSubscription" s SET "nextActionAt" = ${new Date(now.getTime() + 120_000)}::timestamp
      WHERE s.id IN (SELECT id FROM "MailboxSubscription" WHERE "nextActionAt" <= ${now}::timestamp
                     ORDER BY "nextActionAt" LIMIT ${deps.settings.batch} FOR UPDATE SKIP LOCKED)
      RETURNING s.id`);
    return rows.map((r) => r.id);
  }

  async function create(row: Row, now: Date): Promise<void> {
    const graph = await graphOf(row);
    if (row.state === 'Recreate' && row.graphSubscriptionId) {
      await graph
        .api(`/subscriptions/${row.graphSubscriptionId}`)
        .delete()
        .catch(() => undefined);
    }
    const clientState = deps.secretBox.open({
      keyId: row.clientStateKeyId,
      ciphertext: row.clientStateCiphertext,
    });
    const isMail = row.resource.endsWith('/messages');
    const sub = (await graph.api('/subscriptions').post({
      changeType: isMail ? 'created,updated' : 'created,updated,deleted',
      notificationUrl: `${base}/notifications`,
      lifecycleNotificationUrl: `${base}/lifecycle`,
      resource: row.resource,
      expirationDateTime: expiryFrom(now),
      clientState,
    })) as GraphSubscription;
    const expiresAt = new Date(sub.expirationDateTime);
    await deps.prisma.mailboxSubscription.update({
      where: { id: row.id },
      data: {
        state: 'Active',
        graphSubscriptionId: sub.id,
        expiresAt,
        nextActionAt: renewAt(expiresAt, now),
        failureCount: 0,
        failingSince: null,
        lastErrorCode: null,
        lastErrorMessage: null,
      },
    });
  }

  async function renew(row: Row, now: Date): Promise<void> {
    const graph = await graphOf(row);
    const sub = (await graph
      .api(`/subscriptions/${row.graphSubscriptionId}`)
      .patch({ expirationDateTime: expiryFrom(now) })) as GraphSubscription;
    const expiresAt = new Date(sub.expirationDateTime);
    await deps.prisma.mailboxSubscription.update({
      where: { id: row.id },
      data: {
        state: 'Active',
        expiresAt,
        nextActionAt: renewAt(expiresAt, now),
        failureCount: 0,
        failingSince: null,
        lastErrorCode: null,
        lastErrorMessage: null,
      },
    });
  }

  /** `POST /subscriptions/{id}/reauthorize` (204): the expiry is unchanged. */
  async function reauthorize(row: Row, now: Date): Promise<void> {
    const graph = await graphOf(row);
    await graph.api(`/subscriptions/${row.graphSubscriptionId}/reauthorize`).post(undefined);
    const expiresAt = row.expiresAt ?? now;
    await deps.prisma.mailboxSubscription.update({
      where: { id: row.id },
      data: {
        state: 'Active',
        nextActionAt: renewAt(expiresAt, now),
        failureCount: 0,
        failingSince: null,
        lastErrorCode: null,
        lastErrorMessage: null,
      },
    });
  }

  /** What a pass learnt: workloads to catch up, subscriptions whose failures reached the threshold. */
  interface Outcomes {
    catchUp: WorkloadKey[];
    failing: FailedSubscription[];
  }

  async function act(row: Row, now: Date, result: PassResult, out: Outcomes): Promise<void> {
    const needsNew =
      row.state === 'Creating' ||
      row.state === 'Recreate' ||
      row.state === 'Failed' ||
      !row.graphSubscriptionId ||
      (row.expiresAt !== null && row.expiresAt <= now);
    try {
      if (needsNew) {
        await create(row, now);
        result.created++;
        // Changes made before the subscription existed are not notified: one cycle catches up.
        out.catchUp.push(keyOf(row));
      } else if (row.state === 'ReauthorizationRequired') {
        await reauthorize(row, now);
        result.reauthorized++;
      } else {
        await renew(row, now);
        result.renewed++;
      }
    } catch (error) {
      const e = subscriptionError(classifyError(error), needsNew);
      const gone = e.reason === 'NotFound' && !needsNew;
      result.failed++;
      const failureCount = gone ? row.failureCount : row.failureCount + 1;
      // A subscription Graph no longer knows is no failure of ours: its run of failures goes on or not.
      const failingSince = gone ? row.failingSince : (row.failingSince ?? now);
      await deps.prisma.mailboxSubscription.update({
        where: { id: row.id },
        data: {
          // A subscription Graph no longer knows is recreated at once; other failures back off.
          state: gone ? 'Recreate' : needsNew ? 'Failed' : row.state,
          nextActionAt: gone ? now : new Date(now.getTime() + backoffMs(failureCount)),
          failureCount,
          failingSince,
          lastErrorCode: e.code,
          lastErrorMessage: firstLine(e.message),
        },
      });
      if (
        failingSince &&
        !row.alertId &&
        now.getTime() - failingSince.getTime() >= deps.settings.alertAfterMs
      ) {
        out.failing.push({
          id: row.id,
          workload: row.workload,
          failingSince,
          mailbox: row.mailbox,
          error: e,
        });
      }
      deps.logger.warn(
        { mailboxId: row.mailboxId, workload: row.workload, reason: e.reason, code: e.code },
        'change-notification subscription: Graph call failed',
      );
    }
  }

  /** One pass: reconcile (at most every reconcileMs), then act on every due subscription. */
  async function pass(): Promise<PassResult> {
    const now = clock();
    const result: PassResult = {
      created: 0,
      renewed: 0,
      reauthorized: 0,
      deleted: 0,
      failed: 0,
      alerted: 0,
      resolved: 0,
    };
    if (now.getTime() - lastReconcile >= deps.settings.reconcileMs) {
      lastReconcile = now.getTime();
      // A full batch means more are missing (a rollout): reconcile again on the next pass.
      if ((await insertMissing()) >= deps.settings.batch) lastReconcile = 0;
      const unwanted = await deleteUnwanted(now);
      result.deleted = unwanted.deleted;
      result.resolved += unwanted.resolved + (await resolveRecovered(now));
    }
    const ids = await claimDue(now);
    if (!ids.length) return result;
    const rows = await load(ids);
    const out: Outcomes = { catchUp: [], failing: [] };
    await eachLimited(rows, (row) => act(row, now, result, out));
    await refreshHealth(deps.sql, rows.map(keyOf), clock());
    if (out.catchUp.length) {
      await requestCycles(
        { sql: deps.sql, queues: deps.queues, clock },
        out.catchUp.map((k) => ({ mailboxId: k.mailboxId, workload: k.workload as WorkloadName })),
      );
    }
    // After the Graph calls, one profile at a time (alerts.ts): one alert per scope, never two.
    result.resolved += await resolveRecovered(now);
    result.alerted = await alerts.failing(out.failing);
    if (
      result.created ||
      result.renewed ||
      result.reauthorized ||
      result.deleted ||
      result.failed ||
      result.resolved
    ) {
      deps.logger.info(result, 'change-notification subscriptions updated');
    }
    return result;
  }

  return { pass, reconcileNow: () => void (lastReconcile = 0) };
}

export type SubscriptionManager = ReturnType<typeof createSubscriptionManager>;

/** Runs `fn` over `items`, at most 16 at once (Graph calls also wait for fleet slots). */
async function eachLimited<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(16, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}
