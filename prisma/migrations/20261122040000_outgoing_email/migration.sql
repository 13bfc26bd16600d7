-- AlterTable
ALTER TABLE "EmailActivity" ADD COLUMN "trackingNumber" BIGSERIAL NOT NULL;
