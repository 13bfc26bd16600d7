import { SecretUnreadableError } from '@syncfleet/config';
import { createPrisma, type EmailServerProfile } from '@syncfleet/db';
import { SyncError } from '@syncfleet/errors';
import type { MailboxGraph } from '@syncfleet/graph';
import type { TestDatabase } from '@syncfleet/testing';
import { createProbeHandlers } from '../probe/probe-handlers';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { classifyError } from './classify';
import { runWorkloadJob } from './run-job';
import type { EngineResources, WorkloadHandlers } from './types';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;
const harness = useEngineHarness('classify', { mailboxes: 3, workloads: ['incoming-email'] });
beforeAll(() => {
  ({ db, fx, res } = harness);
});
afterEach(() => fx.sim.admin.clearFaults());

const profile = () => db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: fx.profileId } });
async function graphFor(n: number, p?: EmailServerProfile): Promise<MailboxGraph> {
  const mb = fx.mailboxes[n]!;
  return res.graph.forMailbox(p ?? (await profile()), { id: mb.id, address: mb.address });
}
async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
const shape = (e: SyncError) => ({ reason: e.reason, kind: e.kind, scope: e.scope, code: e.code });
const inbox = (n: number) => `/users/${fx.mailboxes[n]!.simId}/mailFolders/inbox`;

describe('Graph errors from the simulator, through the official client and our middleware', () => {
  test('an unknown delta token: 410 SyncStateNotFound → SyncStateGone', async () => {
    const graph = await graphFor(0);
    const thrown = await failure(() => graph.api(`${inbox(0)}/messages/delta?$deltatoken=evicted`).get());
    expect(shape(classifyError(thrown))).toEqual({
      reason: 'SyncStateGone',
      kind: 'transient',
      scope: 'mailbox',
      code: 'SyncStateNotFound',
    });
  });

  test.each([
    [{ status: 403, code: 'ErrorAccessDenied' }, 'MissingPermission', 'permanent', 'ErrorAccessDenied'],
    [
      { status: 404, code: 'MailboxNotEnabledForRESTAPI' },
      'MailboxUnavailable',
      'permanent',
      'MailboxNotEnabledForRESTAPI',
    ],
    [{ status: 404 }, 'NotFound', 'permanent', 'ErrorItemNotFound'],
    [{ dropConnection: true }, 'Network', 'transient', 'TypeError'],
    // A 200 whose body is not JSON: not a status Graph documents, so not guessed at.
    [{ status: 200, malformedJson: true }, 'Unexpected', 'transient', 'SyntaxError'],
  ])('fault %j → %s', async (fault, reason, kind, code) => {
    await fx.sim.admin.addFault({ scope: { mailbox: fx.mailboxes[0]!.simId }, ...fault });
    const graph = await graphFor(0);
    const error = classifyError(await failure(() => graph.api(inbox(0)).get()));
    expect(shape(error)).toEqual({ reason, kind, scope: 'mailbox', code });
  });

  test('429 with a long Retry-After: Throttled, carrying the delay', async () => {
    await fx.sim.admin.addFault({
      scope: { mailbox: fx.mailboxes[2]!.simId },
      status: 429,
      retryAfterSeconds: 20,
    });
    const graph = await graphFor(2);
    const error = classifyError(await failure(() => graph.api(inbox(2)).get()));
    expect(shape(error)).toMatchObject({ reason: 'Throttled', kind: 'transient', scope: 'mailbox' });
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 20_000 });
  });

  test("no answer within the profile's connection timeout: Timeout", async () => {
    const slow = { ...(await profile()), connectionTimeoutSec: 1, updatedAt: new Date() };
    await fx.sim.admin.addFault({ scope: { mailbox: fx.mailboxes[1]!.simId }, latencyMs: 3_000 });
    const graph = await graphFor(1, slow);
    const error = classifyError(await failure(() => graph.api(inbox(1)).get()));
    expect(shape(error)).toEqual({
      reason: 'Timeout',
      kind: 'transient',
      scope: 'mailbox',
      code: 'TimeoutError',
    });
  });

  test('a wrong client secret, through msal-node: ProfileAuth with the AADSTS code', async () => {
    const wrong = fx.secretBox.seal('not-the-secret');
    const good = await profile();
    await db.prisma.emailServerProfile.update({
      where: { id: fx.profileId },
      data: { clientSecretCiphertext: wrong.ciphertext },
    });
    try {
      const thrown = await failure(() => graphFor(0, { ...good, updatedAt: new Date() }));
      expect(shape(classifyError(thrown))).toEqual({
        reason: 'ProfileAuth',
        kind: 'permanent',
        scope: 'profile',
        code: 'AADSTS7000215',
      });
    } finally {
      await db.prisma.emailServerProfile.update({
        where: { id: fx.profileId },
        data: { clientSecretCiphertext: good.clientSecretCiphertext },
      });
      res.graph.invalidate(fx.profileId);
    }
  });
});

