-- The scheduler's every-tick query looks for due rows NOT yet queued for their current due time.
-- This partial index holds only those, so a tick costs what is new rather than a walk through the
-- backlog already queued (which the less frequent requeue pass still covers, via the due index).
CREATE INDEX "MailboxWorkload_unqueued_partial_idx" ON "MailboxWorkload"("workload", "nextDueAt")
    WHERE "enabled" AND "method" = 'ServerSideSync' AND ("enqueuedAt" IS NULL OR "enqueuedAt" < "nextDueAt");
