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
  getAccessToken(): Promise<string>;
}

/**
 * Client-credentials tokens for one profile's app registration. msal-node caches the token and
 * renews it before expiry, so this is called per request at no network cost.
 */
export function createTokenProvider(credentials: AppCredentials, dispatcher?: Dispatcher): TokenProvider {
  const authority = `${credentials.authorityUrl.replace(/\/+$/, '')}/${credentials.tenantId}`;
  const host = new URL(authority).host;
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      authority,
      ...(MSAL_KNOWN_HOSTS.has(host) ? {} : { knownAuthorities: [host] }),
    },
    system: { networkClient: new FetchNetworkModule(fetchWith(dispatcher)) },
  });
  // msal-node caches the token too, but its cache look-up costs more than an idle cycle's whole
  // request: keep the current token here and ask msal-node again only when it nears expiry (msal
  // then renews it). Concurrent callers share one acquisition.
  let current: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const acquire = async () => {
    const result = await app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] });
    if (!result?.accessToken) throw new Error('Token endpoint returned no access token');
    const expiresAt = result.expiresOn?.getTime() ?? Date.now();
    current = { token: result.accessToken, renewAt: expiresAt - TOKEN_RENEW_BEFORE_EXPIRY_MS };
    return result.accessToken;
  };
  return {
    getAccessToken() {
      if (current && Date.now() < current.renewAt) return Promise.resolve(current.token);
      pending ??= acquire().finally(() => (pending = undefined));
      return pending;
    },
  };
}

/** msal-node's own refresh margin is 5 minutes; asking it again 10 minutes ahead lets it renew in time. */
const TOKEN_RENEW_BEFORE_EXPIRY_MS = 10 * 60_000;

/** msal-node's network interface over a fetch that trusts our configured CA. */
class FetchNetworkModule implements INetworkModule {
  constructor(private readonly fetchImpl: typeof fetch) {}

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
    const response = await this.fetchImpl(url, {
      method,
      headers: options?.headers,
      body: options?.body,
      signal: timeout ? AbortSignal.timeout(timeout) : undefined,
    });
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
