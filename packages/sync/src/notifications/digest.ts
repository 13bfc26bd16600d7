import { createHmac } from 'node:crypto';
import type { SecretBox } from '@syncfleet/config';
import type { Prisma } from '@syncfleet/db';
import { type Db } from '@syncfleet/db';
import type { Logger } from '@syncfleet/telemetry';
import { createOutgoingEmail, OutgoingEmailInputError } from '../outgoing-email/create';

/**
 * Owner notifications that reach a person: ONE digest per burst of Error alerts of a profile
 * (mailboxes disabled by a permanent failure, a profile-level error) — not one message per mailbox.
 * A burst ends when no new Error alert came for the profile's `digestQuietSec` (or, at the latest,
 * after ten times that since its first alert). The digest goes
 * - by email: an outgoing EmailActivity from the profile's notification mailbox to its ownerEmail,
 *   sent by the outgoing workload like any application email;
 * - by webhook: a JSON POST to the profile's webhookUrl, signed with HMAC-SHA256 over the body
 *   under the profile's webhook secret (sealed at rest), with a timeout and retries with backoff.
 * Every console runs the loop; a profile row lock (SKIP LOCKED) makes one of them write each
 * digest, and a lease on the digest row makes one of them deliver each webhook attempt.
 */

export const SIGNATURE_HEADER = 'x-syncfleet-signature';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the profile's webhook secret. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface DigestDeps {
  prisma: Db;
  secretBox: SecretBox;
  logger: Logger;
  clock?: () => Date;
  /** Per webhook request (default 10 s). */
  webhookTimeoutMs?: number;
  /** Attempts before a webhook is given up as Failed (default 6: ~5 s, 10 s, 20 s, 40 s, 80 s). */
  webhookMaxAttempts?: number;
  webhookBackoffMs?: number;
}

const LOOKBACK_MS = 24 * 60 * 60_000;
/** While one console sends a webhook attempt, the others leave the digest alone this long. */
const ATTEMPT_LEASE_MS = 60_000;
const LISTED = 50;

