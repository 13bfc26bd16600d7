export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger';
export { Meter, type MetricPoint } from './metrics';
export { withSpan } from './span';
export { onShutdown, runMain } from './lifecycle';
