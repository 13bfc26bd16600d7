import https from 'node:https';
import tls from 'node:tls';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Trusting a private CA without disabling verification, in-process.
 *
 * Node 20's global fetch (undici) takes no `ca` option and `undici` itself is not installed, so:
 * - Graph client: replace the last middleware (HTTPMessageHandler, which calls global fetch) with
 *   `FetchHandler(createTrustingFetch(ca))` — a fetch-compatible function over node:https with an
 *   Agent whose `ca` = public roots + the given PEM(s). Auth/Retry/Redirect/Telemetry stay official.
 * - msal-node: `system.networkClient = createMsalNetworkClient(ca)` (msal's INetworkModule).
 * Alternative for child processes: NODE_EXTRA_CA_CERTS=<ca.pem> (read once at process start).
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TrustOptions {
  /** Also trust Node's bundled public roots (default true). */
  includePublicRoots?: boolean;
  keepAlive?: boolean;
  maxSockets?: number;
}

export function createTrustingAgent(caPem: string | string[], options: TrustOptions = {}): https.Agent {
  const extra = Array.isArray(caPem) ? caPem : [caPem];
  // One SecureContext, built once. Passing `ca` to the Agent instead would put the whole PEM bundle
  // into the agent's per-request socket-pool key (a ~200 KB string with the public roots).
  const secureContext = tls.createSecureContext({
    ca: options.includePublicRoots === false ? extra : [...tls.rootCertificates, ...extra],
  });
  return new https.Agent({
    secureContext,
    keepAlive: options.keepAlive ?? true,
    maxSockets: options.maxSockets ?? 64,
  });
}

interface RawResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

export function httpsCall(
  agent: https.Agent,
  url: string,
  init: {
    method: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    signal?: AbortSignal | null;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method, headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers,
          body: Buffer.concat(chunks),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.signal) {
      if (init.signal.aborted) req.destroy(new Error('aborted'));
      init.signal.addEventListener('abort', () => req.destroy(new Error('aborted')), { once: true });
    }
    req.end(init.body);
  });
}

/** A `fetch` that verifies TLS against `caPem` (plus public roots), built on node:https. */
export function createTrustingFetch(
  caPem: string | string[],
  options: TrustOptions = {},
): FetchLike & { agent: https.Agent } {
  const agent = createTrustingAgent(caPem, options);
  const fetchLike = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => (headers[key] = value));
    const raw = await httpsCall(agent, request.url, {
      method: request.method,
      headers,
      body,
      signal: init?.signal,
    });
    const nullBody = raw.status === 204 || raw.status === 205 || raw.status === 304;
    return new Response(nullBody ? null : raw.body, {
      status: raw.status,
      statusText: raw.statusText,
      headers: raw.headers,
    });
  };
  return Object.assign(fetchLike, { agent });
}

/** Last middleware of a Graph client chain: sends the request with the given fetch. */
export class FetchHandler implements Middleware {
  constructor(private readonly fetchImpl: FetchLike) {}
  async execute(context: Context): Promise<void> {
    context.response = await this.fetchImpl(context.request as string, context.options as RequestInit);
  }
}

/** msal-node network client that trusts `caPem` (msal's INetworkModule: GET and POST only). */
export function createMsalNetworkClient(
  caPem: string | string[],
  options: TrustOptions = {},
): INetworkModule {
  const agent = createTrustingAgent(caPem, options);
  const send = async <T>(
    method: string,
    url: string,
    opts?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const raw = await httpsCall(agent, url, { method, headers: opts?.headers, body: opts?.body });
    const text = raw.body.toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_json', error_description: text };
    }
    return { status: raw.status, headers: raw.headers, body: body as T };
  };
  return {
    sendGetRequestAsync: (url, opts) => send('GET', url, opts),
    sendPostRequestAsync: (url, opts) => send('POST', url, opts),
  };
}
