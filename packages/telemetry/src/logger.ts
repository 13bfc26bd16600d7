import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/**
 * Field names whose values never reach a log line, wherever they appear: secrets, tokens and auth
 * headers. Profile secrets are additionally never loaded into log context in the first place.
 */
export const REDACTED_PATHS = [
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'adminToken',
  '*.adminToken',
];

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where lines go (default stdout); tests pass a stream to capture them. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/**
 * Human-readable lines (pino-pretty) when a person watches a terminal, JSON lines otherwise (log
 * pipelines). LOG_FORMAT=pretty|json decides explicitly — `npm start` sets it for its children,
 * whose output goes through a pipe to the terminal it runs in.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env): 'pretty' | 'json' {
  if (env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'json') return env.LOG_FORMAT;
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/** pino-pretty is loaded only when a terminal shows the logs: every app imports this module. */
function loadPretty(): typeof PinoPretty {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('pino-pretty') as typeof PinoPretty;
}

export function createLogger({ name, level = 'info', destination, base }: LoggerOptions): Logger {
  if (!destination && logFormat() === 'pretty')
    destination = loadPretty()({
      sync: true,
      colorize: true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname',
    });
  return pino(
    {
      name,
      level,
      base: { service: name, ...base },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
