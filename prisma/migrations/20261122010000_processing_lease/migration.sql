-- AlterTable
ALTER TABLE "MailboxWorkload" ADD COLUMN "processingLeaseUntil" TIMESTAMP(3),
ADD COLUMN "enqueuedAt" TIMESTAMP(3);
