import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createFleetFixture, type FleetFixture } from '@syncfleet/sync/testing';
import {
  createTestDatabase,
  createTestRedis,
  waitFor,
  type TestDatabase,
  type TestRedis,
} from '@syncfleet/testing';
import { ROOT } from './support';

/**
 * The image's build step without Docker: scripts/build-production.cjs compiles and prunes into a
 * folder (as the Dockerfile's build stage does), then the roles start from that folder alone with
 * plain `node` — no TypeScript, no dev dependency — and sync mailboxes.
 */
let out: string;
let db: TestDatabase;
let t: TestRedis;
let fx: FleetFixture;
const children: ChildProcess[] = [];

function filesUnder(dir: string, skip: (name: string) => boolean, into: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skip(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) filesUnder(full, skip, into);
    else into.push(full);
  }
  return into;
}

/** Starts a compiled role; resolves with the child and the ms until `ready` appeared in its output. */
function startCompiled(entry: string, env: Record<string, string>, ready: RegExp) {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(out, entry)], {
    cwd: out,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  return new Promise<{ child: ChildProcess; startupMs: number; lines: string[] }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry}: no ${ready} in 60 s:\n${lines.join('\n')}`)),
      60_000,
    );
    for (const stream of [child.stdout!, child.stderr!])
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve({ child, startupMs: performance.now() - started, lines });
        }
      });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}) before ${ready}:\n${lines.join('\n')}`));
    });
  });
}

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'sf-prod-'));
  const build = spawnSync(process.execPath, ['scripts/build-production.cjs', out, '--reuse-node-modules'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (build.status !== 0) throw new Error(`build-production failed:\n${build.stdout}\n${build.stderr}`);
  [db, t] = await Promise.all([createTestDatabase('prodbuild'), createTestRedis('prodbuild')]);
  fx = await createFleetFixture(db.prisma, { mailboxes: 3 });
}, 240_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await fx?.close();
  await Promise.all([db?.drop(), t?.cleanup()]);
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('the production build (scripts/build-production.cjs)', () => {
  it('holds compiled JavaScript and production dependencies only', () => {
    const sources = filesUnder(out, (name) => name === 'node_modules');
    expect(sources.filter((f) => f.endsWith('.ts') || f.endsWith('.tsx'))).toEqual([]);
    expect(sources.filter((f) => f.endsWith('.test.js'))).toEqual([]);
    for (const entry of ['apps/worker/src/main.js', 'apps/scheduler/src/main.js', 'apps/console/src/main.js'])
      expect(existsSync(path.join(out, entry))).toBe(true);
    expect(existsSync(path.join(out, 'packages/db/src/cli/migrate.js'))).toBe(true);
    expect(existsSync(path.join(out, 'packages/db/src/generated/prisma/client.js'))).toBe(true);
    expect(existsSync(path.join(out, 'prisma/migrations'))).toBe(true);
    const modules = path.join(out, 'node_modules');
    // The console's esbuild package may stay (a dependency for development), never its binary: the
    // dashboard is prebuilt.
    for (const dev of [
      'typescript',
      'tsx',
      'jest',
      '@esbuild/linux-x64',
      'prisma',
      'eslint',
      '@swc/core',
      'turbo',
    ])
      expect({ dev, present: existsSync(path.join(modules, dev)) }).toEqual({ dev, present: false });
    for (const dependency of ['bullmq', '@prisma/client', 'prom-client', '@opentelemetry/api', 'fastify'])
      expect(existsSync(path.join(modules, dependency))).toBe(true);
  });

  it('migrates, then runs the scheduler and the worker from the folder alone: mailboxes sync', async () => {
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: t.url,
      QUEUE_PREFIX: t.prefix,
      LOG_LEVEL: 'info',
      SECRET_KEYS: fx.secretKeys.join(','),
      GRAPH_CA_FILE: fx.sim.caPath,
      GRAPH_ALLOWED_HOSTS: new URL(fx.sim.url).host,
      WORKLOADS: 'incoming-email',
      INCOMING_INTERVAL_SEC: '1',
      SCHEDULER_TICK_MS: '300',
      OPS_PORT: '0',
    };
    const migrate = spawnSync(process.execPath, [path.join(out, 'packages/db/src/cli/migrate.js')], {
      cwd: out,
      env: { PATH: process.env.PATH, DATABASE_URL: db.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: migrate.status, stderr: migrate.stderr }).toEqual({ status: 0, stderr: '' });

    const worker = await startCompiled(
      'apps/worker/src/main.js',
      { ...env, HOST_ID: 'prod-worker' },
      /worker started/,
    );
    await startCompiled(
      'apps/scheduler/src/main.js',
      { ...env, HOST_ID: 'prod-scheduler' },
      /scheduler started/,
    );
    // Start-up time of the compiled worker (store checks and key check included): the README's figure.
    console.log(`compiled worker: "worker started" ${Math.round(worker.startupMs)} ms after spawn`);
    await waitFor(
      async () =>
        (await db.prisma.syncRun.count({ where: { outcome: 'Success', host: 'prod-worker' } })) >= 3,
      { timeoutMs: 45_000, intervalMs: 200, description: 'cycles run by the compiled worker' },
    );
    // The console too (Fastify, Bull Board): it starts and answers.
    const consoleRole = await startCompiled(
      'apps/console/src/main.js',
      {
        ...env,
        HOST_ID: 'prod-console',
        CONSOLE_PORT: '0',
        ADMIN_TOKEN: 'f3b9c1d7a2e84b6f9c0d1e2a3b4c5d6e7f8091a2b3c4d5e6',
      },
      /Syncfleet console: http/,
    );
    const api = consoleRole.lines
      .map((l) => /Syncfleet console: (http:\/\/[0-9.:]+)/.exec(l)?.[1])
      .find(Boolean)!;
    expect((await fetch(`${api}/readyz`)).status).toBe(200);
    // The dashboard, prebuilt into the folder.
    const bundle = await fetch(`${api}/ui/app.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(1000);
    const ops = worker.lines
      .map((l) => /ops server listening on (http:\/\/[0-9.:]+)/.exec(l)?.[1])
      .find(Boolean)!;
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    worker.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    expect(code).toBe(0);
  });
});
