import { generateSecretKey, SecretBox } from '@syncfleet/config';
import { createLogger } from '@syncfleet/telemetry';
import { runWorkloadJob } from '../engine/run-job';
import { createProbeHandlers } from '../probe/probe-handlers';
import { useEngineHarness } from '../testing/engine-harness';
import { spawnApp } from '@syncfleet/testing/processes';
import { rotateSecrets, SecretKeyMismatchError, verifySecretKeys } from './key-check';

const h = useEngineHarness('key-check', { mailboxes: 2, workloads: ['incoming-email', 'act'] });
const logger = createLogger({ name: 'test', level: 'silent' });

describe('SECRET_KEYS checked at boot', () => {
  it('records a check value per key id, accepts the same key, refuses another key under a known id', async () => {
    const k1 = generateSecretKey('boot1');
    await verifySecretKeys(h.db.prisma, new SecretBox([k1]), logger);
    await verifySecretKeys(h.db.prisma, new SecretBox([k1]), logger);
    const wrong = new SecretBox([generateSecretKey('boot1')]);
    await expect(verifySecretKeys(h.db.prisma, wrong, logger)).rejects.toThrow(SecretKeyMismatchError);
    await expect(verifySecretKeys(h.db.prisma, wrong, logger)).rejects.toThrow(/"boot1" is not the one/);
    // A new id next to the right old one is fine, and recorded from then on.
    await verifySecretKeys(h.db.prisma, new SecretBox([generateSecretKey('boot2'), k1]), logger);
    expect((await h.db.prisma.secretKeyCheck.findMany()).map((r) => r.keyId).sort()).toEqual(
      expect.arrayContaining(['boot1', 'boot2']),
    );
  });

  it('a worker process with the wrong key under a known id refuses to start, naming the key id', async () => {
    await verifySecretKeys(h.db.prisma, h.fx.secretBox, logger);
    const worker = spawnApp('worker', 'wrong-key-worker', {
      DATABASE_URL: h.db.url,
      REDIS_URL: h.redis.url,
      QUEUE_PREFIX: h.redis.prefix,
      SECRET_KEYS: generateSecretKey(h.fx.secretBox.currentKeyId),
      LOG_LEVEL: 'warn',
    });
    const { code } = await worker.exited;
    expect(code).not.toBe(0);
    expect(worker.output()).toMatch(new RegExp(`"${h.fx.secretBox.currentKeyId}" is not the one`));
  }, 60_000);
});

describe('rotation', () => {
  it('re-seals every secret under the newest key so the old key can be retired', async () => {
    const [oldKey, newKey] = [generateSecretKey('rot-old'), generateSecretKey('rot-new')];
    const sealed = new SecretBox([oldKey]).seal('rotate-me');
    const profile = await h.db.prisma.emailServerProfile.create({
      data: {
        name: 'rotation',
        tenantId: 't',
        clientId: 'c',
        clientSecretCiphertext: sealed.ciphertext,
        clientSecretKeyId: sealed.keyId,
      },
    });
    const both = new SecretBox([newKey, oldKey]);
    const result = await rotateSecrets(h.db.prisma, both);
    expect(result.rotated).toBeGreaterThanOrEqual(1);
    const row = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: profile.id } });
    expect(row.clientSecretKeyId).toBe('rot-new');
    expect(
      new SecretBox([newKey]).open({ keyId: row.clientSecretKeyId, ciphertext: row.clientSecretCiphertext }),
    ).toBe('rotate-me');
    // Idempotent: a second run has nothing to do for it.
    const again = await rotateSecrets(h.db.prisma, both);
    expect(again.unreadable.map((u) => u.profileId)).not.toContain(profile.id);
    await h.db.prisma.emailServerProfile.delete({ where: { id: profile.id } });
  });
});

describe('a profile secret that cannot be opened', () => {
  it('is one permanent profile-level failure: one alert, every workload of the profile disabled', async () => {
    // Sealed under a different key that carries the same id as the configured one.
    const foreign = new SecretBox([generateSecretKey(h.fx.secretBox.currentKeyId)]).seal(h.fx.clientSecret);
    await h.db.prisma.emailServerProfile.update({
      where: { id: h.fx.profileId },
      data: { clientSecretCiphertext: foreign.ciphertext, clientSecretKeyId: foreign.keyId },
    });
    const handlers = createProbeHandlers();
    const job = (mailboxId: string) => ({
      mailboxId,
      workload: 'incoming-email' as const,
      dueAt: new Date().toISOString(),
    });
    expect(await runWorkloadJob(h.res, handlers, job(h.fx.mailboxes[0]!.id))).toBe('failure');
    expect(await runWorkloadJob(h.res, handlers, job(h.fx.mailboxes[1]!.id))).not.toBe('failure');

    const alerts = await h.db.prisma.alert.findMany();
    expect(alerts).toEqual([
      expect.objectContaining({ profileId: h.fx.profileId, mailboxId: null, severity: 'Error' }),
    ]);
    expect(alerts[0]!.message).toMatch(/cannot be opened/);
    const workloads = await h.db.prisma.mailboxWorkload.findMany({ where: { method: 'ServerSideSync' } });
    expect(workloads.length).toBe(4);
    expect(workloads.every((w) => !w.enabled)).toBe(true);
  });
});
