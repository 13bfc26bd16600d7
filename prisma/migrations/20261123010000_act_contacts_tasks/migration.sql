-- ACT: two-way sync of contacts and To Do tasks (docs/act-sync.md).

CREATE TYPE "TaskStatus" AS ENUM ('NotStarted', 'InProgress', 'Completed', 'WaitingOnOthers', 'Deferred');
CREATE TYPE "TaskImportance" AS ENUM ('Low', 'Normal', 'High');
CREATE TYPE "ActConflictPolicy" AS ENUM ('LatestWins', 'AppWins', 'ExchangeWins');
CREATE TYPE "ActDeletePolicy" AS ENUM ('Unlink', 'Delete');

ALTER TABLE "EmailServerProfile"
  ADD COLUMN "actConflictPolicy" "ActConflictPolicy" NOT NULL DEFAULT 'LatestWins',
  ADD COLUMN "actDeletePolicy" "ActDeletePolicy" NOT NULL DEFAULT 'Unlink',
  ADD COLUMN "actSettings" JSONB NOT NULL DEFAULT '{}';

-- Contact grows to what Outlook holds, and gets an owner.
ALTER TABLE "Contact"
  ADD COLUMN "givenName" TEXT,
  ADD COLUMN "middleName" TEXT,
  ADD COLUMN "surname" TEXT,
  ADD COLUMN "jobTitle" TEXT,
  ADD COLUMN "department" TEXT,
  ADD COLUMN "businessPhones" JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN "homePhones" JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN "mobilePhone" TEXT,
  ADD COLUMN "businessAddress" JSONB,
  ADD COLUMN "categories" JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN "notes" TEXT,
  ADD COLUMN "ownerType" "OwnerType",
  ADD COLUMN "ownerId" TEXT,
  ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN "changeSeq" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "pushPending" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "deletedAt" TIMESTAMP(3);
CREATE INDEX "Contact_ownerType_ownerId_idx" ON "Contact"("ownerType", "ownerId");
-- The cycle's "what to push" query: only pending rows are indexed.
CREATE INDEX "Contact_push_pending_idx" ON "Contact"("ownerType", "ownerId") WHERE "pushPending";

ALTER TABLE "ContactEmail"
  ADD COLUMN "name" TEXT,
  ADD COLUMN "position" INTEGER NOT NULL DEFAULT 0;

CREATE TABLE "Task" (
    "id" UUID NOT NULL,
    "ownerType" "OwnerType" NOT NULL,
    "ownerId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "body" TEXT,
    "status" "TaskStatus" NOT NULL DEFAULT 'NotStarted',
    "importance" "TaskImportance" NOT NULL DEFAULT 'Normal',
    "startAt" TIMESTAMP(3),
    "dueAt" TIMESTAMP(3),
    "reminderAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "categories" JSONB NOT NULL DEFAULT '[]',
    "regardingType" TEXT,
    "regardingId" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "changeSeq" BIGINT NOT NULL DEFAULT 0,
    "pushPending" BOOLEAN NOT NULL DEFAULT false,
    "deletedAt" TIMESTAMP(3),
    "statusChangedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Task_ownerType_ownerId_idx" ON "Task"("ownerType", "ownerId");
CREATE INDEX "Task_push_pending_idx" ON "Task"("ownerType", "ownerId") WHERE "pushPending";

CREATE TABLE "AppChange" (
    "seq" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "recordId" UUID NOT NULL,
    "operation" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "mailboxId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AppChange_pkey" PRIMARY KEY ("seq")
);

CREATE TABLE "ActLink" (
    "id" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "recordId" UUID NOT NULL,
    "graphItemId" TEXT,
    "changeKey" TEXT,
    "exchangeModifiedAt" TIMESTAMP(3),
    "base" JSONB,
    "syncedVersion" INTEGER NOT NULL DEFAULT 0,
    "syncedAt" TIMESTAMP(3),
    "syncState" TEXT NOT NULL DEFAULT 'Pending',
    "createIntentAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ActLink_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "ActLink_mailboxId_kind_recordId_key" ON "ActLink"("mailboxId", "kind", "recordId");
CREATE UNIQUE INDEX "ActLink_mailboxId_graphItemId_key" ON "ActLink"("mailboxId", "graphItemId");
CREATE INDEX "ActLink_kind_recordId_idx" ON "ActLink"("kind", "recordId");
ALTER TABLE "ActLink" ADD CONSTRAINT "ActLink_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "ActConflict" (
    "id" UUID NOT NULL,
    "mailboxId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "recordId" UUID NOT NULL,
    "graphItemId" TEXT,
    "field" TEXT NOT NULL,
    "appValue" JSONB,
    "exchangeValue" JSONB,
    "winner" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ActConflict_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "ActConflict_mailboxId_createdAt_idx" ON "ActConflict"("mailboxId", "createdAt");
CREATE INDEX "ActConflict_recordId_idx" ON "ActConflict"("recordId");
ALTER TABLE "ActConflict" ADD CONSTRAINT "ActConflict_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "ActMailboxState" (
    "mailboxId" UUID NOT NULL,
    "taskListId" TEXT,
    "ownedSince" TIMESTAMP(3),
    "ownershipCheckedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ActMailboxState_pkey" PRIMARY KEY ("mailboxId")
);
ALTER TABLE "ActMailboxState" ADD CONSTRAINT "ActMailboxState_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "Deployment" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);
