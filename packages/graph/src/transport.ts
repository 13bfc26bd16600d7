import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { SlotLimiter } from '@syncfleet/queues';
import type { Dispatcher } from 'undici';
import { parseRetryAfter } from './errors';

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
  onResponse?(route: MailboxRoute, status: number): void;
}

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

  async execute(context: Context): Promise<void> {
    const route = this.routeOf(context);
    const slot = await this.limiter.acquire({ ...route });
    try {
      const timeout = AbortSignal.timeout(route.timeoutMs);
      const signal = route.signal ? AbortSignal.any([route.signal, timeout]) : timeout;
      const init = {
        ...context.options,
        signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      };
      context.response = await fetch(context.request, init as RequestInit);
      const status = context.response.status;
      this.hooks.onResponse?.(route, status);
      if (status === 429 || status === 503) {
        const retryAfterMs = parseRetryAfter(context.response.headers.get('retry-after'));
        if (retryAfterMs !== undefined) await this.limiter.block(route.mailboxId, retryAfterMs);
      }
    } finally {
      await slot.release();
    }
  }

  setNext(): void {
    // Terminal middleware: nothing comes after the network.
  }
}
