import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';

const ROOT = path.resolve(__dirname, '../../../..');

export interface FleetProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process wrote (stdout + stderr), for assertions on logs. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts one of the fleet's apps (`apps/<app>/src/main.ts`) as a separate OS process, as it runs in
 * production, with `env` on top of the test's environment.
 */
export function spawnApp(
  app: 'worker' | 'scheduler' | 'console' | 'graph-simulator',
  name: string,
  env: Record<string, string>,
  /** Extra options for node itself (e.g. `--cpu-prof` for a benchmark's profile). */
  nodeArgs: string[] = [],
  /** The app's entry, relative to apps/<app>: a test-only entry (src/testing/...) installs test hooks. */
  entry = 'src/main.ts',
): FleetProcess {
  // `node --import tsx` keeps the app in ONE process: the tsx CLI would run it in a child, and a
  // SIGKILL of the CLI would leave the real worker running.
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'apps', app, entry)],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  child.stdout!.pipe(sink, { end: false });
  child.stderr!.pipe(sink, { end: false });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    child,
    output: () => chunks.join(''),
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Stops every process (SIGKILL if SIGTERM does not end it within `graceMs`). */
export async function stopAll(processes: FleetProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}
