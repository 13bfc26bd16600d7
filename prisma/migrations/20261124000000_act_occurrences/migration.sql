-- ACT appointments: the occurrences of series a mailbox's calendar delta has shown (calendarView
-- lists occurrences, never their master). An occurrence deleted in Outlook comes back from the
-- delta only as "@removed" with its id; this row says which series and which original start it
-- was, so the deletion becomes a cancelled occurrence of the series (docs/act-sync.md#appointments);
-- "pattern" is the series' recurrence when the occurrence was seen: an occurrence gone while the
-- pattern changed left with an edit of the series, not by its own deletion. "seenAt": a round that
-- starts from nothing (delta state lost) reports no deletions; rows it did not see are checked.
CREATE TABLE "ActOccurrence" (
    "mailboxId" UUID NOT NULL,
    "graphItemId" TEXT NOT NULL,
    "recordId" UUID NOT NULL,
    "originalStart" TIMESTAMP(3) NOT NULL,
    "pattern" TEXT NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ActOccurrence_pkey" PRIMARY KEY ("mailboxId", "graphItemId")
);
CREATE INDEX "ActOccurrence_recordId_idx" ON "ActOccurrence"("recordId");
ALTER TABLE "ActOccurrence" ADD CONSTRAINT "ActOccurrence_mailboxId_fkey" FOREIGN KEY ("mailboxId") REFERENCES "Mailbox"("id") ON DELETE CASCADE ON UPDATE CASCADE;
