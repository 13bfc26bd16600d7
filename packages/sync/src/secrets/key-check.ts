import type { SecretBox } from '@syncfleet/config';
import type { Db } from '@syncfleet/db';
import type { Logger } from '@syncfleet/telemetry';

/** SECRET_KEYS holds a key under an id the database knows, but not the key that id stands for. */
export class SecretKeyMismatchError extends Error {
  override name = 'SecretKeyMismatchError';
  constructor(readonly keyIds: string[]) {
    super(
      `SECRET_KEYS: the key${keyIds.length > 1 ? 's' : ''} configured as ${keyIds.map((k) => `"${k}"`).join(', ')} ` +
        `${keyIds.length > 1 ? 'are' : 'is'} not the one this database's secrets were sealed with. ` +
        'Configure the original key under that id (a new key needs a new id; see README "Security").',
    );
  }
}

/**
 * Boot check of every app that opens secrets: for each configured key id, the stored check value
 * (a constant sealed under that id's key, written by the first app that used the id) must open
 * with the configured key. Throws SecretKeyMismatchError naming every wrong id. Profiles sealed
 * under ids that are not configured are reported (their mailboxes get one profile alert each when
 * used), not refused: the other profiles keep working.
 */
export async function verifySecretKeys(prisma: Db, secretBox: SecretBox, logger: Logger): Promise<void> {
  // First use of an id records its check value; an existing row is never overwritten.
  await prisma.secretKeyCheck.createMany({
    data: secretBox.keyIds.map((keyId) => ({ keyId, checkValue: secretBox.keyCheck(keyId) })),
    skipDuplicates: true,
  });
  const rows = await prisma.secretKeyCheck.findMany({ where: { keyId: { in: secretBox.keyIds } } });
  const wrong = rows.filter((r) => !secretBox.matchesKeyCheck(r.keyId, r.checkValue)).map((r) => r.keyId);
  if (wrong.length) throw new SecretKeyMismatchError(wrong);

  const missing = await prisma.emailServerProfile.groupBy({
    by: ['clientSecretKeyId'],
    where: { clientSecretKeyId: { notIn: secretBox.keyIds } },
    _count: { _all: true },
  });
  for (const m of missing)
    logger.error(
      { keyId: m.clientSecretKeyId, profiles: m._count._all },
      'profiles are sealed with a key id that is not in SECRET_KEYS; their secrets cannot be opened',
    );
  const stale = await prisma.emailServerProfile.count({
    where: { clientSecretKeyId: { in: secretBox.keyIds, not: secretBox.currentKeyId } },
  });
  if (stale)
    logger.info({ profiles: stale }, 'profiles sealed with an older key: run "syncfleet secrets rotate"');
}

export interface RotationResult {
  /** Profiles re-sealed under the current key. */
  rotated: number;
  /** Profiles already under the current key. */
  current: number;
  /** Profiles whose secret could not be opened (key id not configured, or wrong key). */
  unreadable: { profileId: string; keyId: string }[];
}

/**
 * Re-seals every profile secret that is not under the current (first) key, so older keys can be
 * retired. Safe to run concurrently with anything: a row is only replaced if it still holds the
 * ciphertext that was opened (a secret changed meanwhile is left as the newer write made it).
 */
export async function rotateSecrets(prisma: Db, secretBox: SecretBox): Promise<RotationResult> {
  const profiles = await prisma.emailServerProfile.findMany({
    select: { id: true, clientSecretKeyId: true, clientSecretCiphertext: true },
  });
  const result: RotationResult = { rotated: 0, current: 0, unreadable: [] };
  for (const p of profiles) {
    const sealed = { keyId: p.clientSecretKeyId, ciphertext: p.clientSecretCiphertext };
    if (!secretBox.needsRotation(sealed)) {
      result.current++;
      continue;
    }
    let plaintext: string;
    try {
      plaintext = secretBox.open(sealed);
    } catch {
      result.unreadable.push({ profileId: p.id, keyId: p.clientSecretKeyId });
      continue;
    }
    const fresh = secretBox.seal(plaintext);
    const { count } = await prisma.emailServerProfile.updateMany({
      where: { id: p.id, clientSecretCiphertext: p.clientSecretCiphertext },
      // updatedAt changes, so every process rebuilds its client for the profile (same secret).
      data: { clientSecretCiphertext: fresh.ciphertext, clientSecretKeyId: fresh.keyId },
    });
    result.rotated += count;
  }
  return result;
}
