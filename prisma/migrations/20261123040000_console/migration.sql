-- Console: owner-notification settings, bulk operations, notification digests.

-- AlterTable
ALTER TABLE "EmailServerProfile" ADD COLUMN "notificationMailboxId" UUID,
ADD COLUMN "webhookUrl" TEXT,
ADD COLUMN "webhookSecretCiphertext" TEXT,
ADD COLUMN "webhookSecretKeyId" TEXT,
ADD COLUMN "digestQuietSec" INTEGER NOT NULL DEFAULT 30;

-- AlterTable
ALTER TABLE "Alert" ADD COLUMN "digestId" UUID;

-- CreateTable
CREATE TABLE "BulkOperation" (
    "id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'Running',
    "params" JSONB,
    "total" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "BulkOperation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BulkOperationItem" (
    "operationId" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'Pending',
    "message" TEXT,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "BulkOperationItem_pkey" PRIMARY KEY ("operationId","mailboxId")
);

-- CreateTable
CREATE TABLE "NotificationDigest" (
    "id" UUID NOT NULL,
    "profileId" UUID NOT NULL,
    "alertCount" INTEGER NOT NULL,
    "subject" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "emailId" UUID,
    "emailError" TEXT,
    "webhookState" TEXT,
    "webhookAttempts" INTEGER NOT NULL DEFAULT 0,
    "webhookNextAttemptAt" TIMESTAMP(3),
    "webhookLastError" TEXT,
    "webhookDeliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotificationDigest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BulkOperationItem_operationId_state_idx" ON "BulkOperationItem"("operationId", "state");

-- CreateIndex
CREATE INDEX "NotificationDigest_profileId_createdAt_idx" ON "NotificationDigest"("profileId", "createdAt");

-- CreateIndex
CREATE INDEX "NotificationDigest_webhookState_webhookNextAttemptAt_idx" ON "NotificationDigest"("webhookState", "webhookNextAttemptAt");

-- AddForeignKey
ALTER TABLE "BulkOperationItem" ADD CONSTRAINT "BulkOperationItem_operationId_fkey" FOREIGN KEY ("operationId") REFERENCES "BulkOperation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationDigest" ADD CONSTRAINT "NotificationDigest_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "EmailServerProfile"("id") ON DELETE CASCADE ON UPDATE CASCADE;
