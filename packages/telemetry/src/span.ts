import type { Logger } from './logger';

/**
 * Runs `fn` as a named unit of work: logs its duration at debug, and on failure logs the exception
 * with the span's attributes before rethrowing. Thin on purpose (no tracing backend needed).
 */
export async function withSpan<T>(
  logger: Logger,
  name: string,
  attributes: Record<string, unknown>,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await fn();
    logger.debug(
      { span: name, ...attributes, durationMs: Math.round(performance.now() - started) },
      `${name} ok`,
    );
    return result;
  } catch (error) {
    logger.warn(
      { span: name, ...attributes, durationMs: Math.round(performance.now() - started), err: error },
      `${name} failed`,
    );
    throw error;
  }
}
