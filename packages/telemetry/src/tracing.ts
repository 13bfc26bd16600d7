import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { BullMQOtel } from 'bullmq-otel';

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
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 0);
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || `syncfleet-${role}`,
      'service.namespace': 'syncfleet',
      ...(instanceId ? { 'service.instance.id': instanceId } : {}),
    }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: samplerFrom(env),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(),
        ...(delay > 0 ? { scheduledDelayMillis: delay } : {}),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // Prisma's own spans (prisma:client:operation, prisma:client:db_query, …) for every Prisma call.
  const prisma = new PrismaInstrumentation();
  prisma.setTracerProvider(provider);
  prisma.enable();
  return {
    enabled: true,
    bullmq: new BullMQOtel({ tracerName: 'bullmq' }),
    async shutdown() {
      prisma.disable();
      await provider.shutdown();
    },
  };
}

/** OTEL_TRACES_SAMPLER / _ARG as the specification defines them (default: parent-based, always on). */
function samplerFrom(env: TracingEnv): Sampler {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const arg = Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1;
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(arg);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(arg) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
