import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root: entry files are given relative to it, and processes run in it. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

export type AppName = 'worker' | 'scheduler' | 'console' | 'graph-simulator' | 'webhooks';

export interface FleetProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process wrote (stdout + stderr, line by line) when started with `keepOutput`. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first output line matching `pattern`; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) unless the process has already exited. */
  kill(signal?: NodeJS.Signals): void;
}

export interface StartOptions {
  /** The child's whole environment (nothing is inherited implicitly). */
  env: NodeJS.ProcessEnv;
  /** Echo each output line on our stdout, prefixed with `[name]` (`npm start`). */
  echo?: boolean;
  /** Keep every output line for `output()` (tests assert on logs; off for long-running demos). */
  keepOutput?: boolean;
  /** Extra options for node itself (e.g. `--cpu-prof` for a benchmark's profile). */
  nodeArgs?: string[];
}

/**
 * Starts a TypeScript entry file (relative to the repository root) as ONE OS process, as the fleet
 * runs in production. `node --import tsx` keeps the app in that process: the tsx CLI would run it
 * in a child, and a signal sent to the CLI (SIGKILL in the crash tests) would leave the app running.
 * Used by `npm start` (scripts/start.ts), the process-level tests and the benchmarks alike.
 */
export function startProcess(name: string, entry: string, options: StartOptions): FleetProcess {
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', path.join(REPO_ROOT, entry)];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  const onLine = (line: string) => {
    if (options.echo) process.stdout.write(`[${name}] ${line}\n`);
    if (options.keepOutput) lines.push(line);
    for (const waiter of waiters) {
      const match = line.match(waiter.pattern);
      if (match) {
        waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  // 'exit', not 'close': a helper process the app started (tsx's esbuild service) may hold the
  // output pipes open a while after the app itself is gone.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    output: () => lines.join('\n'),
    exited,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (m: RegExpMatchArray) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(({ code, signal }) => {
          if (!waiters.delete(waiter)) return;
          clearTimeout(timer);
          reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before printing ${pattern}`));
        });
      });
    },
    kill: (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
    },
  };
}

/**
 * Starts one of the fleet's apps (`apps/<app>/src/main.ts`) for a test or benchmark, with `env` on
 * top of the current environment and NODE_ENV=test; its output is kept for assertions.
 */
export function spawnApp(
  app: AppName,
  name: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  /** The app's entry, relative to apps/<app>: a test-only entry (src/testing/...) installs test hooks. */
  entry = 'src/main.ts',
): FleetProcess {
  return startProcess(name, path.join('apps', app, entry), {
    env: { ...process.env, NODE_ENV: 'test', ...env },
    keepOutput: true,
    nodeArgs,
  });
}

/** Stops every process: SIGTERM, then SIGKILL to any still running after `graceMs`. */
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
