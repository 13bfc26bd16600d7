-- CreateEnum
CREATE TYPE "EmailDirection" AS ENUM ('Incoming', 'Outgoing');

-- CreateEnum
CREATE TYPE "EmailStatus" AS ENUM ('Received', 'PendingSend', 'Sending', 'Sent', 'Failed');

-- CreateEnum
CREATE TYPE "PartyRole" AS ENUM ('From', 'To', 'Cc', 'Bcc');

-- CreateEnum
CREATE TYPE "IncomingFilter" AS ENUM ('All', 'ResponsesToAppEmail', 'FromKnownContacts', 'None');

-- AlterTable
ALTER TABLE "EmailServerProfile" ADD COLUMN "saveToSentItems" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Mailbox" ADD COLUMN "incomingFilter" "IncomingFilter";

-- CreateTable
CREATE TABLE "Contact" (
    "id" UUID NOT NULL,
    "fullName" TEXT NOT NULL,
    "accountName" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ContactEmail" (
    "id" UUID NOT NULL,
    "contactId" UUID NOT NULL,
    "address" TEXT NOT NULL,

    CONSTRAINT "ContactEmail_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmailActivity" (
    "id" UUID NOT NULL,
    "direction" "EmailDirection" NOT NULL,
    "status" "EmailStatus" NOT NULL,
    "subject" TEXT NOT NULL,
    "bodyText" TEXT,
    "bodyHtml" TEXT,
    "internetMessageId" TEXT,
    "conversationId" TEXT,
    "inReplyTo" TEXT,
    "references" TEXT,
    "trackingToken" TEXT,
    "smartMatchHash" TEXT,
    "regardingType" TEXT,
    "regardingId" TEXT,
    "sentAt" TIMESTAMP(3),
    "receivedAt" TIMESTAMP(3),
    "ownerMailboxId" UUID,
    "failureReason" TEXT,
    "graphDraftId" TEXT,
    "sendAttemptCount" INTEGER NOT NULL DEFAULT 0,
    "sendingStartedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EmailActivity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmailParty" (
    "id" UUID NOT NULL,
    "emailId" UUID NOT NULL,
    "role" "PartyRole" NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT,
    "contactId" UUID,

    CONSTRAINT "EmailParty_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmailAttachment" (
    "id" UUID NOT NULL,
    "emailId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "content" BYTEA,
    "skipped" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "EmailAttachment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailboxItemLink" (
    "id" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "emailId" UUID NOT NULL,
    "graphItemId" TEXT NOT NULL,
    "changeKey" TEXT,
    "folderId" TEXT NOT NULL,
    "removedInExchange" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MailboxItemLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailboxFolderSync" (
    "mailboxId" UUID NOT NULL,
    "folderId" TEXT NOT NULL,
    "displayName" TEXT,
    "tracked" BOOLEAN NOT NULL DEFAULT false,
    "deltaLink" TEXT,
    "nextLink" TEXT,
    "roundStartedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MailboxFolderSync_pkey" PRIMARY KEY ("mailboxId","folderId")
);

-- CreateIndex
CREATE INDEX "ContactEmail_address_idx" ON "ContactEmail"("address");

-- CreateIndex
CREATE UNIQUE INDEX "ContactEmail_contactId_address_key" ON "ContactEmail"("contactId", "address");

-- CreateIndex
CREATE UNIQUE INDEX "EmailActivity_internetMessageId_key" ON "EmailActivity"("internetMessageId");

-- CreateIndex
CREATE INDEX "EmailActivity_conversationId_idx" ON "EmailActivity"("conversationId");

-- CreateIndex
CREATE INDEX "EmailActivity_trackingToken_idx" ON "EmailActivity"("trackingToken");

-- CreateIndex
CREATE INDEX "EmailActivity_smartMatchHash_idx" ON "EmailActivity"("smartMatchHash");

-- CreateIndex
CREATE INDEX "EmailActivity_ownerMailboxId_status_createdAt_idx" ON "EmailActivity"("ownerMailboxId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "EmailParty_emailId_idx" ON "EmailParty"("emailId");

-- CreateIndex
CREATE INDEX "EmailParty_address_idx" ON "EmailParty"("address");

-- CreateIndex
CREATE INDEX "EmailAttachment_emailId_idx" ON "EmailAttachment"("emailId");

-- CreateIndex
CREATE INDEX "MailboxItemLink_emailId_idx" ON "MailboxItemLink"("emailId");

-- CreateIndex
CREATE UNIQUE INDEX "MailboxItemLink_mailboxId_graphItemId_key" ON "MailboxItemLink"("mailboxId", "graphItemId");

-- CreateIndex
CREATE UNIQUE INDEX "MailboxItemLink_mailboxId_emailId_key" ON "MailboxItemLink"("mailboxId", "emailId");

-- AddForeignKey
ALTER TABLE "ContactEmail" ADD CONSTRAINT "ContactEmail_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailActivity" ADD CONSTRAINT "EmailActivity_ownerMailboxId_fkey" FOREIGN KEY ("ownerMailboxId") REFERENCES "Mailbox"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailParty" ADD CONSTRAINT "EmailParty_emailId_fkey" FOREIGN KEY ("emailId") REFERENCES "EmailActivity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailParty" ADD CONSTRAINT "EmailParty_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailAttachment" ADD CONSTRAINT "EmailAttachment_emailId_fkey" FOREIGN KEY ("emailId") REFERENCES "EmailActivity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailboxItemLink" ADD CONSTRAINT "MailboxItemLink_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailboxItemLink" ADD CONSTRAINT "MailboxItemLink_emailId_fkey" FOREIGN KEY ("emailId") REFERENCES "EmailActivity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MailboxFolderSync" ADD CONSTRAINT "MailboxFolderSync_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;
