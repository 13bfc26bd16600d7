-- CreateEnum
CREATE TYPE "ApprovalState" AS ENUM ('Empty', 'Approved', 'PendingApproval', 'Rejected');

-- CreateEnum
CREATE TYPE "Workload" AS ENUM ('incoming-email', 'outgoing-email', 'act');

-- CreateEnum
CREATE TYPE "SyncMethod" AS ENUM ('None', 'ServerSideSync');

-- CreateEnum
CREATE TYPE "WorkloadStatus" AS ENUM ('NotRun', 'Success', 'Failure');

-- CreateEnum
CREATE TYPE "ProcessingState" AS ENUM ('Idle', 'Processing');

-- CreateEnum
CREATE TYPE "OwnerType" AS ENUM ('User', 'Queue');

-- CreateEnum
CREATE TYPE "AlertSeverity" AS ENUM ('Error', 'Warning', 'Information');

-- CreateEnum
CREATE TYPE "RunOutcome" AS ENUM ('Success', 'Yielded', 'TransientFailure', 'PermanentFailure');

-- CreateTable
CREATE TABLE "EmailServerProfile" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecretCiphertext" TEXT NOT NULL,
    "clientSecretKeyId" TEXT NOT NULL,
    "authorityUrl" TEXT NOT NULL DEFAULT 'https://login.microsoftonline.com',
    "graphBaseUrl" TEXT NOT NULL DEFAULT 'https://graph.microsoft.com',
    "maxConcurrentConnections" INTEGER NOT NULL DEFAULT 10,
    "minPollingIntervalSec" INTEGER NOT NULL DEFAULT 60,
    "processEmailFrom" TIMESTAMP(3),
    "connectionTimeoutSec" INTEGER NOT NULL DEFAULT 100,
    "ownerEmail" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmailServerProfile_pkey" PRIMARY KEY ("id"),
    -- Max Concurrent Connections is 1..300 in Dynamics; the API validates it too.
    CONSTRAINT "EmailServerProfile_maxConcurrentConnections_check" CHECK ("maxConcurrentConnections" BETWEEN 1 AND 300)
);

-- CreateTable
CREATE TABLE "Mailbox" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "displayName" TEXT,
    "ownerType" "OwnerType" NOT NULL,
    "ownerId" TEXT NOT NULL,
    "profileId" UUID NOT NULL,
    "approvalState" "ApprovalState" NOT NULL DEFAULT 'Empty',
    "processEmailFrom" TIMESTAMP(3),
    "graphUserId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Mailbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailboxWorkload" (
    "mailboxId" UUID NOT NULL,
    "workload" "Workload" NOT NULL,
    "method" "SyncMethod" NOT NULL DEFAULT 'None',
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "status" "WorkloadStatus" NOT NULL DEFAULT 'NotRun',
    "nextDueAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "postponedUntil" TIMESTAMP(3),
    "transientFailureCount" INTEGER NOT NULL DEFAULT 0,
    "lastAttemptAt" TIMESTAMP(3),
    "lastSuccessAt" TIMESTAMP(3),
    "lastErrorCode" TEXT,
    "lastErrorMessage" TEXT,
    "lastErrorCount" INTEGER NOT NULL DEFAULT 0,
    "lastErrorAt" TIMESTAMP(3),
    "itemsProcessed" INTEGER NOT NULL DEFAULT 0,
    "itemsFailed" INTEGER NOT NULL DEFAULT 0,
    "lastDurationMs" INTEGER,
    "averageDurationMs" INTEGER,
    "cycleCount" INTEGER NOT NULL DEFAULT 0,
    "processingState" "ProcessingState" NOT NULL DEFAULT 'Idle',
    "processingHost" TEXT,
    "processingStartedAt" TIMESTAMP(3),
    "checkpoint" JSONB,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MailboxWorkload_pkey" PRIMARY KEY ("mailboxId","workload")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" UUID NOT NULL,
    "severity" "AlertSeverity" NOT NULL,
    "code" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "workload" "Workload",
    "mailboxId" UUID,
    "profileId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMP(3),
    "notifiedAt" TIMESTAMP(3),

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncRun" (
    "id" BIGSERIAL NOT NULL,
    "mailboxId" UUID NOT NULL,
    "workload" "Workload" NOT NULL,
    "jobId" TEXT,
    "host" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "outcome" "RunOutcome" NOT NULL,
    "itemsProcessed" INTEGER NOT NULL DEFAULT 0,
    "itemsFailed" INTEGER NOT NULL DEFAULT 0,
    "errorCode" TEXT,

    CONSTRAINT "SyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EmailServerProfile_name_key" ON "EmailServerProfile"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Mailbox_address_key" ON "Mailbox"("address");

-- CreateIndex
CREATE INDEX "Mailbox_profileId_idx" ON "Mailbox"("profileId");

-- CreateIndex
CREATE UNIQUE INDEX "Mailbox_ownerType_ownerId_key" ON "Mailbox"("ownerType", "ownerId");

-- CreateIndex
CREATE INDEX "MailboxWorkload_workload_nextDueAt_idx" ON "MailboxWorkload"("workload", "nextDueAt");

-- The scheduler's due query only ever looks at enabled server-side-sync workloads: a partial index
-- keeps it small when most of 50k mailboxes are disabled (Prisma's schema cannot express it).
CREATE INDEX "MailboxWorkload_due_partial_idx" ON "MailboxWorkload"("workload", "nextDueAt")
    WHERE "enabled" AND "method" = 'ServerSideSync';

-- CreateIndex
CREATE INDEX "Alert_mailboxId_createdAt_idx" ON "Alert"("mailboxId", "createdAt");

-- CreateIndex
CREATE INDEX "Alert_profileId_createdAt_idx" ON "Alert"("profileId", "createdAt");

-- CreateIndex
CREATE INDEX "SyncRun_mailboxId_workload_startedAt_idx" ON "SyncRun"("mailboxId", "workload", "startedAt");

-- CreateIndex
CREATE INDEX "SyncRun_startedAt_idx" ON "SyncRun"("startedAt");

-- AddForeignKey
ALTER TABLE "Mailbox" ADD CONSTRAINT "Mailbox_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "EmailServerProfile"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailboxWorkload" ADD CONSTRAINT "MailboxWorkload_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "EmailServerProfile"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncRun" ADD CONSTRAINT "SyncRun_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;
