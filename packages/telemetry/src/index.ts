export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger';
export {
  createRegistry,
  schedulerMetrics,
  scrapedCounter,
  scrapedGauge,
  workerMetrics,
  type CycleSample,
  type GaugeReading,
  type GraphSample,
  type Registry,
  type RegistryOptions,
  type SchedulerMetrics,
  type TickSample,
  type WorkerMetrics,
} from './metrics';
export { startOpsServer, type OpsServer, type OpsServerOptions, type ReadinessCheck } from './ops-server';
export { startTracing, type Tracing, type TracingEnv } from './tracing';
export { onShutdown, runMain } from './lifecycle';
