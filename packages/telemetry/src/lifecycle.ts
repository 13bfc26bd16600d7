import type { Logger } from './logger';

/**
 * SIGTERM/SIGINT → `stop()` once, then exit 0 (1 if stopping failed). Every app's main.ts uses it,
 * so every role drains the same way (Kubernetes sends SIGTERM, a terminal Ctrl-C sends SIGINT).
 */
export function onShutdown(logger: Logger, name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name} stopping`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, `${name} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

/** Runs an app's main(); a start-up failure prints one clear line and exits 1. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`${name} could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
