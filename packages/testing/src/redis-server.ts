import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for';

export interface PrivateRedis {
  url: string;
  port: number;
  /** The redis-server process (benchmarks read its CPU time); a new one after start(). */
  readonly pid: number;
  /** Kills the server and deletes its files. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL: its data is gone, as after a crash without persistence) ... */
  kill(): Promise<void>;
  /** ... and starts a new one on the same port. */
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A real Redis server of the test's own (the machine's redis-server binary on a free loopback
 * port), for tests that do what would hurt other test files on the shared one, such as FLUSHALL.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let server = await launch(port, dir, url);
  return {
    url,
    port,
    get pid() {
      return server.pid;
    },
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => server.kill(),
    async start() {
      server = await launch(port, dir, url);
    },
  };
}

async function launch(port: number, dir: string, url: string) {
  const child = spawn(
    process.env.REDIS_SERVER_BIN ?? 'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    async () => {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    },
    { timeoutMs: 10_000, description: `private redis-server on port ${port}` },
  );
  return {
    pid: child.pid!,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
