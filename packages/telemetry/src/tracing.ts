import type { BullMQOtel } from 'bullmq-otel';
import type * as TracingSdk from './tracing-sdk';

export interface Tracing {
  /** True when spans are exported (an OTLP endpoint is configured). */
  readonly enabled: boolean;
  /** BullMQ's `telemetry` option (queues and workers), or undefined when tracing is off. */
  readonly bullmq: BullMQOtel | undefined;
  /** Flushes the spans still buffered and stops exporting (part of each app's shutdown). */
  shutdown(): Promise<void>;
}

/** The standard OpenTelemetry variables this reads (the exporter reads its own OTEL_EXPORTER_OTLP_*). */
export type TracingEnv = Partial<
  Record<
    | 'OTEL_EXPORTER_OTLP_ENDPOINT'
    | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    | 'OTEL_SDK_DISABLED'
    | 'OTEL_BSP_SCHEDULE_DELAY'
    | 'OTEL_SERVICE_NAME'
    | 'OTEL_TRACES_SAMPLER'
    | 'OTEL_TRACES_SAMPLER_ARG',
    string
  >
>;

/**
 * Packages get their tracer from the OpenTelemetry API (`trace.getTracer('syncfleet')`), which is a
 * no-op until this installed the SDK — no telemetry package dependency needed below the apps.
 *
 * Starts the OpenTelemetry SDK in an app's main, before anything else is created. It exports by
 * OTLP over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `_TRACES_ENDPOINT`) is set and
 * `OTEL_SDK_DISABLED` is not `true`. Otherwise nothing is installed: the API's tracer stays the
 * no-op one, no context manager runs (AsyncLocalStorage would turn on promise hooks for every
 * promise of the process), BullMQ gets no telemetry option and Prisma no instrumentation — so an
 * untraced fleet pays a few no-op calls per cycle (bench:scheduler:saturation shows it).
 */
export function startTracing(role: string, env: TracingEnv, instanceId?: string): Tracing {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') {
    return { enabled: false, bullmq: undefined, shutdown: async () => undefined };
  }
  // The SDK's modules load only here: an untraced process never pays their loading time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load
  const { installSdk } = require('./tracing-sdk') as typeof TracingSdk;
  return installSdk(role, env, instanceId);
}
