-- The console's mailbox list at 100,000 mailboxes (npm run bench:console): search by part of the
-- address or display name (trigram indexes; pg_trgm is a trusted extension since PostgreSQL 13, so
-- the database owner may create it), and each sort's leading keys per workload, so a page of the
-- top rows is an index scan plus an incremental sort instead of sorting every mailbox.
-- Not expressible in schema.prisma (operator class, NULLS LAST): kept here, like the due index.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX "Mailbox_address_trgm_idx" ON "Mailbox" USING gin ("address" gin_trgm_ops);

CREATE INDEX "Mailbox_displayName_trgm_idx" ON "Mailbox" USING gin ("displayName" gin_trgm_ops);

CREATE INDEX "MailboxWorkload_lastAttempt_sort_idx" ON "MailboxWorkload" ("workload", "lastAttemptAt" DESC NULLS LAST);

CREATE INDEX "MailboxWorkload_lag_sort_idx" ON "MailboxWorkload" ("workload", "enabled" DESC, "nextDueAt");

CREATE INDEX "MailboxWorkload_errors_sort_idx" ON "MailboxWorkload" ("workload", "lastErrorCount" DESC, "transientFailureCount" DESC);
