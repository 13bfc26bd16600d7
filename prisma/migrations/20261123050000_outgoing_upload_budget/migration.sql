-- Outgoing email paces its uploads under Outlook's per-mailbox budget ("150 megabytes (MB) upload
-- (PATCH, POST, PUT) in a 5-minute period", Microsoft Graph throttling limits): each draft records
-- when it was uploaded and how many bytes its request carried.
ALTER TABLE "EmailActivity" ADD COLUMN "draftUploadedAt" TIMESTAMP(3);
ALTER TABLE "EmailActivity" ADD COLUMN "draftUploadBytes" INTEGER;
CREATE INDEX "EmailActivity_ownerMailboxId_draftUploadedAt_idx" ON "EmailActivity"("ownerMailboxId", "draftUploadedAt");
