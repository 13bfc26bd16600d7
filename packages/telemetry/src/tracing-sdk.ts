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

import type { Tracing, TracingEnv } from './tracing';

/** The SDK set-up behind `startTracing` (tracing.ts), loaded only when exporting is configured. */
export function installSdk(role: string, env: TracingEnv, instanceId?: string): Tracing {
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
