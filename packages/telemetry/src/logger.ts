import pino, { type DestinationStream, type Logger } from 'pino';

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

export function createLogger({ name, level = 'info', destination, base }: LoggerOptions): Logger {
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
