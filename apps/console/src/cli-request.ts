/** What a CLI command reads and writes, and how it talks to the console (cli-commands.ts). */

export interface CliIo {
  baseUrl: string;
  token: string | undefined;
  /** Reads all of stdin (the client secret comes from there, never from argv: shell history). */
  readStdin: () => Promise<string>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** A progress display for bulk operations (cli.ts: a cli-progress bar on stderr). */
  progress?: (total: number, label: string) => ProgressDisplay;
  /** How often a bulk operation's progress is asked for (default 500 ms). */
  pollMs?: number;
}

export interface ProgressDisplay {
  update(done: number, counts: { succeeded: number; failed: number }): void;
  stop(): void;
}

/** A failure the CLI reports as `error: <message>` with exit code 1. */
export class CliError extends Error {}

/** Parsed command-line flags. */
export type Values = Record<string, string | boolean | undefined>;

const CLI_REQUEST_TIMEOUT_MS = 300_000;

export async function request(io: CliIo, method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, io.baseUrl), {
    method,
    headers: {
      authorization: `Bearer ${io.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    // Test & Enable waits for Graph; nothing else takes long. No request waits forever.
    signal: AbortSignal.timeout(CLI_REQUEST_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new CliError(`cannot reach the console at ${io.baseUrl} (${(error as Error).message}).`);
  });
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const parsed = JSON.parse(text) as {
        error?: { message?: string; fields?: { path: string; message: string }[] };
      };
      message = `${response.status}: ${parsed.error?.message ?? text}`;
    } catch {
      // not JSON: keep the status line
    }
    throw new CliError(message);
  }
  return { text, json: () => (text ? JSON.parse(text) : undefined) };
}

export const need = (values: Values, name: string): string => {
  const value = values[name];
  if (typeof value !== 'string' || !value) throw new CliError(`--${name} is required.`);
  return value;
};
export const num = (value: unknown) => (typeof value === 'string' ? Number(value) : undefined);
export const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
