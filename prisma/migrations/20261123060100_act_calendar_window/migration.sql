-- ACT appointments: where the mailbox's calendar delta window starts (the round is started again,
-- with the window moved, once it is older than the profile's slide interval: docs/act-sync.md).
ALTER TABLE "ActMailboxState" ADD COLUMN "calendarWindowStart" TIMESTAMP(3);
