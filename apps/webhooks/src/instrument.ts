import { startTracing } from '@syncfleet/telemetry';

/**
 * The OpenTelemetry SDK, started by the first import of main.ts — before any connection or
 * instrumented library is created. Standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT turns
 * exporting on); without them nothing is installed.
 */
export const tracing = startTracing('webhooks', process.env, process.env.HOST_ID);
