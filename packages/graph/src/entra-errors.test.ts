import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import fixtures from './__fixtures__/entra-errors.json';
import { classifyGraphError } from './errors';
import { GRAPH_SCOPE } from './token-provider';

interface Row {
  name: string;
  status: number;
  body: Record<string, unknown>;
  expect: { reason: string; kind: string; scope: string; code: string };
}

const HOST = 'login.contoso.test';
const AUTHORITY = `https://${HOST}/contoso`;
const METADATA = JSON.stringify({
  token_endpoint: `${AUTHORITY}/oauth2/v2.0/token`,
  issuer: `${AUTHORITY}/v2.0`,
  authorization_endpoint: `${AUTHORITY}/oauth2/v2.0/authorize`,
  end_session_endpoint: `${AUTHORITY}/oauth2/v2.0/logout`,
  jwks_uri: `${AUTHORITY}/discovery/v2.0/keys`,
  response_types_supported: ['code'],
});

/** msal-node's network interface answering the token request with one recorded response. */
class ReplayNetwork implements INetworkModule {
  constructor(private readonly row: Row) {}
  async sendGetRequestAsync<T>(): Promise<NetworkResponse<T>> {
    throw new Error('no GET expected: the authority metadata is given');
  }
  async sendPostRequestAsync<T>(): Promise<NetworkResponse<T>> {
    return { headers: {}, body: this.row.body as T, status: this.row.status };
  }
}

/** What msal-node itself throws for the recorded answer (a ServerError built by msal's own parsing). */
async function msalErrorFor(row: Row): Promise<unknown> {
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'secret',
      authority: AUTHORITY,
      knownAuthorities: [HOST],
      authorityMetadata: METADATA,
    },
    system: { networkClient: new ReplayNetwork(row) },
  });
  return app.acquireTokenByClientCredential({ scopes: [GRAPH_SCOPE] }).then(
    () => {
      throw new Error('expected the token request to fail');
    },
    (error: unknown) => error,
  );
}

describe('Entra ID token endpoint errors through msal-node', () => {
  test.each((fixtures.rows as Row[]).map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const thrown = await msalErrorFor(row);
    expect(thrown).toMatchObject({ name: 'ServerError', errorCode: row.body.error });
    const error = classifyGraphError(thrown);
    expect(error && { reason: error.reason, kind: error.kind, scope: error.scope, code: error.code }).toEqual(
      row.expect,
    );
    expect(error?.message).not.toMatch(/Trace ID|Correlation ID/);
  });

  test('an expired secret says how to fix it', async () => {
    const row = (fixtures.rows as Row[]).find((r) => r.expect.reason === 'SecretExpired')!;
    const error = classifyGraphError(await msalErrorFor(row));
    expect(error?.message).toMatch(/Create a new client secret .* and update the profile with it/);
  });
});
