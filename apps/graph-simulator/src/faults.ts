import { randomUUID } from 'node:crypto';

export interface FaultInput {
  scope?: { mailbox?: string; tenantId?: string; appId?: string };
  status?: number;
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  dropConnection?: boolean;
  malformedJson?: boolean;
  count?: number;
  routes?: string;
}

export interface Fault extends FaultInput {
  id: string;
  /** Resolved mailbox id for `scope.mailbox`. */
  mailboxId?: string;
  routeRegex?: RegExp;
  remaining?: number;
}

const DEFAULT_CODES: Record<number, [string, string]> = {
  400: ['BadRequest', 'Bad request.'],
  401: ['InvalidAuthenticationToken', 'Access token validation failure.'],
  403: ['ErrorAccessDenied', 'Access is denied. Check credentials and try again.'],
  404: ['ErrorItemNotFound', 'The specified object was not found in the store.'],
  429: ['TooManyRequests', 'Please retry again later.'],
  500: ['InternalServerError', 'An internal server error occurred. The operation failed.'],
  502: ['BadGateway', 'Bad gateway.'],
  503: ['ServiceUnavailable', 'Service is temporarily unavailable. Please try again later.'],
  504: ['GatewayTimeout', 'The gateway did not receive a response in time.'],
};

export function defaultErrorFor(status: number): [string, string] {
  return DEFAULT_CODES[status] ?? ['UnknownError', `Injected ${status}.`];
}

export type FaultStore = ReturnType<typeof createFaultStore>;

export function createFaultStore() {
  const faults: Fault[] = [];
  return {
    list: () => faults,
    add(fault: Fault): Fault {
      fault.id = fault.id || randomUUID();
      if (fault.count !== undefined) fault.remaining = fault.count;
      faults.push(fault);
      return fault;
    },
    remove(id: string): boolean {
      const i = faults.findIndex((f) => f.id === id);
      if (i >= 0) faults.splice(i, 1);
      return i >= 0;
    },
    clear: () => void faults.splice(0, faults.length),
    /** First matching fault; consumes one use of a counted fault. */
    take(req: { mailboxId?: string; tenantId: string; appId: string; path: string }): Fault | undefined {
      if (faults.length === 0) return undefined;
      for (let i = 0; i < faults.length; i++) {
        const f = faults[i];
        if (!f) continue;
        const s = f.scope ?? {};
        if (f.mailboxId && f.mailboxId !== req.mailboxId) continue;
        if (s.tenantId && s.tenantId !== req.tenantId) continue;
        if (s.appId && s.appId !== req.appId) continue;
        if (f.routeRegex && !f.routeRegex.test(req.path)) continue;
        if (f.remaining !== undefined && --f.remaining <= 0) faults.splice(i, 1);
        return f;
      }
      return undefined;
    },
  };
}

export function latencyOf(fault: Fault | undefined, defaultLatencyMs: number): number {
  const base = fault?.latencyMs ?? defaultLatencyMs;
  const jitter = fault?.latencyJitterMs ? Math.random() * fault.latencyJitterMs : 0;
  return base + jitter;
}
