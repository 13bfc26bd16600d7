import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { SlotLimiter } from '@syncfleet/queues';
import { getGlobalDispatcher, request, type Dispatcher } from 'undici';
import { parseRetryAfter } from './errors';
import { routeTemplate } from './route-template';

/** Per-request context our transport needs: whose connection slot, and how long it may take. */
export interface MailboxRoute {
  profileId: string;
  profileLimit: number;
  mailboxId: string;
  timeoutMs: number;
  /** Cancels the request and any wait for a slot (shutdown, cycle budget). */
  signal?: AbortSignal;
}

export interface TransportHooks {
  /** Called for every response: throttling and errors are counted by the caller's telemetry. */
  onResponse?(route: MailboxRoute, status: number, detail: { method: string; retryAfterMs?: number }): void;
  /** A connection slot was granted after `waitedMs` (0 when free at once). */
  onSlotAcquired?(route: MailboxRoute, waitedMs: number): void;
  /** The slot was given back. */
  onSlotReleased?(route: MailboxRoute): void;
}

const tracer = trace.getTracer('syncfleet');

/**
 * The last middleware of every Graph client: takes a fleet-wide connection slot for the profile and
 * mailbox, sends the request, gives the slot back. A 429/503 Retry-After blocks the mailbox for every
 * replica (Graph throttling guidance: wait Retry-After before the next request). The Retry middleware
 * before it then retries, coming through here — and through the block — again.
 */
export class FleetTransport implements Middleware {
  constructor(
    private readonly limiter: SlotLimiter,
    private readonly routeOf: (context: Context) => MailboxRoute,
    private readonly dispatcher: Dispatcher | undefined,
    private readonly hooks: TransportHooks = {},
  ) {}

  /**
   * One client span per attempt (the Retry middleware's retries come through here again): named by
   * method and route template — ids, addresses and query strings (delta and skip tokens) never
   * appear — with the status, the Retry-After asked for and the time spent waiting for a slot.
   */
  async execute(context: Context): Promise<void> {
    const route = this.routeOf(context);
    const method = ((context.options as RequestInit | undefined)?.method ?? 'GET').toUpperCase();
    const span = tracer.startSpan(method, { kind: SpanKind.CLIENT });
    const recording = span.isRecording();
    if (recording) describeRequest(span, method, context.request);
    const waitStarted = performance.now();
    try {
      const slot = await this.limiter.acquire({ ...route });
      const waitedMs = performance.now() - waitStarted;
      this.hooks.onSlotAcquired?.(route, waitedMs);
      if (recording) span.setAttribute('syncfleet.slot_wait_ms', Math.round(waitedMs));
      try {
        context.response = await withTimeout(route, (signal) => send(context, signal, this.dispatcher));
        const status = context.response.status;
        let retryAfterMs: number | undefined;
        if (status === 429 || status === 503) {
          retryAfterMs = parseRetryAfter(context.response.headers.get('retry-after'));
          if (retryAfterMs !== undefined) await this.limiter.block(route.mailboxId, retryAfterMs);
        }
        this.hooks.onResponse?.(route, status, { method, retryAfterMs });
        if (recording) {
          span.setAttribute('http.response.status_code', status);
          if (retryAfterMs !== undefined) span.setAttribute('syncfleet.retry_after_ms', retryAfterMs);
          if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        }
      } finally {
        try {
          await slot.release();
        } finally {
          this.hooks.onSlotReleased?.(route);
        }
      }
    } catch (error) {
      if (recording) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      throw error;
    } finally {
      span.end();
    }
  }

  setNext(): void {
    // Terminal middleware: nothing comes after the network.
  }
}

function describeRequest(span: Span, method: string, request: Context['request']): void {
  const url = typeof request === 'string' ? request : request.url;
  const template = routeTemplate(url);
  span.updateName(`${method} ${template.route}`);
  span.setAttributes({
    'http.request.method': method,
    'url.template': template.route,
    'server.address': template.host,
  });
}

/** Statuses whose Response must have no body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Sends the Graph client's request with undici's `request()` and hands the client a standard
 * Response holding the whole body. Same bytes on the wire as `fetch`, at well under half the CPU
 * (fetch's WHATWG streams and per-request objects dominated an idle cycle's profile: see
 * bench:scheduler:saturation). Graph responses are read whole by the client anyway. Redirects are
 * not followed here, as with the client's own `redirect: 'manual'` (its RedirectHandler does it).
 */
async function send(
  context: Context,
  signal: AbortSignal,
  dispatcher: Dispatcher | undefined,
): Promise<Response> {
  const options = (context.options ?? {}) as RequestInit;
  if (typeof context.request !== 'string') {
    return fetch(context.request, {
      ...options,
      signal,
      ...(dispatcher ? { dispatcher } : {}),
    } as RequestInit);
  }
  let answer: Dispatcher.ResponseData;
  let body: Buffer;
  try {
    answer = await request(context.request, {
      method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: plainHeaders(options.headers),
      body: options.body as string | Buffer | undefined,
      signal,
      dispatcher: dispatcher ?? getGlobalDispatcher(),
    });
    body = Buffer.from(await answer.body.arrayBuffer());
  } catch (error) {
    // Fail as fetch does, so everything above sees the standard shapes: the signal's own reason
    // (a TimeoutError or the cycle's abort), or a TypeError whose cause is the network error.
    if (signal.aborted) throw signal.reason;
    throw new TypeError('fetch failed', { cause: error });
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return new Response(NULL_BODY.has(answer.statusCode) ? null : body, { status: answer.statusCode, headers });
}

function plainHeaders(headers: unknown): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers as [string, string][]);
  return headers as Record<string, string>;
}

/**
 * Runs `work` with a signal that aborts after the route's timeout or with the route's own signal —
 * one controller and one timer per request (AbortSignal.any and AbortSignal.timeout cost more,
 * and this runs for every Graph request).
 */
async function withTimeout<T>(route: MailboxRoute, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${route.timeoutMs} ms`, 'TimeoutError')),
    route.timeoutMs,
  );
  const parent = route.signal;
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onAbort);
  }
}
