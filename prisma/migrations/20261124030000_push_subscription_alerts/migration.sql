-- Push: a subscription that keeps failing is told to the admin (packages/sync/src/push/alerts.ts).
-- "failingSince": when its current run of failed Graph calls began (NULL while it works); once that
-- is PUSH_ALERT_AFTER_SEC ago, a Warning alert is raised and "alertId" names it until the
-- subscription works again, when the alert is resolved. One alert may stand for several
-- subscriptions (a workload's resources; every mailbox of a profile for a profile-wide cause).
ALTER TABLE "MailboxSubscription" ADD COLUMN "failingSince" TIMESTAMP(3),
                                  ADD COLUMN "alertId" UUID;

CREATE INDEX "MailboxSubscription_alertId_idx" ON "MailboxSubscription"("alertId");

ALTER TABLE "MailboxSubscription" ADD CONSTRAINT "MailboxSubscription_alertId_fkey" FOREIGN KEY ("alertId") REFERENCES "Alert"("id") ON DELETE SET NULL ON UPDATE CASCADE;
