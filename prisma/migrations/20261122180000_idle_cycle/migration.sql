-- An idle cycle updates its MailboxWorkload row three times (queued, claimed, finished). Room on
-- each page lets PostgreSQL make the first two heap-only (HOT) updates, which touch no index.
ALTER TABLE "MailboxWorkload" SET (fillfactor = 80);

-- The scheduler's due query uses the partial index "MailboxWorkload_due_partial_idx"; this full
-- copy of it only cost an index insertion on every finished cycle.
DROP INDEX "MailboxWorkload_workload_nextDueAt_idx";
