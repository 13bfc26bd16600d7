import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPrisma } from '@syncfleet/db';
import { createEmptyDatabase, waitFor } from '@syncfleet/testing';

const ROOT = path.resolve(__dirname, '../..');

/** `npm start`'s script end to end: simulator + demo tenant, scheduler, two workers, console. */
describe('npm start', () => {
  it('runs the demo fleet against the simulator and stops cleanly on Ctrl-C', async () => {
    const db = await createEmptyDatabase('start');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sf-start-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        QUEUE_PREFIX: `sf-start-${process.pid}`,
        SYNCFLEET_DATA_DIR: dataDir,
        SIM_PORT: '0',
        SIM_TRAFFIC_RATE: '5',
        CONSOLE_PORT: '0',
        WEBHOOK_PORT: '0',
        INCOMING_INTERVAL_SEC: '1',
        SCHEDULER_TICK_MS: '300',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const prisma = createPrisma(db.url, { maxConnections: 2 });
    try {
      await waitFor(() => output.includes('Syncfleet is running'), {
        timeoutMs: 60_000,
        description: 'the fleet to start',
      });
      const consoleUrl = output.match(/Console API : (\S+)\/api/)![1]!;
      const token = output.match(/Admin token : ([0-9a-f]{64})/)![1]!;
      expect(output).toMatch(/Bull Board {2}: http:\/\/127\.0\.0\.1:\d+\/queues/);

      const unauthorized = await fetch(`${consoleUrl}/api/mailboxes`);
      expect(unauthorized.status).toBe(401);
      const list = (await (
        await fetch(`${consoleUrl}/api/mailboxes?limit=100`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { total: number };
      expect(list.total).toBe(25);
      const profile = await prisma.emailServerProfile.findFirstOrThrow();
      expect(profile.maxConcurrentConnections).toBe(10);
      expect(
        await prisma.mailboxWorkload.count({ where: { enabled: true, workload: 'IncomingEmail' } }),
      ).toBe(25);

      // Every demo mailbox completes incoming cycles, run by the worker processes.
      await waitFor(
        async () =>
          (
            await prisma.syncRun.groupBy({
              by: ['mailboxId'],
              where: { workload: 'IncomingEmail', outcome: 'Success' },
            })
          ).length === 25,
        { timeoutMs: 60_000, intervalMs: 250, description: 'all 25 demo mailboxes cycled' },
      );
      // Push end to end: every demo Inbox subscribed through the receiver (validated over TLS the
      // simulator verifies against its own CA).
      expect(output).toMatch(/Push {8}: change notifications to https:\/\/127\.0\.0\.1:\d+/);
      await waitFor(
        async () =>
          (await prisma.mailboxSubscription.count({
            where: { state: 'Active', workload: 'IncomingEmail' },
          })) === 25,
        { timeoutMs: 60_000, intervalMs: 250, description: 'all 25 demo Inboxes subscribed' },
      );
      const hosts = await prisma.syncRun.findMany({ distinct: ['host'], select: { host: true } });
      expect(hosts.map((h) => h.host).sort()).toEqual(['worker-1', 'worker-2']);
    } finally {
      child.kill('SIGINT');
      const code = await exited;
      await prisma.$disconnect();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
      expect(code).toBe(0);
      expect(output).toMatch(/Stopping Syncfleet/);
    }
  }, 120_000);
});
