import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';

/**
 * An HTTP dispatcher that trusts the system CAs plus, when given, one more CA (the Graph simulator's)
 * — verification stays on. Used by both msal-node (token requests) and the Graph client.
 */
export function createDispatcher(caFile?: string): Dispatcher | undefined {
  if (!caFile) return undefined;
  const extra = readFileSync(caFile, 'utf8');
  // tls.rootCertificates are the bundled Mozilla CAs Node trusts by default. One secure context,
  // built once: passing `ca` instead would re-parse the whole bundle for every new connection.
  const secureContext = createSecureContext({ ca: [...rootCertificates, extra] });
  return new Agent({ connect: { secureContext }, keepAliveTimeout: 30_000 });
}

/** fetch bound to a dispatcher (global fetch when there is none). */
export function fetchWith(dispatcher: Dispatcher | undefined): typeof fetch {
  if (!dispatcher) return fetch;
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
