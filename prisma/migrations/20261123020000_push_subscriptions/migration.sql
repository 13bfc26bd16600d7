-- Push: Graph change-notification subscriptions as fleet state (packages/sync/src/push). One row per
-- subscribed resource of a mailbox workload; the scheduler's subscription loop creates, renews,
-- reauthorizes, recreates and deletes them, the webhook receiver (apps/webhooks) looks them up.
CREATE TYPE "SubscriptionState" AS ENUM ('Creating', 'Active', 'ReauthorizationRequired', 'Recreate', 'Failed');

CREATE TABLE "MailboxSubscription" (
    "id" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "workload" "Workload" NOT NULL,
    "resource" TEXT NOT NULL,
    "state" "SubscriptionState" NOT NULL DEFAULT 'Creating',
    "graphSubscriptionId" TEXT,
    "clientStateCiphertext" TEXT NOT NULL,
    "clientStateKeyId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "nextActionAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastNotificationAt" TIMESTAMP(3),
    "notificationCount" INTEGER NOT NULL DEFAULT 0,
    "lastLifecycleEvent" TEXT,
    "lastLifecycleAt" TIMESTAMP(3),
    "failureCount" INTEGER NOT NULL DEFAULT 0,
    "lastErrorCode" TEXT,
    "lastErrorMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MailboxSubscription_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "MailboxSubscription_mailboxId_resource_key" ON "MailboxSubscription"("mailboxId", "resource");
CREATE UNIQUE INDEX "MailboxSubscription_graphSubscriptionId_key" ON "MailboxSubscription"("graphSubscriptionId");
CREATE INDEX "MailboxSubscription_nextActionAt_idx" ON "MailboxSubscription"("nextActionAt");
CREATE INDEX "MailboxSubscription_mailboxId_workload_idx" ON "MailboxSubscription"("mailboxId", "workload");

ALTER TABLE "MailboxSubscription" ADD CONSTRAINT "MailboxSubscription_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- While every subscription of a workload is active, the time the first of them expires: its cycles
-- then poll only as a safety net (PUSH_SAFETY_POLL_SEC), never past this time. NULL = poll as usual.
ALTER TABLE "MailboxWorkload" ADD COLUMN "pushHealthyUntil" TIMESTAMP(3);
