// npm run bench:telemetry — what the instrumentation costs an idle cycle when nobody traces: the
// work the hot path does per cycle with tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset), in
// isolation: the cycle span, one Graph request's span and slot hooks, two SQL statement spans
// (claim and finish, batched in practice, so fewer), and the worker's metric recordings. Compare
// with an idle cycle's CPU in bench:scheduler:saturation (~1.1 ms of worker CPU). Prints figures;
// asserts nothing. BENCH_TRACING=1 measures the same with the SDK installed (spans recorded and
// exported to an endpoint that is never reached).
import { SpanKind, trace } from '@opentelemetry/api';
import { createRegistry, startTracing, workerMetrics } from '../src';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const tracing = startTracing(
  'bench',
  process.env.BENCH_TRACING
    ? { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_BSP_SCHEDULE_DELAY: '60000' }
    : {},
);
const tracer = trace.getTracer('syncfleet');
const metrics = workerMetrics(createRegistry({ role: 'bench' }));

function oneIdleCycle(): void {
  tracer.startActiveSpan('cycle incoming-email', (cycle) => {
    for (let sql = 0; sql < 2; sql++) {
      const span = tracer.startSpan('db.query', { kind: SpanKind.CLIENT });
      if (span.isRecording())
        span.setAttributes({ 'db.system.name': 'postgresql', 'db.query.text': 'SELECT 1' });
      span.end();
    }
    const request = tracer.startSpan('GET', { kind: SpanKind.CLIENT });
    const started = performance.now();
    const waited = performance.now() - started;
    metrics.slotWait('7f1e3c2a-9b7d-4e6f-8a1c-0d2b4c6e8f10', waited);
    metrics.slotHeld('7f1e3c2a-9b7d-4e6f-8a1c-0d2b4c6e8f10', 1);
    if (request.isRecording()) request.setAttribute('http.response.status_code', 200);
    metrics.graphResponse({ method: 'GET', status: 200 });
    metrics.slotHeld('7f1e3c2a-9b7d-4e6f-8a1c-0d2b4c6e8f10', -1);
    request.end();
    metrics.cycle({
      workload: 'incoming-email',
      outcome: 'success',
      durationMs: 3,
      scheduleLagMs: 250,
      itemsProcessed: 0,
      itemsFailed: 0,
    });
    if (cycle.isRecording())
      cycle.setAttributes({ 'syncfleet.outcome': 'success', 'syncfleet.items.processed': 0 });
    cycle.end();
  });
}

for (let i = 0; i < 20_000; i++) oneIdleCycle(); // warm-up
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < ITERATIONS; i++) oneIdleCycle();
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
const cpuUs = (used.user + used.system) / ITERATIONS;
console.log(
  `instrumentation per idle cycle, tracing ${tracing.enabled ? 'ON (SDK installed)' : 'off'}: ` +
    `${cpuUs.toFixed(2)} µs CPU (${((wallMs * 1000) / ITERATIONS).toFixed(2)} µs wall), ${ITERATIONS.toLocaleString()} cycles`,
);
console.log(
  `  = ${((cpuUs / 1100) * 100).toFixed(2)} % of an idle cycle's ~1.1 ms of worker CPU (bench:scheduler:saturation)`,
);
void tracing.shutdown().catch(() => undefined);