describe('one classification for every source', () => {
  test('a SyncError passes through unchanged', () => {
    const original = new SyncError('Conflict', 'draft vanished', { code: 'DraftVanished' });
    expect(classifyError(original)).toBe(original);
  });

  test("a secret this deployment cannot open: SecretUnreadable, the profile's", () => {
    const error = classifyError(new SecretUnreadableError('old', 'Secret was sealed with key "old".'));
    expect(shape(error)).toEqual({
      reason: 'SecretUnreadable',
      kind: 'permanent',
      scope: 'profile',
      code: 'SecretUnreadable',
    });
    expect(error.message).toMatch(/SECRET_KEYS/);
  });

  test('a database error is the database classifier’s, even with a socket code inside', async () => {
    const closed = createPrisma('postgresql://postgres@127.0.0.1:1/nothing', { maxConnections: 1 });
    try {
      const error = classifyError(await failure(() => closed.mailbox.count()));
      expect(shape(error)).toEqual({ reason: 'Database', kind: 'transient', scope: 'app', code: 'P1001' });
    } finally {
      await closed.$disconnect();
    }
  });

  test('anything unrecognised is Unexpected, with its name as the code', () => {
    expect(shape(classifyError(new RangeError('bad')))).toEqual({
      reason: 'Unexpected',
      kind: 'transient',
      scope: 'mailbox',
      code: 'RangeError',
    });
    expect(classifyError('a string').message).toBe('a string');
  });
});

describe('the error policy for app-wide failures', () => {
  test('the database being unreachable postpones the cycle: never counted, never disabling', async () => {
    const mb = fx.mailboxes[1]!;
    const closed = createPrisma('postgresql://postgres@127.0.0.1:1/nothing', { maxConnections: 1 });
    const handlers: WorkloadHandlers = {
      ...createProbeHandlers(),
      'incoming-email': {
        workload: 'incoming-email',
        run: async () => (await closed.mailbox.count(), { itemsProcessed: 0, itemsFailed: 0 }),
      },
    };
    try {
      // More failures than TRANSIENT_MAX_RETRIES (2 in tests) would allow a mailbox's own error.
      for (let i = 0; i < 4; i++) {
        await db.prisma.mailboxWorkload.update({
          where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
          data: { nextDueAt: new Date(), postponedUntil: null },
        });
        const job = {
          mailboxId: mb.id,
          workload: 'incoming-email' as const,
          dueAt: new Date().toISOString(),
        };
        expect(await runWorkloadJob(res, handlers, job)).toBe('failure');
      }
    } finally {
      await closed.$disconnect();
    }
    const row = await db.prisma.mailboxWorkload.findUniqueOrThrow({
      where: { mailboxId_workload: { mailboxId: mb.id, workload: 'IncomingEmail' } },
    });
    expect(row).toMatchObject({
      enabled: true,
      processingState: 'Idle',
      transientFailureCount: 0,
      lastErrorCode: 'P1001',
      lastErrorCount: 4,
    });
    expect(await db.prisma.alert.count({ where: { mailboxId: mb.id } })).toBe(0);
    const runs = await db.prisma.syncRun.findMany({ where: { mailboxId: mb.id } });
    expect(runs.map((r) => r.outcome)).toEqual(Array(4).fill('TransientFailure'));
  });
});
