import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import type { Dispatcher } from 'undici';
import { fetchWith } from './tls';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** Clouds msal-node knows; any other authority host (the simulator, a sovereign cloud proxy) is declared. */
const MSAL_KNOWN_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
]);

export interface AppCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** e.g. https://login.microsoftonline.com (no tenant). */
  authorityUrl: string;
}

export interface TokenProvider {
  /** `signal` cancels the token request (shutdown, cycle budget); the profile's timeout always applies. */
  getAccessToken(signal?: AbortSignal): Promise<string>;
}

export interface TokenProviderOptions {
  dispatcher?: Dispatcher;
  /** Every request to the authority (token, metadata) is aborted after this long. */
  timeoutMs: number;
}

/**
 * Client-credentials tokens for one profile's app registration. msal-node caches the token and
 * renews it before expiry, so this is called per request at no network cost.
 */
export function createTokenProvider(
  credentials: AppCredentials,
  { dispatcher, timeoutMs }: TokenProviderOptions,
): TokenProvider {
  const authority = `${credentials.authorityUrl.replace(/\/+$/, '')}/${credentials.tenantId}`;
  const host = new URL(authority).host;
  // msal-node's acquireTokenByClientCredential takes no signal; our network module (one per
  // provider, and at most one acquisition in flight per provider, shared by every waiting job: see
  // join()) reads the signal of the acquisition it serves from here. Not AsyncLocalStorage: that
  // would switch on promise hooks for every promise of the process.
  let pending: SharedAcquisition | undefined;
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      authority,
      ...(MSAL_KNOWN_HOSTS.has(host) ? {} : { knownAuthorities: [host] }),
    },
    system: {
      networkClient: new FetchNetworkModule(
        fetchWith(dispatcher),
        timeoutMs,
        () => pending?.controller.signal,
      ),
    },
  });
  // msal-node caches the token too, but its cache look-up costs more than an idle cycle's whole
  // request: keep the current token here and ask msal-node again only when it nears expiry (msal
  // then renews it). Concurrent callers share one acquisition.
  let current: { token: string; renewAt: number } | undefined;
  const acquire = async () => {
    const result = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    if (!result?.accessToken) throw new Error('Token endpoint returned no access token');
    const expiresAt = result.expiresOn?.getTime() ?? Date.now();
    current = { token: result.accessToken, renewAt: expiresAt - TOKEN_RENEW_BEFORE_EXPIRY_MS };
    return result.accessToken;
  };
  return {
    getAccessToken(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (current && Date.now() < current.renewAt) return Promise.resolve(current.token);
      if (!pending) {
        const controller = new AbortController();
        const promise = acquire().finally(() => {
          if (pending?.promise === promise) pending = undefined;
        });
        pending = { promise, controller, waiters: 0 };
      }
      return join(pending, signal);
    },
  };
}

/** msal-node's own refresh margin is 5 minutes; asking it again 10 minutes ahead lets it renew in time. */
const TOKEN_RENEW_BEFORE_EXPIRY_MS = 10 * 60_000;

interface SharedAcquisition {
  promise: Promise<string>;
  controller: AbortController;
  /** Callers waiting with a signal; one without a signal keeps the request alive until it ends. */
  waiters: number;
}

/**
 * One caller's wait for the shared acquisition: it ends at the caller's signal, and the request
 * itself is cancelled once every caller waiting with a signal has been cancelled (a caller without
 * one — Graph's auth middleware renewing mid-request — counts as never cancelled).
 */
function join(shared: SharedAcquisition, signal: AbortSignal | undefined): Promise<string> {
  if (!signal) {
    shared.waiters = Number.POSITIVE_INFINITY;
    return shared.promise;
  }
  shared.waiters++;
  return new Promise<string>((resolve, reject) => {
    const onAbort = () => {
      if (--shared.waiters === 0) shared.controller.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    shared.promise.then(
      (token) => {
        signal.removeEventListener('abort', onAbort);
        resolve(token);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * msal-node's network interface over a fetch that trusts our configured CA. Every request has the
 * profile's timeout (msal passes none for token POSTs) and the signal of the acquisition it serves.
 */
class FetchNetworkModule implements INetworkModule {
  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs: number,
    /** The signal of the acquisition in flight, if any. */
    private readonly acquisitionSignal: () => AbortSignal | undefined,
  ) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(
    method: string,
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const signals = [AbortSignal.timeout(Math.min(timeout ?? this.timeoutMs, this.timeoutMs))];
    const caller = this.acquisitionSignal();
    if (caller) signals.push(caller);
    const signal = AbortSignal.any(signals);
    const response = await this.fetchImpl(url, {
      method,
      headers: options?.headers,
      body: options?.body,
      signal,
    });
    // The signal also covers the body: a server that sends headers and then stalls is cut off too.
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_json', error_description: text.slice(0, 200) };
    }
    return { headers: Object.fromEntries(response.headers), body: body as T, status: response.status };
  }
}
