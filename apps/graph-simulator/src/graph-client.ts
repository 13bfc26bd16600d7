import {
  AuthenticationHandler,
  Client,
  RedirectHandler,
  RetryHandler,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import type { AuthenticationProvider, Middleware } from '@microsoft/microsoft-graph-client';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { authorityMetadataFor } from './auth/entra';
import { FetchHandler, createMsalNetworkClient, createTrustingFetch } from './client-tls';

/**
 * The official clients wired for the simulator, over verified TLS — used by the contract tests and
 * a template for packages/graph. Only the HTTP leg differs from the SDK default chain.
 */
export function createMsalApp(opts: {
  simUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caPem: string;
}) {
  const host = new URL(opts.simUrl).host;
  return new ConfidentialClientApplication({
    auth: {
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      authority: `${opts.simUrl}/${opts.tenantId}`,
      knownAuthorities: [host],
      authorityMetadata: authorityMetadataFor(opts.simUrl, opts.tenantId),
    },
    system: { networkClient: createMsalNetworkClient(opts.caPem) },
  });
}

export function msalAuthProvider(app: ConfidentialClientApplication): AuthenticationProvider {
  return {
    getAccessToken: async () => {
      const result = await app.acquireTokenByClientCredential({
        scopes: ['https://graph.microsoft.com/.default'],
      });
      if (!result) throw new Error('msal returned no token');
      return result.accessToken;
    },
  };
}

export function createGraphClient(opts: {
  simUrl: string;
  caPem: string;
  authProvider: AuthenticationProvider;
}): Client {
  const middleware: Middleware[] = [
    new AuthenticationHandler(opts.authProvider),
    new RetryHandler(),
    new RedirectHandler(),
    new TelemetryHandler(),
    new FetchHandler(createTrustingFetch(opts.caPem)),
  ];
  return Client.initWithMiddleware({
    middleware,
    baseUrl: opts.simUrl,
    defaultVersion: 'v1.0',
    customHosts: new Set([new URL(opts.simUrl).hostname]),
  });
}