export class DigestNotifier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly clock: () => Date;

  constructor(private readonly deps: DigestDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  start(intervalMs = 5_000): void {
    const loop = () => {
      this.running = this.tick()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'owner notification round failed'))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(loop, intervalMs).unref();
        });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: digests for the bursts that ended, then the webhook attempts that are due. */
  async tick(): Promise<void> {
    await this.writeDigests();
    await this.deliverWebhooks();
  }

  async writeDigests(): Promise<string[]> {
    const { prisma } = this.deps;
    const now = this.clock();
    const since = new Date(now.getTime() - LOOKBACK_MS).toISOString();
    const bursts = await prisma.$queryRaw<{ profileId: string }[]>`
      SELECT a."profileId" FROM "Alert" a JOIN "EmailServerProfile" p ON p."id" = a."profileId"
      WHERE a."severity" = 'Error' AND a."digestId" IS NULL AND a."createdAt" >= ${since}::timestamp
        AND ((p."ownerEmail" IS NOT NULL AND p."notificationMailboxId" IS NOT NULL) OR p."webhookUrl" IS NOT NULL)
      GROUP BY a."profileId", p."digestQuietSec"
      HAVING max(a."createdAt") <= ${now.toISOString()}::timestamp - make_interval(secs => p."digestQuietSec")
          OR min(a."createdAt") <= ${now.toISOString()}::timestamp - make_interval(secs => p."digestQuietSec" * 10)`;
    const written: string[] = [];
    for (const { profileId } of bursts) {
      const id = await this.writeDigest(profileId, since, now).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, profileId }, 'owner digest could not be written');
        return null;
      });
      if (id) written.push(id);
    }
    return written;
  }

  private async writeDigest(profileId: string, since: string, now: Date): Promise<string | null> {
    return this.deps.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "EmailServerProfile" WHERE "id" = ${profileId}::uuid FOR UPDATE SKIP LOCKED`;
      if (!locked.length) return null; // another console is writing this profile's digest
      const profile = await tx.emailServerProfile.findUniqueOrThrow({ where: { id: profileId } });
      const alerts = await tx.alert.findMany({
        where: { profileId, severity: 'Error', digestId: null, createdAt: { gte: new Date(since) } },
        orderBy: { createdAt: 'asc' },
        include: { mailbox: { select: { address: true } } },
      });
      if (!alerts.length) return null;
      const mailboxes = new Set(alerts.map((a) => a.mailboxId).filter(Boolean)).size;
      const subject =
        `Syncfleet: ${alerts.length} error alert${alerts.length === 1 ? '' : 's'} on profile ${profile.name}` +
        (mailboxes ? ` (${mailboxes} mailbox${mailboxes === 1 ? '' : 'es'} need attention)` : '');
      const lines = alerts
        .slice(0, LISTED)
        .map(
          (a) =>
            `- ${a.createdAt.toISOString()} ${a.mailbox?.address ?? 'profile'}: ${a.code} — ${a.message}`,
        );
      if (alerts.length > LISTED) lines.push(`… and ${alerts.length - LISTED} more (see the console).`);
      const body = [
        `Profile "${profile.name}" has new error alerts. Synchronization is disabled where they apply:`,
        'fix the cause, then run Test & Enable on the mailboxes (the console can do it in bulk).',
        '',
        ...lines,
      ].join('\n');
      const digest = await tx.notificationDigest.create({
        data: {
          profileId,
          alertCount: alerts.length,
          subject,
          body,
          webhookState: profile.webhookUrl ? 'Pending' : null,
          webhookNextAttemptAt: profile.webhookUrl ? now : null,
          createdAt: now,
        },
      });
      await tx.alert.updateMany({
        where: { id: { in: alerts.map((a) => a.id) } },
        data: { digestId: digest.id },
      });
      await tx.alert.updateMany({
        where: { id: { in: alerts.map((a) => a.id) }, notifiedAt: null },
        data: { notifiedAt: now },
      });
      if (profile.ownerEmail && profile.notificationMailboxId) {
        try {
          // The same validation as POST /api/emails: the sender must have outgoing email enabled.
          const email = await createOutgoingEmail(tx as unknown as Db, {
            mailboxId: profile.notificationMailboxId,
            subject,
            bodyText: body,
            to: [profile.ownerEmail],
          });
          await tx.notificationDigest.update({ where: { id: digest.id }, data: { emailId: email.id } });
        } catch (error) {
          if (!(error instanceof OutgoingEmailInputError)) throw error;
          await tx.notificationDigest.update({
            where: { id: digest.id },
            data: { emailError: error.message.slice(0, 1000) },
          });
        }
      }
      this.deps.logger.info(
        { notice: 'owner', profileId, digestId: digest.id, alerts: alerts.length },
        `owner digest: ${subject}`,
      );
      return digest.id;
    });
  }

  async deliverWebhooks(): Promise<void> {
    const { prisma } = this.deps;
    const now = this.clock();
    const due = await prisma.notificationDigest.findMany({
      where: { webhookState: 'Pending', webhookNextAttemptAt: { lte: now } },
      include: { profile: true },
      take: 20,
    });
    for (const digest of due) {
      // Lease this attempt: only the console whose update matched sends it.
      const { count } = await prisma.notificationDigest.updateMany({
        where: { id: digest.id, webhookState: 'Pending', webhookNextAttemptAt: digest.webhookNextAttemptAt },
        data: { webhookNextAttemptAt: new Date(now.getTime() + ATTEMPT_LEASE_MS) },
      });
      if (count) await this.attempt(digest);
    }
  }

  private async attempt(digest: Prisma.NotificationDigestGetPayload<{ include: { profile: true } }>) {
    const { prisma, logger } = this.deps;
    const { profile } = digest;
    const attempts = digest.webhookAttempts + 1;
    const maxAttempts = this.deps.webhookMaxAttempts ?? 6;
    let error: string | null = null;
    try {
      if (!profile.webhookUrl || !profile.webhookSecretCiphertext || !profile.webhookSecretKeyId)
        throw new Error('the profile has no webhook URL and secret any more');
      const secret = this.deps.secretBox.open({
        ciphertext: profile.webhookSecretCiphertext,
        keyId: profile.webhookSecretKeyId,
      });
      const alerts = await prisma.alert.findMany({
        where: { digestId: digest.id },
        orderBy: { createdAt: 'asc' },
        include: { mailbox: { select: { address: true } } },
      });
      const body = JSON.stringify({
        type: 'syncfleet.owner-digest',
        id: digest.id,
        createdAt: digest.createdAt.toISOString(),
        profile: { id: profile.id, name: profile.name },
        subject: digest.subject,
        alerts: alerts.map((a) => ({
          id: a.id,
          severity: a.severity,
          code: a.code,
          message: a.message,
          workload: a.workload,
          mailboxId: a.mailboxId,
          mailboxAddress: a.mailbox?.address ?? null,
          createdAt: a.createdAt.toISOString(),
        })),
      });
      const response = await fetch(profile.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhookBody(secret, body),
          'x-syncfleet-delivery': digest.id,
          'x-syncfleet-attempt': String(attempts),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.webhookTimeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const now = this.clock();
    if (!error) {
      await prisma.notificationDigest.update({
        where: { id: digest.id },
        data: {
          webhookState: 'Delivered',
          webhookAttempts: attempts,
          webhookDeliveredAt: now,
          webhookLastError: null,
        },
      });
      logger.info({ digestId: digest.id, attempts }, 'owner digest webhook delivered');
      return;
    }
    const backoff = (this.deps.webhookBackoffMs ?? 5_000) * 2 ** (attempts - 1);
    const failed = attempts >= maxAttempts;
    await prisma.notificationDigest.update({
      where: { id: digest.id },
      data: {
        webhookState: failed ? 'Failed' : 'Pending',
        webhookAttempts: attempts,
        webhookLastError: error.slice(0, 1000),
        webhookNextAttemptAt: failed ? null : new Date(now.getTime() + backoff),
      },
    });
    logger.warn({ digestId: digest.id, attempts, error, failed }, 'owner digest webhook attempt failed');
  }
}
