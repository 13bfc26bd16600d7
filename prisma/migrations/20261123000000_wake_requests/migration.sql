-- "Sync this mailbox now" (an application write, a change notification): when the last request to
-- run a workload at once arrived. A request that arrives while a cycle runs makes that cycle's finish
-- due again immediately, so it is never lost (packages/sync/src/engine/wake.ts).
ALTER TABLE "MailboxWorkload" ADD COLUMN "wakeRequestedAt" TIMESTAMP(3);
