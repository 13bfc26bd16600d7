import { AlertSeverity, type Prisma, type Workload } from '@syncfleet/db';
import type { EngineResources } from './types';

type Tx = Prisma.TransactionClient;

export interface NewAlert {
  severity: AlertSeverity;
  code: string;
  message: string;
  workload?: Workload | null;
  mailboxId?: string | null;
  profileId: string;
}

/**
 * Records an alert. When `dedupe` is set and an unacknowledged alert with the same code already
 * stands on the same mailbox/profile, nothing new is written (one alert, not thousands).
 */
export async function raiseAlert(tx: Tx, alert: NewAlert, { dedupe = false } = {}) {
  if (dedupe) {
    const existing = await tx.alert.findFirst({
      where: {
        code: alert.code,
        profileId: alert.profileId,
        mailboxId: alert.mailboxId ?? null,
        acknowledgedAt: null,
      },
      select: { id: true },
    });
    if (existing) return null;
  }
  return tx.alert.create({
    data: {
      severity: alert.severity,
      code: alert.code,
      message: alert.message,
      workload: alert.workload ?? null,
      mailboxId: alert.mailboxId ?? null,
      profileId: alert.profileId,
    },
  });
}

/** Tells the profile owner about an Error alert, once, and records that it was told. */
export async function notifyOwner(
  res: Pick<EngineResources, 'prisma' | 'notifier' | 'logger' | 'clock'>,
  alert: { id: string; code: string; message: string; profileId: string | null },
): Promise<void> {
  if (!alert.profileId) return;
  const profile = await res.prisma.emailServerProfile.findUnique({
    where: { id: alert.profileId },
    select: { id: true, name: true, ownerEmail: true },
  });
  if (!profile) return;
  try {
    await res.notifier.notify({
      ownerEmail: profile.ownerEmail,
      profileId: profile.id,
      alertId: alert.id,
      subject: `Syncfleet: ${alert.code} on profile ${profile.name}`,
      body: alert.message,
    });
    await res.prisma.alert.update({ where: { id: alert.id }, data: { notifiedAt: res.clock() } });
  } catch (error) {
    // A failed notification must not undo the alert; it stays unnotified for the console to show.
    res.logger.warn({ err: error, alertId: alert.id }, 'owner notification failed');
  }
}

export { AlertSeverity };
