import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './redis-server';
import { waitFor } from './wait-for';

export interface PrivateRedisCluster {
  /** One node's URL (the client discovers the others). */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

/**
 * A real 3-node Redis Cluster (the machine's redis-server with `--cluster-enabled yes`, on free
 * loopback ports, no replicas), made with `redis-cli --cluster create`, for tests that must show
 * the fleet's Redis usage works on a cluster.
 */
export async function startPrivateRedisCluster(nodes = 3): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(
        spawn(
          process.env.REDIS_SERVER_BIN ?? 'redis-server',
          [
            ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
            ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
            ...['--dir', dir, '--maxmemory-policy', 'noeviction'],
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) {
      await waitFor(() => ping(port), { timeoutMs: 10_000, description: `cluster node on port ${port}` });
    }
    const create = spawnSync(
      process.env.REDIS_CLI_BIN ?? 'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    for (const port of ports) {
      await waitFor(async () => (await clusterInfo(port)).includes('cluster_state:ok'), {
        timeoutMs: 20_000,
        description: `cluster state ok on port ${port}`,
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}

async function withNode<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

const ping = (port: number) => withNode(port, async (r) => (await r.ping()) === 'PONG').catch(() => false);
const clusterInfo = (port: number) =>
  withNode(port, (r) => r.cluster('INFO') as Promise<string>).catch(() => '');
