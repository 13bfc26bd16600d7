import { waitFor, type TestDatabase } from '@syncfleet/testing';
import { spawnApp, type FleetProcess } from '@syncfleet/testing/processes';
import type { FleetFixture } from '../testing/fleet-fixture';

/** What a scenario's fleet runs against, known once its beforeAll has set it up. */
export interface ScenarioStores {
  db: TestDatabase;
  redisUrl: string;
  fx: FleetFixture;
}

/**
 * The ACT scenarios' fleet (contacts and tasks; appointments): a scheduler and workers as OS
 * processes on the ACT queue at a one-second cadence, and a worker killed with -9 while it holds a
 * mailbox's claim (a fresh one takes its place).
 */
export function actScenarioFleet(options: {
  prefix: string;
  lockMs: number;
  stores: () => ScenarioStores;
  /** More variables for every process (e.g. a short retry delay). */
  env?: Record<string, string>;
}) {
  const processes: FleetProcess[] = [];
  let workerSeq = 0;

  function env(host: string): Record<string, string> {
    const { db, redisUrl, fx } = options.stores();
    return {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: options.prefix,
      HOST_ID: host,
      LOG_LEVEL: 'warn',
      SECRET_KEYS: fx.secretKeys.join(','),
      GRAPH_CA_FILE: fx.sim.caPath,
      GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
      WORKLOADS: 'act',
      WORKER_CONCURRENCY_ACT: '4',
      LOCK_DURATION_MS: String(options.lockMs),
      SLOT_LEASE_MS: '2000',
      ACT_MIN_INTERVAL_SEC: '1',
      ACT_MAX_INTERVAL_SEC: '1',
      ACT_MAX_INTERVAL_WITH_INCOMING_SEC: '1',
      SCHEDULER_TICK_MS: '200',
      SHUTDOWN_GRACE_MS: '2000',
      ...options.env,
    };
  }

  const startWorker = () => {
    const p = spawnApp('worker', `worker-${++workerSeq}`, env(`worker-${workerSeq}`));
    processes.push(p);
    return p;
  };

  const startScheduler = () => {
    const p = spawnApp('scheduler', 'scheduler', env('scheduler'));
    processes.push(p);
    return p;
  };

  async function killOneWorkerMidSync() {
    const victim = processes.find(
      (p) => p.name.startsWith('worker') && p.child.exitCode === null && p.child.signalCode === null,
    )!;
    await waitFor(
      () =>
        options.stores().db.prisma.mailboxWorkload.count({
          where: { processingState: 'Processing', processingHost: victim.name },
        }),
      { timeoutMs: 30_000, intervalMs: 5, description: `${victim.name} processing a mailbox` },
    );
    victim.kill('SIGKILL');
    await victim.exited;
    startWorker();
  }

  return { processes, startWorker, startScheduler, killOneWorkerMidSync };
}
