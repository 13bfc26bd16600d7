-- AlterEnum
ALTER TYPE "EmailStatus" ADD VALUE 'Bounced';

-- AlterTable
ALTER TABLE "EmailActivity" ADD COLUMN "sendSubmittedAt" TIMESTAMP(3);
