-- ACT appointments (docs/act-sync.md#appointments): one appointment per meeting, its parties with
-- their response status, recurring series as a master with its pattern and range, exceptions as
-- their own rows, cancelled occurrences on the master; links per mailbox in "ActLink".

CREATE TYPE "ActInvitationPolicy" AS ENUM ('All', 'InternalOnly', 'None');
CREATE TYPE "AppointmentType" AS ENUM ('SingleInstance', 'SeriesMaster', 'Exception');
CREATE TYPE "AppointmentShowAs" AS ENUM ('Free', 'Tentative', 'Busy', 'Oof', 'WorkingElsewhere', 'Unknown');
CREATE TYPE "AppointmentSensitivity" AS ENUM ('Normal', 'Personal', 'Private', 'Confidential');
CREATE TYPE "AppointmentPartyRole" AS ENUM ('Organizer', 'Required', 'Optional', 'Resource');
CREATE TYPE "AttendeeResponse" AS ENUM ('None', 'Organizer', 'TentativelyAccepted', 'Accepted', 'Declined', 'NotResponded');

ALTER TABLE "EmailServerProfile"
  ADD COLUMN "actInvitationPolicy" "ActInvitationPolicy" NOT NULL DEFAULT 'InternalOnly';

CREATE TABLE "Appointment" (
    "id" UUID NOT NULL,
    "ownerType" "OwnerType" NOT NULL,
    "ownerId" TEXT NOT NULL,
    "type" "AppointmentType" NOT NULL DEFAULT 'SingleInstance',
    "subject" TEXT NOT NULL,
    "body" TEXT,
    "location" TEXT,
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3) NOT NULL,
    "startTimeZone" TEXT NOT NULL DEFAULT 'UTC',
    "endTimeZone" TEXT NOT NULL DEFAULT 'UTC',
    "isAllDay" BOOLEAN NOT NULL DEFAULT false,
    "showAs" "AppointmentShowAs" NOT NULL DEFAULT 'Busy',
    "sensitivity" "AppointmentSensitivity" NOT NULL DEFAULT 'Normal',
    "importance" "TaskImportance" NOT NULL DEFAULT 'Normal',
    "categories" JSONB NOT NULL DEFAULT '[]',
    "isReminderOn" BOOLEAN NOT NULL DEFAULT true,
    "reminderMinutesBeforeStart" INTEGER NOT NULL DEFAULT 15,
    "isOnlineMeeting" BOOLEAN NOT NULL DEFAULT false,
    "onlineMeetingUrl" TEXT,
    "isCancelled" BOOLEAN NOT NULL DEFAULT false,
    "regardingType" TEXT,
    "regardingId" TEXT,
    "iCalUId" TEXT,
    "recurrence" JSONB,
    "seriesMasterId" UUID,
    "originalStartAt" TIMESTAMP(3),
    "cancelledOccurrences" JSONB NOT NULL DEFAULT '[]',
    "lastEndAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "changeSeq" BIGINT NOT NULL DEFAULT 0,
    "pushPending" BOOLEAN NOT NULL DEFAULT false,
    "deletedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Appointment_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Appointment_ownerType_ownerId_idx" ON "Appointment"("ownerType", "ownerId");
CREATE INDEX "Appointment_startAt_idx" ON "Appointment"("startAt");
CREATE UNIQUE INDEX "Appointment_iCalUId_key" ON "Appointment"("iCalUId");
CREATE UNIQUE INDEX "Appointment_seriesMasterId_originalStartAt_key" ON "Appointment"("seriesMasterId", "originalStartAt");
CREATE INDEX "Appointment_push_pending_idx" ON "Appointment"("ownerType", "ownerId") WHERE "pushPending";
ALTER TABLE "Appointment" ADD CONSTRAINT "Appointment_seriesMasterId_fkey" FOREIGN KEY ("seriesMasterId") REFERENCES "Appointment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "AppointmentParty" (
    "id" UUID NOT NULL,
    "appointmentId" UUID NOT NULL,
    "role" "AppointmentPartyRole" NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT,
    "position" INTEGER NOT NULL DEFAULT 0,
    "contactId" UUID,
    "ownerType" "OwnerType",
    "ownerId" TEXT,
    "mailboxId" UUID,
    "responseStatus" "AttendeeResponse" NOT NULL DEFAULT 'None',
    "respondedAt" TIMESTAMP(3),

    CONSTRAINT "AppointmentParty_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AppointmentParty_appointmentId_idx" ON "AppointmentParty"("appointmentId");
CREATE INDEX "AppointmentParty_address_idx" ON "AppointmentParty"("address");
CREATE INDEX "AppointmentParty_mailboxId_idx" ON "AppointmentParty"("mailboxId");
ALTER TABLE "AppointmentParty" ADD CONSTRAINT "AppointmentParty_appointmentId_fkey" FOREIGN KEY ("appointmentId") REFERENCES "Appointment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
